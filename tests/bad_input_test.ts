/**
 * Every endpoint of every service, on the real running processes, answers malformed
 * bodies, wrong types, huge values and unknown fields with a 4xx JSON error that names
 * what was wrong: never a 5xx, a hang or a non-JSON answer.
 */
import assert from "node:assert/strict";
import { startStack } from "../tasks/lib/stack.ts";

interface Endpoint {
  service:
    | "web-frontend"
    | "auth-service"
    | "payment-service"
    | "fraud-service"
    | "jira-poller"
    | "llm-service";
  method: "GET" | "POST";
  path: string;
  /** A valid body; each field is replaced in turn by bad values. */
  body?: Record<string, unknown>;
  /** Needs the session cookie (gateway routes). */
  session?: boolean;
}

const CUSTOMER = "cust_2bd806c97f";
const ENDPOINTS: Endpoint[] = [
  {
    service: "web-frontend",
    method: "POST",
    path: "/api/login",
    body: { username: "alice", password: "pw" },
  },
  {
    service: "web-frontend",
    method: "POST",
    path: "/api/pay",
    body: { bank_id: "ING", amount: 10 },
    session: true,
  },
  {
    service: "web-frontend",
    method: "POST",
    path: "/api/assistant",
    body: { payment_id: "pay_00000000000000000000000000000000", question: "why?" },
    session: true,
  },
  {
    service: "auth-service",
    method: "POST",
    path: "/auth/login",
    body: { username: "alice", password: "pw" },
  },
  {
    service: "payment-service",
    method: "POST",
    path: "/pay",
    body: { customer_id: CUSTOMER, bank_id: "ING", amount: 10 },
  },
  {
    service: "fraud-service",
    method: "POST",
    path: "/check",
    body: { payment_id: "pay_1", customer_id: CUSTOMER, bank_id: "ING", amount: 10, issue_key: "" },
  },
  {
    service: "jira-poller",
    method: "POST",
    path: "/jira/create_suspected_fraud",
    body: { payment_id: "pay_1", customer_id: CUSTOMER, bank_id: "ING", amount: 10 },
  },
  {
    service: "jira-poller",
    method: "POST",
    path: "/jira/comment",
    body: { issue_key: "PER-1", comment: "hello" },
  },
  {
    service: "llm-service",
    method: "POST",
    path: "/llm/generate",
    body: { prompt: "classify this" },
  },
];

/** Wrong for any field: wrong types, absurd sizes, operator-looking objects. */
const BAD_ANY: unknown[] = [null, true, [], {}, { $gt: "" }, "x".repeat(5000)];
/** Wrong for a number field (amounts). */
const BAD_NUMBER: unknown[] = [...BAD_ANY, -1, 0, 1e308, 12.345, "12", Number.MIN_VALUE];
/** Wrong for a string field. */
const BAD_STRING: unknown[] = [...BAD_ANY, -1, 0, 12.5];
const RAW_BODIES: [string, string, string][] = [
  ["not JSON", "{oops", "application/json"],
  ["a JSON array", "[]", "application/json"],
  ["JSON null", "null", "application/json"],
  ["a JSON string", '"hi"', "application/json"],
  ["an empty body", "", "application/json"],
  ["form data", "a=1", "application/x-www-form-urlencoded"],
  ["a huge body", JSON.stringify({ blob: "x".repeat(3 * 1024 * 1024) }), "application/json"],
];
const GETS = [
  ["payment-service", "/payments/not-an-id!"],
  ["payment-service", "/payments?customer_id=nobody"],
  ["payment-service", "/payments?customer_id=cust_2bd806c97f&limit=100000"],
  ["payment-service", "/payments?customer_id=cust_2bd806c97f&limit=abc"],
] as const;

Deno.test({
  name: "every endpoint answers bad input with a 4xx JSON error naming what was wrong",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stack = await startStack({
      ports: "auto",
      env: { RANDOM_SEED: "1", AUTH_FAIL_RATE: "0" },
    });
    try {
      const login = await fetch(`${stack.webUrl}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "alice", password: "pw" }),
      });
      await login.body?.cancel();
      const cookie = login.headers.getSetCookie()[0].split(";")[0];
      const failures: string[] = [];
      let checked = 0;
      const expect4xx = async (label: string, url: string, init: RequestInit, field?: string) => {
        checked++;
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        let body: { ok?: boolean; error?: { code?: string; message?: string; field?: string } } =
          {};
        try {
          body = JSON.parse(text);
        } catch { /* reported below */ }
        if (res.status < 400 || res.status >= 500) {
          failures.push(`${label}: ${res.status} ${text.slice(0, 150)}`);
        } else if (!body.error?.code || !body.error.message) {
          failures.push(`${label}: no error envelope: ${text.slice(0, 150)}`);
        } else if (field && body.error.field !== field) {
          failures.push(`${label}: names '${body.error.field}', expected '${field}'`);
        }
      };
      for (const endpoint of ENDPOINTS) {
        const url = `http://127.0.0.1:${stack.ports[endpoint.service]}${endpoint.path}`;
        const headers = (type = "application/json"): Record<string, string> => ({
          "content-type": type,
          ...(endpoint.session ? { cookie } : {}),
        });
        for (const [label, raw, type] of RAW_BODIES) {
          await expect4xx(`${endpoint.service} ${endpoint.path} with ${label}`, url, {
            method: endpoint.method,
            headers: headers(type),
            body: raw,
          });
        }
        await expect4xx(`${endpoint.service} ${endpoint.path} with an unknown field`, url, {
          method: endpoint.method,
          headers: headers(),
          body: JSON.stringify({ ...endpoint.body, sneaky: 1 }),
        }, "sneaky");
        for (const field of Object.keys(endpoint.body ?? {})) {
          const values = typeof endpoint.body?.[field] === "number" ? BAD_NUMBER : BAD_STRING;
          for (const value of values) {
            // An empty issue key is allowed (no comment is posted); every other bad value is not.
            if (field === "issue_key" && (value === "" || value === null)) continue;
            if (field === "question" && value === "") continue;
            await expect4xx(
              `${endpoint.service} ${endpoint.path} with ${field}=${
                JSON.stringify(value)?.slice(0, 20)
              }`,
              url,
              {
                method: endpoint.method,
                headers: headers(),
                body: JSON.stringify({ ...endpoint.body, [field]: value }),
              },
              field,
            );
          }
          const { [field]: _dropped, ...missing } = endpoint.body ?? {};
          if (field !== "question" && field !== "issue_key") {
            await expect4xx(`${endpoint.service} ${endpoint.path} without ${field}`, url, {
              method: endpoint.method,
              headers: headers(),
              body: JSON.stringify(missing),
            }, field);
          }
        }
      }
      for (const [service, path] of GETS) {
        await expect4xx(
          `${service} GET ${path}`,
          `http://127.0.0.1:${stack.ports[service]}${path}`,
          {},
        );
      }
      await expect4xx("web-frontend pay without a session", `${stack.webUrl}/api/pay`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie: "session_id=forged.value" },
        body: JSON.stringify({ bank_id: "ING", amount: 1 }),
      });
      console.log(`${checked} bad requests checked`);
      assert.deepEqual(failures, [], failures.join("\n"));
    } finally {
      await stack.stop();
    }
  },
});
