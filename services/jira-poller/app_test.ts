import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { createTestTelemetry, jsonRequest } from "@demo/observability/testing";
import { buildJiraPoller, createApp } from "./app.ts";
import { AUTH_VALUE, clientFor, serveStandIn, testConfig, TOKEN } from "./_testing.ts";
import type { JiraClientOptions } from "./clients/jira.ts";
import type { LoopClock } from "./schedule.ts";

const PAYMENT = {
  payment_id: "pay_0123456789abcdef0123456789abcdef",
  customer_id: "cust_2bd806c97f",
  bank_id: "HSBC",
  amount: 125.5,
  reason: "Velocity check",
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
};

/** The app with a client of `baseUrl` (or with Jira unconfigured when it is undefined). */
function setup(baseUrl?: string, client: Partial<JiraClientOptions> = {}) {
  const t = createTestTelemetry("jira-poller");
  const app = createApp({
    config: testConfig(baseUrl),
    log: t.log,
    metrics: t.metrics,
    readiness: t.readiness,
    jira: baseUrl ? clientFor(baseUrl, client) : null,
  });
  const post = (path: string, body: unknown) => app.request(jsonRequest("POST", path, { body }));
  return { app, t, post };
}

Deno.test("POST /jira/create_suspected_fraud opens a ticket, counts jira.create.ok and logs jira_create_ok", async () => {
  const standIn = serveStandIn();
  try {
    const { post, t } = setup(standIn.url);
    const res = await post("/jira/create_suspected_fraud", PAYMENT);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, issue_key: "PER-1", created: true });
    assert.equal(standIn.state.issue("PER-1")?.summary, `Suspected Fraud ${PAYMENT.trace_id}`);
    assert.equal(t.metrics.total("jira.create.ok"), 1);
    const [line] = t.logged("jira_create_ok");
    assert.equal(line.level, "info");
    assert.equal(line.payment_id, PAYMENT.payment_id);
    assert.equal(line.issue_key, "PER-1");

    const again = await post("/jira/create_suspected_fraud", PAYMENT);
    assert.deepEqual(await again.json(), { ok: true, issue_key: "PER-1", created: false });
    assert.equal(standIn.state.issues.length, 1);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("POST /jira/create_suspected_fraud takes payment-service's body with an empty trace id and no reason", async () => {
  const standIn = serveStandIn();
  try {
    const { post } = setup(standIn.url);
    const { reason: _reason, ...withoutReason } = PAYMENT;
    const res = await post("/jira/create_suspected_fraud", { ...withoutReason, trace_id: "" });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const issue = standIn.state.issue("PER-1");
    assert.equal(issue?.summary, "Suspected Fraud unknown");
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("10 concurrent POST /jira/create_suspected_fraud for one payment leave one ticket", async () => {
  const standIn = serveStandIn();
  try {
    const { post, t } = setup(standIn.url);
    const answers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await post("/jira/create_suspected_fraud", PAYMENT);
        return { status: res.status, body: await res.json() };
      }),
    );
    assert.equal(standIn.state.issues.length, 1);
    assert.ok(answers.every((a) => a.status === 200 && a.body.issue_key === "PER-1"));
    assert.equal(t.metrics.total("jira.create.ok"), 10);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("POST /jira/comment comments on the ticket and counts jira.comment.ok", async () => {
  const standIn = serveStandIn();
  try {
    const { post, t } = setup(standIn.url);
    await (await post("/jira/create_suspected_fraud", PAYMENT)).body?.cancel();
    const comment = "Confirmed fraudulent activity. Please escalate to Product Team";
    const res = await post("/jira/comment", { issue_key: "PER-1", comment });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, issue_key: "PER-1" });
    assert.equal(standIn.state.issue("PER-1")?.comments.length, 1);
    assert.equal(t.metrics.total("jira.comment.ok"), 1);
    assert.equal(t.logged("jira_comment_ok")[0].issue_key, "PER-1");
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("without Jira configuration both routes answer 503 jira_not_configured and count missing_config", async () => {
  const { post, t } = setup(undefined);
  const create = await post("/jira/create_suspected_fraud", PAYMENT);
  assert.equal(create.status, 503);
  assert.equal((await create.json()).error.code, "jira_not_configured");
  const comment = await post("/jira/comment", { issue_key: "PER-1", comment: "hello" });
  assert.equal(comment.status, 503);
  assert.equal((await comment.json()).error.code, "jira_not_configured");
  assert.equal(t.metrics.total("jira.create.error", { reason: "missing_config" }), 1);
  assert.equal(t.metrics.total("jira.comment.error", { reason: "missing_config" }), 1);
  const [line] = t.logged("jira_create_error");
  assert.equal(line.reason, "missing_config");
  assert.deepEqual(line.missing, ["JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN"]);
  assert.equal(t.logged("jira_comment_error")[0].reason, "missing_config");
});

Deno.test("a Jira error answer is a 502 counted as http_error", async () => {
  const standIn = serveStandIn({ apiToken: "not-the-poller-token" });
  try {
    const { post, t } = setup(standIn.url);
    const res = await post("/jira/create_suspected_fraud", PAYMENT);
    assert.equal(res.status, 502);
    const body = await res.json();
    assert.equal(body.error.code, "jira_http_error");
    assert.equal(body.error.reason, "http_error");
    assert.equal(t.metrics.total("jira.create.error", { reason: "http_error" }), 1);
    const [line] = t.logged("jira_create_error");
    assert.equal(line.level, "error");
    assert.equal(line.jira_status, 401);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("a comment on an unknown ticket is a 404 naming issue_key, counted as jira.comment.error{http_error}", async () => {
  const standIn = serveStandIn();
  try {
    const { post, t } = setup(standIn.url);
    const res = await post("/jira/comment", { issue_key: "PER-404", comment: "hello" });
    assert.equal(res.status, 404);
    const { error } = await res.json();
    assert.equal(error.code, "jira_issue_not_found");
    assert.equal(error.field, "issue_key");
    assert.equal(t.metrics.total("jira.comment.error", { reason: "http_error" }), 1);
    assert.equal(t.logged("jira_comment_error")[0].jira_status, 404);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("an unreachable Jira is a 502 counted as exception", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const { post, t } = setup(`http://127.0.0.1:${port}`);
  const res = await post("/jira/create_suspected_fraud", PAYMENT);
  assert.equal(res.status, 502);
  assert.equal((await res.json()).error.code, "jira_exception");
  assert.equal(t.metrics.total("jira.create.error", { reason: "exception" }), 1);
});

Deno.test("POST /jira/comment with an empty issue key answers 400 naming issue_key and calls nothing", async () => {
  const standIn = serveStandIn();
  try {
    const { post, t } = setup(standIn.url);
    const res = await post("/jira/comment", {
      issue_key: "",
      comment: "Transaction not fraudulent",
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.field, "issue_key");
    assert.equal(standIn.state.calls.length, 0, "Jira was not called");
    assert.equal(t.metrics.records.length, 0);
  } finally {
    await standIn.shutdown();
  }
});

const badCreates: [string, unknown, string][] = [
  ["a missing payment_id", { ...PAYMENT, payment_id: undefined }, "payment_id"],
  ["a payment_id with a space", { ...PAYMENT, payment_id: "pay 1" }, "payment_id"],
  ["a malformed customer_id", { ...PAYMENT, customer_id: "alice" }, "customer_id"],
  ["an unknown bank", { ...PAYMENT, bank_id: "MONZO" }, "bank_id"],
  ["a zero amount", { ...PAYMENT, amount: 0 }, "amount"],
  ["a negative amount", { ...PAYMENT, amount: -5 }, "amount"],
  ["an amount with 3 decimals", { ...PAYMENT, amount: 1.234 }, "amount"],
  ["a denormal amount", { ...PAYMENT, amount: Number.MIN_VALUE }, "amount"],
  ["an amount as a string", { ...PAYMENT, amount: "12" }, "amount"],
  ["a 201-character reason", { ...PAYMENT, reason: "r".repeat(201) }, "reason"],
  ["a trace id that is not an id", { ...PAYMENT, trace_id: "trace-me" }, "trace_id"],
  ["an unknown field", { ...PAYMENT, priority: "high" }, "priority"],
  ["a JSON array", [PAYMENT], "body"],
  ["a body that is not JSON", "{payment", "body"],
];
for (const [label, body, field] of badCreates) {
  Deno.test(`POST /jira/create_suspected_fraud answers 400 naming '${field}' for ${label}`, async () => {
    const { post, t } = setup("http://jira.test", {
      fetch: () => Promise.reject(new Error("Jira must not be called")),
    });
    const res = await post("/jira/create_suspected_fraud", body);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.field, field);
    assert.equal(t.metrics.records.length, 0);
  });
}

const badComments: [string, unknown, string][] = [
  ["a missing issue_key", { comment: "x" }, "issue_key"],
  ["a lower-case issue_key", { issue_key: "per-1", comment: "x" }, "issue_key"],
  ["an issue_key with a path", { issue_key: "PER-1/comment", comment: "x" }, "issue_key"],
  ["a numeric issue_key", { issue_key: 1, comment: "x" }, "issue_key"],
  ["an empty comment", { issue_key: "PER-1", comment: "" }, "comment"],
  ["a blank comment", { issue_key: "PER-1", comment: "   " }, "comment"],
  ["a 2001-character comment", { issue_key: "PER-1", comment: "c".repeat(2001) }, "comment"],
  ["an unknown field", { issue_key: "PER-1", comment: "x", author: "me" }, "author"],
];
for (const [label, body, field] of badComments) {
  Deno.test(`POST /jira/comment answers 400 naming '${field}' for ${label}`, async () => {
    const { post, t } = setup("http://jira.test", {
      fetch: () => Promise.reject(new Error("Jira must not be called")),
    });
    const res = await post("/jira/comment", body);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.field, field);
    assert.equal(t.metrics.records.length, 0);
  });
}

Deno.test("POST /jira/comment takes exactly 2000 characters", async () => {
  const standIn = serveStandIn();
  try {
    const { post } = setup(standIn.url);
    await (await post("/jira/create_suspected_fraud", PAYMENT)).body?.cancel();
    const res = await post("/jira/comment", { issue_key: "PER-1", comment: "c".repeat(2000) });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("POST /jira/comment answers 415 naming content-type to a form body", async () => {
  const { app } = setup(undefined);
  const res = await app.request("/jira/comment", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "issue_key=PER-1&comment=x",
  });
  assert.equal(res.status, 415);
  assert.equal((await res.json()).error.field, "content-type");
});

Deno.test("no log line and no answer ever holds the API token or the Authorization value", async () => {
  const good = serveStandIn();
  const wrong = serveStandIn({ apiToken: "something-else" });
  const limited = serveStandIn({ rateLimitEvery: 1 });
  const lines: Record<string, unknown>[] = [];
  const bodies: string[] = [];
  try {
    for (const url of [good.url, wrong.url, limited.url, undefined]) {
      const { post, t } = setup(url);
      for (
        const [path, body] of [
          ["/jira/create_suspected_fraud", PAYMENT],
          ["/jira/comment", { issue_key: "PER-1", comment: "hello" }],
          ["/jira/comment", { issue_key: "PER-77", comment: "hello" }],
        ] as const
      ) {
        bodies.push(await (await post(path, body)).text());
      }
      lines.push(...t.lines);
    }
    // Every path above ran: successes, a 401, a 429 given up on, a 404, no configuration.
    assert.ok(lines.some((l) => l.message === "jira_create_ok"));
    assert.ok(lines.some((l) => l.jira_status === 401));
    assert.ok(lines.some((l) => l.jira_status === 429));
    assert.ok(lines.some((l) => l.jira_status === 404));
    assert.ok(lines.some((l) => l.reason === "missing_config"));
    const everything = JSON.stringify(lines) + bodies.join("\n");
    assert.doesNotMatch(everything, new RegExp(TOKEN));
    assert.doesNotMatch(everything, new RegExp(AUTH_VALUE.replace(/[+/=]/g, "\\$&")));
  } finally {
    await Promise.all([good.shutdown(), wrong.shutdown(), limited.shutdown()]);
  }
});

Deno.test("GET /healthz and /readyz answer 200 even when Jira is not configured", async () => {
  const { app } = setup(undefined);
  assert.equal((await app.request("/healthz")).status, 200);
  assert.equal((await app.request("/readyz")).status, 200);
});

function fakeLoopClock() {
  const clock = FakeTimers.createClock(0);
  const loopClock: LoopClock = {
    now: () => clock.now,
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (id) => clock.clearTimeout(id as number),
  };
  return { clock, loopClock };
}

/** Waits (really, boundedly) until `check` holds. */
async function eventually(check: () => boolean, what: string) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

Deno.test("buildJiraPoller() polls shortly after start, on the interval, and not after stop()", async () => {
  const standIn = serveStandIn();
  const t = createTestTelemetry("jira-poller");
  const { clock, loopClock } = fakeLoopClock();
  try {
    await clientFor(standIn.url).createSuspectedFraudIssue({
      paymentId: "pay_1",
      customerId: "cust_2bd806c97f",
      bankId: "ING",
      amount: 5,
      reason: "r",
      traceId: "1",
    });
    const service = buildJiraPoller({
      config: testConfig(standIn.url, { pollEnabled: true, pollIntervalMs: 60_000 }),
      log: t.log,
      metrics: t.metrics,
      readiness: t.readiness,
      clock: loopClock,
      firstPollDelayMs: 500,
    });
    await clock.tickAsync(499);
    assert.equal(t.logged("jira_poll_ok").length, 0);
    await clock.tickAsync(1);
    await eventually(() => t.logged("jira_poll_ok").length === 1, "the first poll ran");
    assert.equal(t.metrics.total("jira.suspected_fraud.open"), 1);

    await clock.tickAsync(60_000);
    await eventually(() => t.logged("jira_poll_ok").length === 2, "the second poll ran");
    await service.stop();
    await clock.tickAsync(600_000);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.logged("jira_poll_ok").length, 2, "no poll after stop()");
    assert.equal(clock.countTimers(), 0);
    assert.equal(t.logged("poll_disabled").length, 0);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("buildJiraPoller() logs poll_disabled once with the reason and polls nothing", async () => {
  const { clock, loopClock } = fakeLoopClock();
  const cases = [
    { config: testConfig(undefined, { pollEnabled: true }), reason: "jira_not_configured" },
    { config: testConfig("http://jira.test", { pollEnabled: false }), reason: "disabled" },
  ];
  for (const { config, reason } of cases) {
    const t = createTestTelemetry("jira-poller");
    const service = buildJiraPoller({
      config,
      log: t.log,
      metrics: t.metrics,
      readiness: t.readiness,
      clock: loopClock,
    });
    await clock.tickAsync(10_000_000);
    const lines = t.logged("poll_disabled");
    assert.equal(lines.length, 1);
    assert.equal(lines[0].reason, reason);
    assert.equal(clock.countTimers(), 0, "no poll scheduled");
    assert.equal(t.metrics.records.length, 0);
    await service.stop();
  }
});
