import assert from "node:assert/strict";
import { jsonRequest } from "@demo/observability/testing";
import { checkBody, setup } from "./_testing.ts";
import { COMMENT } from "./check.ts";
import { LOG, METRIC } from "./telemetry.ts";

function check(app: ReturnType<typeof setup>["app"], body: unknown) {
  return app.request(jsonRequest("POST", "/check", { body }));
}

Deno.test("POST /check confirms fraud: reason, escalation comment posted, rejected metrics and a warning", async () => {
  const { app, t, jira } = setup({ draws: [0.1, 0] });
  const res = await check(app, checkBody());
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    ok: true,
    payment_id: "pay_0123456789abcdef",
    fraudulent: true,
    reason: "incorrect credit card",
    comment: COMMENT.confirmed,
    issue_key: "PER-42",
    comment_posted: true,
  });
  assert.equal(t.metrics.total(METRIC.suspected, { bank: "ING" }), 1);
  assert.equal(
    t.metrics.total(METRIC.rejected, { fraud_reason: "incorrect credit card", bank: "ING" }),
    1,
  );
  assert.equal(t.metrics.total(METRIC.approved), 0);
  assert.equal(t.metrics.total(METRIC.cleared), 0);
  const [line] = t.logged(LOG.rejected);
  assert.equal(line.level, "warn");
  assert.equal(line.reason, "incorrect credit card");
  assert.equal(line.payment_id, "pay_0123456789abcdef");
  assert.deepEqual(jira.calls.map((c) => c.body), [
    { issue_key: "PER-42", comment: COMMENT.confirmed },
  ]);
});

Deno.test("POST /check clears the payment: completion comment posted, approved and cleared metrics", async () => {
  const { app, t, jira } = setup({ draws: [0.9] });
  const res = await check(app, checkBody({ bank_id: "CITI" }));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body, {
    ok: true,
    payment_id: "pay_0123456789abcdef",
    fraudulent: false,
    comment: COMMENT.cleared,
    issue_key: "PER-42",
    comment_posted: true,
  });
  assert.equal("reason" in body, false);
  assert.equal(t.metrics.total(METRIC.suspected, { bank: "CITI" }), 1);
  assert.equal(t.metrics.total(METRIC.approved, { bank: "CITI" }), 1);
  assert.equal(t.metrics.total(METRIC.cleared, { bank: "CITI" }), 1);
  assert.equal(t.metrics.total(METRIC.rejected), 0);
  assert.equal(t.logged(LOG.approved)[0].level, "info");
  assert.equal(t.logged(LOG.rejected).length, 0);
  assert.deepEqual(jira.calls.map((c) => c.body), [
    { issue_key: "PER-42", comment: COMMENT.cleared },
  ]);
});

Deno.test("POST /check tags metrics with every contract metric name and the service's global tags", async () => {
  const { app, t } = setup({ draws: [0.1, 0.99, 0.9] });
  await check(app, checkBody());
  await check(app, checkBody());
  const names = [...new Set(t.metrics.records.map((r) => r.name))].sort();
  assert.deepEqual(names, [
    "fraud.check.approved",
    "fraud.check.rejected",
    "fraud.cleared",
    "fraud.suspected",
  ]);
  for (const record of t.metrics.records) {
    assert.equal(record.type, "count");
    assert.equal(record.tags.service, "fraud-service");
    assert.equal("payment_id" in record.tags || "customer_id" in record.tags, false);
  }
  assert.equal(
    t.metrics.total(METRIC.rejected, { fraud_reason: "suspicious transaction", bank: "ING" }),
    1,
  );
});

for (
  const [label, issueKey] of [
    ["an empty issue_key", ""],
    ["a blank issue_key", "   "],
    ["a null issue_key", null],
    ["no issue_key", undefined],
  ] as const
) {
  Deno.test(`POST /check never calls jira-poller for ${label}`, async () => {
    const { app, t, jira } = setup({ draws: [0.1, 0.3] });
    const res = await check(app, checkBody({ issue_key: issueKey }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.fraudulent, true);
    assert.equal(body.comment, COMMENT.confirmed);
    assert.equal(body.issue_key, null);
    assert.equal(body.comment_posted, false);
    assert.equal(jira.calls.length, 0, "no comment call without an issue key");
    assert.equal(t.logged(LOG.commentError).length, 0);
  });
}

const failures: [string, () => Response | Promise<Response>, string][] = [
  [
    "jira-poller is down",
    () => Promise.reject(new TypeError("connection refused")),
    "upstream_unavailable",
  ],
  [
    "jira-poller answers 503 not configured",
    () =>
      Response.json({ ok: false, error: { code: "missing_config", message: "x" } }, {
        status: 503,
      }),
    "missing_config",
  ],
  [
    "jira-poller answers garbage",
    () => new Response("not json", { status: 200 }),
    "upstream_bad_response",
  ],
  [
    "jira-poller answers 500",
    () => Response.json({ ok: false }, { status: 500 }),
    "upstream_error",
  ],
];
for (const [label, answer, code] of failures) {
  Deno.test(`POST /check keeps the verdict and logs jira_comment_error when ${label}`, async () => {
    const { app, t, jira } = setup({ draws: [0.1, 0.5], answer });
    const res = await check(app, checkBody());
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.ok, true);
    assert.equal(body.fraudulent, true);
    assert.equal(body.reason, "transaction above limit");
    assert.equal(body.comment_posted, false);
    assert.equal(jira.calls.length, 1);
    const [line] = t.logged(LOG.commentError);
    assert.equal(line.level, "error");
    assert.equal(line.error_code, code);
    assert.equal(line.issue_key, "PER-42");
    assert.equal(t.metrics.total(METRIC.rejected), 1);
  });
}

Deno.test("POST /check passes the request id and a shrinking budget to jira-poller", async () => {
  const { app, jira } = setup({ draws: [0.9] });
  const res = await app.request(
    jsonRequest("POST", "/check", {
      body: checkBody(),
      headers: { "x-request-id": "req-abc", "x-request-budget-ms": "800" },
    }),
  );
  assert.equal(res.status, 200);
  assert.equal(jira.calls[0].headers.get("x-request-id"), "req-abc");
  const budget = Number(jira.calls[0].headers.get("x-request-budget-ms"));
  // 800 less 50 kept to answer, less the client's 25 for the trip back.
  assert.ok(budget > 600 && budget <= 725, `budget ${budget}`);
});

Deno.test("POST /check accepts every contract bank, cents and a 64-character issue key", async () => {
  for (const bank_id of ["FNB", "ABN", "RABO", "HSBC", "JPMC", "ING", "BARC", "CITI"]) {
    const { app } = setup({ draws: [0.9] });
    const res = await check(
      app,
      checkBody({
        bank_id,
        amount: 0.29,
        issue_key: `K${"A".repeat(58)}-1234`,
        payment_id: "p".repeat(64),
      }),
    );
    assert.equal(res.status, 200, bank_id);
    await res.body?.cancel();
  }
});

const bad: [string, unknown, string][] = [
  ["a missing payment_id", checkBody({ payment_id: undefined }), "payment_id"],
  ["an empty payment_id", checkBody({ payment_id: "" }), "payment_id"],
  ["a 65-character payment_id", checkBody({ payment_id: "p".repeat(65) }), "payment_id"],
  ["a payment_id with a slash", checkBody({ payment_id: "pay/1" }), "payment_id"],
  ["a numeric payment_id", checkBody({ payment_id: 7 }), "payment_id"],
  ["a missing customer_id", checkBody({ customer_id: undefined }), "customer_id"],
  ["a customer_id without cust_", checkBody({ customer_id: "2bd806c97f" }), "customer_id"],
  ["an upper-case customer_id", checkBody({ customer_id: "cust_2BD806C97F" }), "customer_id"],
  ["a short customer_id", checkBody({ customer_id: "cust_2bd806c9" }), "customer_id"],
  ["a missing bank_id", checkBody({ bank_id: undefined }), "bank_id"],
  ["an unknown bank_id", checkBody({ bank_id: "MONZO" }), "bank_id"],
  ["a lower-case bank_id", checkBody({ bank_id: "ing" }), "bank_id"],
  ["a missing amount", checkBody({ amount: undefined }), "amount"],
  ["a zero amount", checkBody({ amount: 0 }), "amount"],
  ["a negative amount", checkBody({ amount: -5 }), "amount"],
  ["an amount with 3 decimals", checkBody({ amount: 10.005 }), "amount"],
  ["an amount as a string", checkBody({ amount: "10.00" }), "amount"],
  ["a numeric issue_key", checkBody({ issue_key: 42 }), "issue_key"],
  ["a 65-character issue_key", checkBody({ issue_key: "K".repeat(65) }), "issue_key"],
  ["an unknown field", checkBody({ status: "settled" }), "status"],
  ["a JSON array", [checkBody()], "body"],
  ["a body that is not JSON", "payment_id=1", "body"],
];
for (const [label, body, field] of bad) {
  Deno.test(`POST /check answers 400 naming '${field}' for ${label}`, async () => {
    const { app, t, jira } = setup();
    const res = await check(app, body);
    assert.equal(res.status, 400);
    const json = await res.json();
    assert.equal(json.ok, false);
    assert.equal(json.error.field, field);
    assert.match(json.error.message, new RegExp(field));
    assert.equal(t.metrics.records.length, 0, "bad input is not a fraud check");
    assert.equal(jira.calls.length, 0);
  });
}

Deno.test("POST /check answers 415 naming content-type for a form body", async () => {
  const { app } = setup();
  const res = await app.request("/check", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "payment_id=1",
  });
  assert.equal(res.status, 415);
  assert.equal((await res.json()).error.field, "content-type");
});

Deno.test("GET /check answers 405 naming POST, and an unknown path 404", async () => {
  const { app } = setup();
  const res = await app.request("/check");
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "POST");
  assert.equal((await res.json()).error.code, "method_not_allowed");
  const missing = await app.request("/checks");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "not_found");
});

Deno.test("GET /healthz and /readyz answer 200 when ready", async () => {
  const { app } = setup();
  assert.equal((await app.request("/healthz")).status, 200);
  assert.equal((await app.request("/readyz")).status, 200);
});

Deno.test("POST /check refuses an absurd amount and a malformed issue key, naming each", async () => {
  const { app } = setup();
  for (
    const [patch, field] of [
      [{ amount: 1e308 }, "amount"],
      [{ issue_key: "not a key" }, "issue_key"],
      [{ issue_key: "per-1" }, "issue_key"],
    ] as const
  ) {
    const res = await app.request(jsonRequest("POST", "/check", {
      body: {
        payment_id: "pay_1",
        customer_id: "cust_2bd806c97f",
        bank_id: "ING",
        amount: 10,
        ...patch,
      },
    }));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.field, field);
  }
});
