/**
 * Test doubles shared by fraud-service's tests: a Random that returns scripted draws and
 * a fake jira-poller behind a recording `fetch`.
 *
 * @module
 */
import type { Random } from "@demo/observability";
import { createTestTelemetry, testBaseConfig } from "@demo/observability/testing";
import { createApp } from "./app.ts";
import { createJiraPollerClient } from "./clients/jira_poller.ts";
import type { FraudConfig } from "./config.ts";

import { scriptedRandom } from "@demo/observability/testing";
export { scriptedRandom };

/** One call the fake jira-poller received. */
export interface RecordedCall {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
}

/** How the fake jira-poller answers: a response, or a thrown error (unreachable). */
export type FakeAnswer = () => Response | Promise<Response>;

/** A `fetch` standing in for jira-poller, recording every call. */
export function fakeJiraFetch(answer: FakeAnswer = () => Response.json({ ok: true })) {
  const calls: RecordedCall[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const text = typeof init?.body === "string" ? init.body : undefined;
    calls.push({
      method: init?.method ?? "GET",
      url: String(input),
      headers: new Headers(init?.headers),
      body: text === undefined ? undefined : JSON.parse(text),
    });
    return await answer();
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

/** A fraud-service configuration for tests. */
export function testConfig(overrides: Partial<FraudConfig> = {}): FraudConfig {
  return {
    base: testBaseConfig("fraud-service"),
    confirmRate: 0.35,
    seed: 1,
    jiraPollerUrl: "http://jira-poller.test",
    peerTimeoutMs: 1000,
    ...overrides,
  };
}

/** Builds the app with recorded telemetry, scripted draws and a fake jira-poller. */
export function setup(
  options: { draws?: number[]; random?: Random; answer?: FakeAnswer; confirmRate?: number } = {},
) {
  const t = createTestTelemetry("fraud-service");
  const jira = fakeJiraFetch(options.answer);
  const config = testConfig({ confirmRate: options.confirmRate ?? 0.35 });
  const app = createApp({
    config,
    log: t.log,
    metrics: t.metrics,
    readiness: t.readiness,
    random: options.random ?? scriptedRandom(options.draws ?? []),
    jiraPoller: createJiraPollerClient({
      baseUrl: config.jiraPollerUrl,
      timeoutMs: config.peerTimeoutMs,
      fetch: jira.fetch,
    }),
  });
  return { app, t, jira };
}

/** A valid `POST /check` body. */
export function checkBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    payment_id: "pay_0123456789abcdef",
    customer_id: "cust_2bd806c97f",
    bank_id: "ING",
    amount: 125.5,
    issue_key: "PER-42",
    ...overrides,
  };
}
