/**
 * Test fixtures shared by jira-poller's tests: the Jira stand-in served on a free loopback
 * port, and clients pointed at it.
 *
 * @module
 */
import { type JiraStandInOptions, serveJiraStandIn } from "@demo/jira-stand-in";
import { createJiraClient, type JiraClientOptions } from "./clients/jira.ts";
import type { JiraPollerConfig } from "./config.ts";
import type { SuspectedFraud } from "./tickets.ts";
import { testBaseConfig } from "@demo/observability/testing";

export const EMAIL = "poller@example.com";
/** A token distinctive enough to search every log line and error for. */
export const TOKEN = "tok-3f9a1c7e-never-print-me";
/** The Authorization header value the token becomes, searched for too. */
export const AUTH_VALUE = btoa(`${EMAIL}:${TOKEN}`);

/** A suspected-fraud payment for tests. */
export function fraud(paymentId = "pay_0123456789abcdef0123456789abcdef"): SuspectedFraud {
  return {
    paymentId,
    customerId: "cust_2bd806c97f",
    bankId: "HSBC",
    amount: 125.5,
    reason: "Velocity check",
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  };
}

/** The stand-in on a free port, accepting {@linkcode EMAIL} / {@linkcode TOKEN}. */
export function serveStandIn(options: JiraStandInOptions = {}) {
  return serveJiraStandIn({
    port: 0,
    hostname: "127.0.0.1",
    email: EMAIL,
    apiToken: TOKEN,
    ...options,
  });
}

/** Records the waits a client asks for instead of waiting. */
export function recordingSleep() {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

/** A client of the stand-in at `baseUrl`, with test-friendly defaults. */
export function clientFor(baseUrl: string, overrides: Partial<JiraClientOptions> = {}) {
  return createJiraClient({
    baseUrl,
    email: EMAIL,
    apiToken: TOKEN,
    projectKey: "PER",
    issueType: "Task",
    timeoutMs: 2000,
    sleep: () => Promise.resolve(),
    ...overrides,
  });
}

/** jira-poller's configuration for tests, Jira pointed at `baseUrl` (or unset). */
export function testConfig(
  baseUrl?: string,
  overrides: Partial<JiraPollerConfig> = {},
): JiraPollerConfig {
  return {
    base: testBaseConfig("jira-poller"),
    jira: baseUrl ? { baseUrl, email: EMAIL, apiToken: TOKEN } : null,
    missingJiraKeys: baseUrl ? [] : ["JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN"],
    projectKey: "PER",
    issueType: "Task",
    timeoutMs: 2000,
    pollEnabled: false,
    pollIntervalMs: 1_800_000,
    ...overrides,
  };
}
