import assert from "node:assert/strict";
import { MAX_BODY_BYTES } from "@demo/observability";
import { jsonRequest } from "@demo/observability/testing";
import {
  clears,
  confirms,
  hangs,
  json,
  NOW,
  opensIssue,
  PAY_BODY,
  scriptedRandom,
  setup,
  unreachable,
} from "./_testing.ts";

const CREATED_AT = new Date(NOW).toISOString();
const PAYMENT_ID = /^pay_[0-9a-f]{32}$/;

async function body(response: Response): Promise<Record<string, unknown>> {
  return await response.json();
}

Deno.test("POST /pay settles a payment and answers 200 with the payment", async () => {
  const t = setup();
  const response = await t.pay();
  assert.equal(response.status, 200);
  const answer = await body(response);
  assert.match(String(answer.payment_id), PAYMENT_ID);
  assert.deepEqual(answer, {
    ok: true,
    status: "settled",
    payment_id: answer.payment_id,
    customer_id: "cust_0123456789",
    bank_id: "HSBC",
    bank_name: "HSBC",
    amount: 12.5,
    created_at: CREATED_AT,
  });
  const stored = await t.store.get(String(answer.payment_id));
  assert.equal(stored?.status, "settled");
  assert.equal(t.fraud.calls.length, 0);
  assert.equal(t.jira.calls.length, 0);
});

Deno.test("POST /pay emits payment.created, payment.settled and the latency tagged by bank", async () => {
  const t = setup();
  await t.pay({ ...PAY_BODY, bank_id: "ABN" });
  const m = t.telemetry.metrics;
  assert.equal(m.total("payment.created", { bank: "ABN" }), 1);
  assert.equal(m.total("payment.settled", { bank: "ABN" }), 1);
  assert.equal(m.total("payment.failed"), 0);
  const latency = m.records.filter((r) => r.name === "payment.settlement_latency_ms");
  assert.equal(latency.length, 1);
  assert.equal(latency[0].type, "distribution");
  assert.equal(latency[0].tags.bank, "ABN");
});

Deno.test("POST /pay logs payment_created and payment_settled with the outcome in payment_status", async () => {
  const t = setup();
  const answer = await body(await t.pay());
  const [created] = t.telemetry.logged("payment_created");
  assert.equal(created.level, "info");
  assert.equal(created.payment_id, answer.payment_id);
  assert.equal(created.customer_id, "cust_0123456789");
  const [settled] = t.telemetry.logged("payment_settled");
  assert.equal(settled.level, "info");
  assert.equal(settled.payment_status, "settled");
  assert.equal("status_field" in settled, false);
  assert.equal(t.telemetry.logged("payment_failed").length, 0);
});

Deno.test("POST /pay waits the simulated latency and records it", async () => {
  const t = setup({ config: { latencyMinMs: 30, latencyMaxMs: 30 } });
  const started = performance.now();
  assert.equal((await t.pay()).status, 200);
  assert.ok(performance.now() - started >= 29);
  const [latency] = t.telemetry.metrics.records.filter((r) =>
    r.name === "payment.settlement_latency_ms"
  );
  assert.ok(latency.value >= 29, `latency ${latency.value}`);
});

Deno.test("POST /pay declines with 402 and a contract reason when the payment fails", async () => {
  // latency, suspected fraud (no), failure (yes), reason index 1 of 4.
  const t = setup({
    config: { failRate: 0.15, suspectedFraudRate: 0.05 },
    random: scriptedRandom([0, 0.99, 0.01, 0.3]),
  });
  const response = await t.pay();
  assert.equal(response.status, 402);
  const answer = await body(response);
  assert.deepEqual(answer, {
    ok: false,
    status: "failed",
    reason: "Insufficient funds",
    payment_id: answer.payment_id,
    customer_id: "cust_0123456789",
    bank_id: "HSBC",
    bank_name: "HSBC",
    amount: 12.5,
    created_at: CREATED_AT,
  });
  assert.equal(
    t.telemetry.metrics.total("payment.failed", { reason: "Insufficient funds", bank: "HSBC" }),
    1,
  );
  assert.equal(t.telemetry.metrics.total("payment.settled"), 0);
  const [failed] = t.telemetry.logged("payment_failed");
  assert.equal(failed.level, "warn");
  assert.equal(failed.payment_status, "failed");
  assert.equal(failed.reason, "Insufficient funds");
  assert.equal((await t.store.get(String(answer.payment_id)))?.reason, "Insufficient funds");
});

Deno.test("POST /pay settles when the payment draws neither fraud nor failure", async () => {
  const t = setup({
    config: { failRate: 0.15, suspectedFraudRate: 0.05 },
    random: scriptedRandom([0, 0.5, 0.5]),
  });
  assert.equal((await t.pay()).status, 200);
  assert.equal(t.fraud.calls.length, 0);
});

Deno.test("POST /pay with suspected fraud opens an issue, asks fraud-service and settles when cleared", async () => {
  const t = setup({ config: { suspectedFraudRate: 1 }, fraud: clears });
  const response = await t.pay({ ...PAY_BODY, bank_id: "ING", amount: 99.99 });
  assert.equal(response.status, 200);
  const answer = await body(response);
  assert.equal(answer.status, "settled");
  assert.equal(t.jira.calls.length, 1);
  assert.equal(t.jira.calls[0].method, "POST");
  assert.equal(t.jira.calls[0].path, "/jira/create_suspected_fraud");
  assert.deepEqual(
    { ...t.jira.calls[0].body, trace_id: typeof t.jira.calls[0].body.trace_id },
    {
      payment_id: answer.payment_id,
      customer_id: "cust_0123456789",
      bank_id: "ING",
      amount: 99.99,
      trace_id: "string",
    },
  );
  assert.equal(t.fraud.calls.length, 1);
  assert.equal(t.fraud.calls[0].path, "/check");
  assert.deepEqual(t.fraud.calls[0].body, {
    payment_id: answer.payment_id,
    customer_id: "cust_0123456789",
    bank_id: "ING",
    amount: 99.99,
    issue_key: "PER-7",
  });
  assert.equal(t.telemetry.metrics.total("payment.settled", { bank: "ING" }), 1);
  assert.equal((await t.store.get(String(answer.payment_id)))?.issueKey, "PER-7");
});

Deno.test("POST /pay with suspected fraud fails with 'Suspected Fraud' when fraud-service confirms it", async () => {
  const t = setup({ config: { suspectedFraudRate: 1 }, fraud: confirms });
  const response = await t.pay();
  assert.equal(response.status, 402);
  const answer = await body(response);
  assert.equal(answer.status, "failed");
  assert.equal(answer.reason, "Suspected Fraud");
  assert.equal(
    t.telemetry.metrics.total("payment.failed", { reason: "Suspected Fraud", bank: "HSBC" }),
    1,
  );
  const [failed] = t.telemetry.logged("payment_failed");
  assert.equal(failed.fraud_reason, "incorrect PIN number");
  assert.equal(failed.issue_key, "PER-7");
});

Deno.test("POST /pay passes the remaining budget and request id to its peers", async () => {
  const t = setup({ config: { suspectedFraudRate: 1 } });
  await t.pay(PAY_BODY, { "x-request-budget-ms": "1500", "x-request-id": "req-123" });
  const fraudBudget = Number(t.fraud.calls[0].headers.get("x-request-budget-ms"));
  assert.ok(fraudBudget > 0 && fraudBudget <= 1500, `fraud budget ${fraudBudget}`);
  const jiraBudget = Number(t.jira.calls[0].headers.get("x-request-budget-ms"));
  assert.ok(jiraBudget > 0 && jiraBudget <= 750, `jira budget ${jiraBudget}`);
  assert.equal(t.fraud.calls[0].headers.get("x-request-id"), "req-123");
});

function assertFraudUnavailable(answer: Record<string, unknown>) {
  assert.deepEqual(answer, {
    ok: false,
    status: "failed",
    reason: "Fraud check unavailable",
    payment_id: answer.payment_id,
    customer_id: "cust_0123456789",
    bank_id: "HSBC",
    bank_name: "HSBC",
    amount: 12.5,
    created_at: CREATED_AT,
  });
}

Deno.test("POST /pay answers 503 'Fraud check unavailable' when fraud-service is unreachable", async () => {
  const t = setup({ config: { suspectedFraudRate: 1 }, fraud: unreachable });
  const response = await t.pay();
  assert.equal(response.status, 503);
  const answer = await body(response);
  assertFraudUnavailable(answer);
  const [logged] = t.telemetry.logged("fraud_call_error");
  assert.equal(logged.level, "error");
  assert.equal(logged.error_code, "upstream_unavailable");
  assert.equal(logged.payment_id, answer.payment_id);
  assert.equal(
    t.telemetry.metrics.total("payment.failed", { reason: "Fraud check unavailable" }),
    1,
  );
  const stored = await t.store.get(String(answer.payment_id));
  assert.equal(stored?.status, "failed");
  assert.equal(stored?.reason, "Fraud check unavailable");
});

Deno.test("POST /pay answers 503 'Fraud check unavailable' when fraud-service is slower than the deadline", async () => {
  const t = setup({ config: { suspectedFraudRate: 1 }, fraud: hangs });
  const started = performance.now();
  const response = await t.pay(PAY_BODY, { "x-request-budget-ms": "300" });
  const took = performance.now() - started;
  assert.equal(response.status, 503);
  assertFraudUnavailable(await body(response));
  assert.ok(took < 1000, `answered after ${took} ms`);
  assert.equal(t.telemetry.logged("fraud_call_error")[0].error_code, "upstream_timeout");
});

Deno.test("POST /pay answers 503 'Fraud check unavailable' when fraud-service answers HTML", async () => {
  const t = setup({
    config: { suspectedFraudRate: 1 },
    fraud: () =>
      new Response("<html><body>Bad Gateway</body></html>", {
        status: 200,
        headers: { "content-type": "text/html" },
      }),
  });
  const response = await t.pay();
  assert.equal(response.status, 503);
  assertFraudUnavailable(await body(response));
  assert.equal(t.telemetry.logged("fraud_call_error")[0].error_code, "upstream_bad_response");
});

Deno.test("POST /pay answers 503 'Fraud check unavailable' when fraud-service's JSON has no verdict", async () => {
  for (const reply of [json({ ok: true }), json({ ok: true, fraudulent: "no" })]) {
    const t = setup({ config: { suspectedFraudRate: 1 }, fraud: () => reply.clone() });
    const response = await t.pay();
    assert.equal(response.status, 503);
    assert.equal((await body(response)).reason, "Fraud check unavailable");
  }
});

Deno.test("POST /pay answers 503 'Fraud check unavailable' when fraud-service answers an error", async () => {
  const t = setup({
    config: { suspectedFraudRate: 1 },
    fraud: () => json({ ok: false, error: { code: "internal_error", message: "Internal" } }, 500),
  });
  const response = await t.pay();
  assert.equal(response.status, 503);
  const [logged] = t.telemetry.logged("fraud_call_error");
  assert.equal(logged.error_code, "internal_error");
  assert.equal(logged.upstream_status, 500);
});

Deno.test("POST /pay still runs the fraud check, with an empty issue key, when jira-poller is down", async () => {
  for (
    const [fraud, status, reason] of [[clears, 200, undefined], [
      confirms,
      402,
      "Suspected Fraud",
    ]] as const
  ) {
    const t = setup({ config: { suspectedFraudRate: 1 }, jira: unreachable, fraud });
    const response = await t.pay();
    assert.equal(response.status, status);
    assert.equal((await body(response)).reason, reason);
    assert.equal(t.fraud.calls.length, 1);
    assert.equal(t.fraud.calls[0].body.issue_key, "");
    const [logged] = t.telemetry.logged("jira_create_error");
    assert.equal(logged.level, "warn");
    assert.equal(logged.error_code, "upstream_unavailable");
  }
});

Deno.test("POST /pay logs jira-poller's own error code when it is not configured", async () => {
  const t = setup({
    config: { suspectedFraudRate: 1 },
    jira: () =>
      json(
        { ok: false, error: { code: "missing_config", message: "Jira is not configured" } },
        503,
      ),
  });
  assert.equal((await t.pay()).status, 200);
  const [logged] = t.telemetry.logged("jira_create_error");
  assert.equal(logged.error_code, "missing_config");
  assert.equal(logged.upstream_status, 503);
  assert.equal(t.fraud.calls[0].body.issue_key, "");
});

Deno.test("POST /pay goes on to the fraud check when jira-poller answers garbage", async () => {
  for (const reply of ["<html></html>", JSON.stringify({ ok: true, issue_key: 42 })]) {
    const t = setup({
      config: { suspectedFraudRate: 1 },
      jira: () => new Response(reply, { status: 200 }),
    });
    assert.equal((await t.pay()).status, 200);
    assert.equal(t.telemetry.logged("jira_create_error")[0].error_code, "upstream_bad_response");
    assert.equal(t.fraud.calls[0].body.issue_key, "");
  }
});

Deno.test("POST /pay with one Idempotency-Key sent 10 times at once creates one payment and answers identically", async () => {
  const t = setup({
    config: { suspectedFraudRate: 1, latencyMinMs: 20, latencyMaxMs: 20 },
    jira: opensIssue,
  });
  const headers = { "Idempotency-Key": "order-1234:attempt" };
  const responses = await Promise.all(Array.from({ length: 10 }, () => t.pay(PAY_BODY, headers)));
  const answers = await Promise.all(responses.map((r) => r.text()));
  assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]));
  assert.equal(new Set(answers).size, 1);
  assert.equal(t.store.size, 1);
  assert.equal(t.telemetry.metrics.total("payment.created"), 1);
  assert.equal(t.jira.calls.length, 1);
  assert.equal(t.fraud.calls.length, 1);
  // One answer made the payment; the nine that joined it are marked as given again.
  const replayed = responses.filter((r) => r.headers.get("idempotent-replayed") === "true");
  assert.equal(replayed.length, 9);
});

Deno.test("POST /pay retried with the same Idempotency-Key later returns the first answer, even a decline", async () => {
  const t = setup({ config: { failRate: 1 } });
  const headers = { "Idempotency-Key": "retry-1" };
  const first = await t.pay(PAY_BODY, headers);
  const firstBody = await first.text();
  assert.equal(first.status, 402);
  assert.equal(first.headers.get("idempotent-replayed"), null);
  const again = await t.pay(PAY_BODY, headers);
  assert.equal(again.status, 402);
  assert.equal(await again.text(), firstBody);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.equal(t.store.size, 1);
  assert.equal(t.telemetry.metrics.total("payment.created"), 1);
});

Deno.test("POST /pay replays a 503 'Fraud check unavailable' for the same Idempotency-Key", async () => {
  const t = setup({ config: { suspectedFraudRate: 1 }, fraud: unreachable });
  const headers = { "Idempotency-Key": "fraud-down" };
  const first = await t.pay(PAY_BODY, headers);
  const firstBody = await first.text();
  const again = await t.pay(PAY_BODY, headers);
  assert.equal(again.status, 503);
  assert.equal(await again.text(), firstBody);
  assert.equal(t.fraud.calls.length, 1);
});

Deno.test("POST /pay answers 409 idempotency_key_reused for the same key with another body", async () => {
  const t = setup();
  const headers = { "Idempotency-Key": "reused" };
  assert.equal((await t.pay(PAY_BODY, headers)).status, 200);
  const response = await t.pay({ ...PAY_BODY, amount: 13 }, headers);
  assert.equal(response.status, 409);
  const answer = await body(response);
  assert.equal((answer.error as Record<string, unknown>).code, "idempotency_key_reused");
  assert.equal((answer.error as Record<string, unknown>).field, "Idempotency-Key");
  assert.equal(t.store.size, 1);
});

Deno.test("POST /pay answers 409 for another body under a key whose payment is still running", async () => {
  const t = setup({ config: { latencyMinMs: 30, latencyMaxMs: 30 } });
  const headers = { "Idempotency-Key": "busy" };
  const [first, second] = await Promise.all([
    t.pay(PAY_BODY, headers),
    t.pay({ ...PAY_BODY, bank_id: "ING" }, headers),
  ]);
  assert.equal(first.status, 200);
  assert.equal(second.status, 409);
  await first.body?.cancel();
  await second.body?.cancel();
  assert.equal(t.store.size, 1);
});

Deno.test("POST /pay answers 503 deadline_too_short and stores nothing when the budget is too small", async () => {
  const t = setup({ config: { latencyMinMs: 0, latencyMaxMs: 150 } });
  const headers = { "x-request-budget-ms": "200", "Idempotency-Key": "short" };
  const response = await t.pay(PAY_BODY, headers);
  assert.equal(response.status, 503);
  const answer = await body(response);
  assert.equal((answer.error as Record<string, unknown>).code, "deadline_too_short");
  assert.equal(t.store.size, 0);
  assert.equal(t.telemetry.metrics.records.length, 0);
  // Nothing was created, so retrying the same key with more time goes through.
  const retry = await t.pay(PAY_BODY, { ...headers, "x-request-budget-ms": "2000" });
  assert.equal(retry.status, 200);
  assert.equal(t.store.size, 1);
});

Deno.test("POST /pay stores a final state even when processing breaks after creation", async () => {
  const t = setup({ random: scriptedRandom([0]) });
  const response = await t.pay(PAY_BODY, { "Idempotency-Key": "breaks" });
  assert.equal(response.status, 500);
  const answer = await body(response);
  assert.equal(answer.status, "failed");
  assert.equal(answer.reason, "Internal error");
  assert.equal((await t.store.get(String(answer.payment_id)))?.status, "failed");
  assert.equal(t.telemetry.logged("payment_failed")[0].level, "error");
  const again = await t.pay(PAY_BODY, { "Idempotency-Key": "breaks" });
  assert.equal(again.status, 500);
  assert.equal((await body(again)).payment_id, answer.payment_id);
});

Deno.test("POST /pay never puts ids in metric tags", async () => {
  const t = setup({ config: { suspectedFraudRate: 1 }, fraud: confirms });
  const answer = await body(await t.pay());
  for (const record of t.telemetry.metrics.records) {
    for (const value of Object.values(record.tags)) {
      assert.notEqual(value, answer.payment_id, `${record.name} carries the payment id`);
      assert.notEqual(value, "cust_0123456789", `${record.name} carries the customer id`);
    }
  }
});

const BAD_BODIES: [string, unknown, string][] = [
  ["a missing customer_id", { bank_id: "HSBC", amount: 1 }, "customer_id"],
  ["a missing bank_id", { customer_id: PAY_BODY.customer_id, amount: 1 }, "bank_id"],
  ["a missing amount", { customer_id: PAY_BODY.customer_id, bank_id: "HSBC" }, "amount"],
  ["an unknown field", { ...PAY_BODY, currency: "EUR" }, "currency"],
  ["a numeric customer_id", { ...PAY_BODY, customer_id: 123 }, "customer_id"],
  ["a malformed customer_id", { ...PAY_BODY, customer_id: "cust_XYZ" }, "customer_id"],
  ["an upper-case customer_id", { ...PAY_BODY, customer_id: "cust_0123456ABC" }, "customer_id"],
  ["an unknown bank", { ...PAY_BODY, bank_id: "MONZO" }, "bank_id"],
  ["a lower-case bank", { ...PAY_BODY, bank_id: "hsbc" }, "bank_id"],
  ["an amount of 0", { ...PAY_BODY, amount: 0 }, "amount"],
  ["a negative amount", { ...PAY_BODY, amount: -5 }, "amount"],
  ["an amount with 3 decimals", { ...PAY_BODY, amount: 1.005 }, "amount"],
  ["an amount above the maximum", { ...PAY_BODY, amount: 10_000.01 }, "amount"],
  ["a huge amount", { ...PAY_BODY, amount: 1e300 }, "amount"],
  ["an amount as a string", { ...PAY_BODY, amount: "12.50" }, "amount"],
  ["an amount of 'NaN'", { ...PAY_BODY, amount: "NaN" }, "amount"],
  ["an amount of 'Infinity'", { ...PAY_BODY, amount: "Infinity" }, "amount"],
  ["a null amount", { ...PAY_BODY, amount: null }, "amount"],
  [
    "an amount that overflows to Infinity",
    '{"customer_id":"cust_0123456789","bank_id":"HSBC","amount":1e400}',
    "amount",
  ],
  ["an array body", "[1,2]", "body"],
  ["a body that is not JSON", "amount=12.50", "body"],
  ["a bare NaN", '{"customer_id":"cust_0123456789","bank_id":"HSBC","amount":NaN}', "body"],
];

for (const [what, sent, field] of BAD_BODIES) {
  Deno.test(`POST /pay answers 400 naming '${field}' for ${what}`, async () => {
    const t = setup();
    const response = await t.pay(sent);
    assert.equal(response.status, 400);
    const answer = await body(response);
    assert.equal(answer.ok, false);
    const error = answer.error as Record<string, unknown>;
    assert.equal(error.field, field);
    assert.match(String(error.message), new RegExp(field.replace(".", "\\.")));
    assert.equal(t.store.size, 0);
    assert.equal(t.telemetry.metrics.records.length, 0);
  });
}

Deno.test("POST /pay accepts an amount with 2 decimals and the maximum amount", async () => {
  const t = setup();
  for (const amount of [0.01, 0.3, 1.1, 19.99, 4_999.95, 10_000]) {
    const response = await t.pay({ ...PAY_BODY, amount });
    assert.equal(response.status, 200, `amount ${amount}`);
    assert.equal((await body(response)).amount, amount);
  }
});

Deno.test("POST /pay honours PAYMENT_MAX_AMOUNT", async () => {
  const t = setup({ config: { maxAmount: 50 } });
  assert.equal((await t.pay({ ...PAY_BODY, amount: 50 })).status, 200);
  const response = await t.pay({ ...PAY_BODY, amount: 50.01 });
  assert.equal(response.status, 400);
  assert.match(String(((await body(response)).error as Record<string, unknown>).message), /50/);
});

for (const key of ["has space", "", "x".repeat(201), "key/with/slash"]) {
  Deno.test(`POST /pay answers 400 naming Idempotency-Key for the key ${JSON.stringify(key.slice(0, 12))}${key.length > 12 ? "…" : ""}`, async () => {
    const t = setup();
    const response = await t.pay(PAY_BODY, { "Idempotency-Key": key });
    assert.equal(response.status, 400);
    const error = (await body(response)).error as Record<string, unknown>;
    assert.equal(error.field, "Idempotency-Key");
    assert.equal(t.store.size, 0);
  });
}

Deno.test("POST /pay answers 415 naming content-type for a body that is not declared JSON", async () => {
  const t = setup();
  const response = await t.app.request("/pay", {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: JSON.stringify(PAY_BODY),
  });
  assert.equal(response.status, 415);
  assert.equal(((await body(response)).error as Record<string, unknown>).field, "content-type");
});

Deno.test("POST /pay answers 413 naming body for an oversized body", async () => {
  const t = setup();
  const response = await t.pay({ ...PAY_BODY, padding: "x".repeat(MAX_BODY_BYTES) });
  assert.equal(response.status, 413);
  assert.equal(((await body(response)).error as Record<string, unknown>).field, "body");
  assert.equal(t.store.size, 0);
});

Deno.test("GET /banks lists the eight contract banks with their names", async () => {
  const t = setup();
  const response = await t.app.request("/banks");
  assert.equal(response.status, 200);
  const answer = await body(response);
  assert.equal(answer.ok, true);
  const banks = answer.banks as { bank_id: string; bank_name: string }[];
  assert.deepEqual(banks.map((b) => b.bank_id), [
    "FNB",
    "ABN",
    "RABO",
    "HSBC",
    "JPMC",
    "ING",
    "BARC",
    "CITI",
  ]);
  assert.deepEqual(banks.find((b) => b.bank_id === "JPMC"), {
    bank_id: "JPMC",
    bank_name: "JP Morgan Chase",
  });
});

Deno.test("GET /payments/:id returns a stored payment", async () => {
  const t = setup({ config: { failRate: 1 } });
  const paid = await body(await t.pay());
  const response = await t.app.request(`/payments/${paid.payment_id}`);
  assert.equal(response.status, 200);
  const answer = await body(response);
  assert.deepEqual(answer, {
    ok: true,
    payment: {
      payment_id: paid.payment_id,
      customer_id: "cust_0123456789",
      bank_id: "HSBC",
      bank_name: "HSBC",
      amount: 12.5,
      status: "failed",
      reason: paid.reason,
      created_at: CREATED_AT,
      finished_at: CREATED_AT,
    },
  });
});

Deno.test("GET /payments/:id answers 404 for an unknown id and 400 for a malformed one", async () => {
  const t = setup();
  const unknown = await t.app.request(`/payments/pay_${"0".repeat(32)}`);
  assert.equal(unknown.status, 404);
  assert.equal(((await body(unknown)).error as Record<string, unknown>).code, "payment_not_found");
  const malformed = await t.app.request("/payments/not-an-id");
  assert.equal(malformed.status, 400);
  assert.equal(((await body(malformed)).error as Record<string, unknown>).field, "payment_id");
});

Deno.test("GET /payments lists a customer's payments newest first, up to limit", async () => {
  const t = setup();
  const ids: unknown[] = [];
  for (const amount of [1, 2, 3]) {
    ids.push((await body(await t.pay({ ...PAY_BODY, amount }))).payment_id);
  }
  await t.pay({ ...PAY_BODY, customer_id: "cust_aaaaaaaaaa" });
  const response = await t.app.request("/payments?customer_id=cust_0123456789&limit=2");
  assert.equal(response.status, 200);
  const answer = await body(response);
  const payments = answer.payments as Record<string, unknown>[];
  assert.deepEqual(payments.map((p) => p.payment_id), [ids[2], ids[1]]);
  const all = await body(await t.app.request("/payments?customer_id=cust_0123456789"));
  assert.equal((all.payments as unknown[]).length, 3);
});

for (
  const [query, field] of [
    ["", "customer_id"],
    ["?customer_id=bob", "customer_id"],
    ["?customer_id=cust_0123456789&limit=0", "limit"],
    ["?customer_id=cust_0123456789&limit=101", "limit"],
    ["?customer_id=cust_0123456789&limit=ten", "limit"],
    ["?customer_id=cust_0123456789&limit=", "limit"],
  ] as const
) {
  Deno.test(`GET /payments${query} answers 400 naming ${field}`, async () => {
    const t = setup();
    const response = await t.app.request(`/payments${query}`);
    assert.equal(response.status, 400);
    assert.equal(((await body(response)).error as Record<string, unknown>).field, field);
  });
}

Deno.test("the store bound evicts the oldest payment first", async () => {
  const t = setup({ config: { storeMaxEntries: 2 } });
  const ids: unknown[] = [];
  for (const amount of [1, 2, 3]) {
    ids.push((await body(await t.pay({ ...PAY_BODY, amount }))).payment_id);
  }
  assert.equal(t.store.size, 2);
  assert.equal((await t.app.request(`/payments/${ids[0]}`)).status, 404);
  assert.equal((await t.app.request(`/payments/${ids[1]}`)).status, 200);
  assert.equal((await t.app.request(`/payments/${ids[2]}`)).status, 200);
});

Deno.test("GET /healthz and /readyz answer 200", async () => {
  const t = setup();
  assert.equal((await t.app.request("/healthz")).status, 200);
  assert.equal((await t.app.request("/readyz")).status, 200);
});

Deno.test("an unknown route answers the 404 envelope, a known one asked wrongly 405", async () => {
  const t = setup();
  const missing = await t.app.request(jsonRequest("POST", "/refunds", { body: {} }));
  assert.equal(missing.status, 404);
  assert.equal((await body(missing)).ok, false);
  const wrong = await t.app.request(jsonRequest("POST", "/payments", { body: {} }));
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "GET, HEAD");
  assert.equal(((await body(wrong)).error as { code: string }).code, "method_not_allowed");
});
