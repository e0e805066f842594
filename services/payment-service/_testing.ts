/**
 * Test doubles for payment-service: peers answered by a fake `fetch`, a scripted random
 * source and an app wired with them.
 *
 * @module
 */
import { createRandom, type Random } from "@demo/observability";
import {
  createTestTelemetry,
  jsonRequest,
  testBaseConfig,
  type TestTelemetry,
} from "@demo/observability/testing";
import { createApp } from "./app.ts";
import { createFraudServiceClient } from "./clients/fraud_service.ts";
import { createJiraPollerClient } from "./clients/jira_poller.ts";
import type { PaymentConfig } from "./config.ts";
import { createMemoryPaymentStore, type MemoryPaymentStore } from "./store.ts";

/** One request a fake peer received. */
export interface PeerCall {
  method: string;
  path: string;
  headers: Headers;
  body: Record<string, unknown>;
}

/** How a fake peer answers. */
export type PeerHandler = (request: Request) => Response | Promise<Response>;

/** A fake peer: its `fetch` and what it received. */
export interface FakePeer {
  fetch: typeof fetch;
  calls: PeerCall[];
}

/** A peer answering through `handler`, recording every request. */
export function fakePeer(handler: PeerHandler): FakePeer {
  const calls: PeerCall[] = [];
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const text = await request.clone().text();
    calls.push({
      method: request.method,
      path: new URL(request.url).pathname,
      headers: request.headers,
      body: text ? JSON.parse(text) : {},
    });
    return await handler(request);
  };
  return { fetch: fakeFetch as typeof fetch, calls };
}

/** A JSON answer. */
export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

/** A peer that cannot be reached (what `fetch` throws on a refused connection). */
export const unreachable: PeerHandler = () => {
  throw new TypeError("error sending request: Connection refused (os error 111)");
};

/** A peer that never answers: it waits until the caller gives up. */
export const hangs: PeerHandler = (request) =>
  new Promise((_, reject) => {
    request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
  });

/** fraud-service clearing the payment. */
export const clears: PeerHandler = () =>
  json({ ok: true, fraudulent: false, comment: "Transaction not fraudulent, please complete it" });

/** fraud-service confirming fraud. */
export const confirms: PeerHandler = () =>
  json({
    ok: true,
    fraudulent: true,
    reason: "incorrect PIN number",
    comment: "Confirmed fraudulent activity. Please escalate to Product Team",
  });

/** jira-poller opening issue PER-7. */
export const opensIssue: PeerHandler = () => json({ ok: true, issue_key: "PER-7" });

/**
 * A {@linkcode Random} returning `values` from `next()` in order (the flow draws latency,
 * then suspected fraud, then failure, then the failure reason), failing when they run out.
 */
export function scriptedRandom(values: number[]): Random {
  let i = 0;
  const next = () => {
    if (i >= values.length) throw new Error("Scripted random ran out of values");
    return values[i++];
  };
  return {
    next,
    chance: (rate) => next() < rate,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

/** A valid `POST /pay` body. */
export const PAY_BODY = { customer_id: "cust_0123456789", bank_id: "HSBC", amount: 12.5 } as const;

/** The fixed wall clock of test apps: 2026-01-01T00:00:00.000Z. */
export const NOW = Date.UTC(2026, 0, 1);

/** Options of {@linkcode setup}. */
export interface SetupOptions {
  config?: Partial<Omit<PaymentConfig, "base">>;
  fraud?: PeerHandler;
  jira?: PeerHandler;
  random?: Random;
}

/** A test app with recorded telemetry, its store and its fake peers. */
export interface TestApp {
  app: ReturnType<typeof createApp>;
  telemetry: TestTelemetry;
  store: MemoryPaymentStore;
  fraud: FakePeer;
  jira: FakePeer;
  /** Sends `POST /pay` with `body` (default {@linkcode PAY_BODY}). */
  pay(body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

/**
 * Builds payment-service with instant processing, no random failures and peers that open
 * an issue and clear the payment, unless `options` say otherwise.
 */
export function setup(options: SetupOptions = {}): TestApp {
  const telemetry = createTestTelemetry("payment-service");
  const config: PaymentConfig = {
    base: testBaseConfig("payment-service"),
    failRate: 0,
    suspectedFraudRate: 0,
    latencyMinMs: 0,
    latencyMaxMs: 0,
    maxAmount: 10_000,
    storeMaxEntries: 1000,
    seed: 42,
    fraudServiceUrl: "http://fraud-service.test",
    jiraPollerUrl: "http://jira-poller.test",
    peerTimeoutMs: 2000,
    ...options.config,
  };
  const store = createMemoryPaymentStore({ maxEntries: config.storeMaxEntries });
  const fraud = fakePeer(options.fraud ?? clears);
  const jira = fakePeer(options.jira ?? opensIssue);
  const app = createApp({
    config,
    ...telemetry,
    random: options.random ?? createRandom(config.seed),
    fraud: createFraudServiceClient({
      baseUrl: config.fraudServiceUrl,
      timeoutMs: config.peerTimeoutMs,
      fetch: fraud.fetch,
    }),
    jira: createJiraPollerClient({
      baseUrl: config.jiraPollerUrl,
      timeoutMs: config.peerTimeoutMs,
      fetch: jira.fetch,
    }),
    store,
    now: () => NOW,
  });
  return {
    app,
    telemetry,
    store,
    fraud,
    jira,
    pay: (body = PAY_BODY, headers = {}) =>
      Promise.resolve(app.request(jsonRequest("POST", "/pay", { body, headers }))),
  };
}
