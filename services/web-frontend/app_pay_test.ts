import assert from "node:assert/strict";
import { jsonRequest } from "@demo/observability/testing";
import {
  createTestGateway,
  CUSTOMER,
  htmlPage,
  neverAnswers,
  OTHER_CUSTOMER,
  type PeerHandler,
  unreachable,
} from "./_testing.ts";

const SETTLED = {
  ok: true,
  status: "settled",
  payment_id: "pay_1",
  customer_id: CUSTOMER,
  bank_id: "HSBC",
  bank_name: "HSBC",
  amount: 12.5,
  created_at: "2026-01-01T00:00:00.000Z",
};
const DECLINED = { ...SETTLED, ok: false, status: "failed", reason: "Insufficient funds" };
const FRAUD_UNAVAILABLE = { ...DECLINED, reason: "Fraud check unavailable" };

function answers(body: unknown, status = 200): PeerHandler {
  return () => Response.json(body, { status });
}

async function pay(
  gw: Awaited<ReturnType<typeof createTestGateway>>,
  body: unknown = { bank_id: "HSBC", amount: 12.5 },
  headers: Record<string, string> = {},
) {
  const cookie = await gw.cookieFor();
  return gw.app.request(jsonRequest("POST", "/api/pay", { body, headers: { cookie, ...headers } }));
}

Deno.test("POST /api/pay forwards the customer's payment and passes a settlement through", async () => {
  const gw = await createTestGateway({ payments: answers(SETTLED) });
  const res = await pay(gw, undefined, { "idempotency-key": "k-1" });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), SETTLED);
  const [sent] = gw.seen.payments;
  assert.equal(sent.method, "POST");
  assert.equal(sent.path, "/pay");
  assert.deepEqual(sent.body, { customer_id: CUSTOMER, bank_id: "HSBC", amount: 12.5 });
  assert.ok(Number(sent.headers.get("x-request-budget-ms")) > 0, "the budget travels along");
  assert.equal(gw.telemetry.metrics.total("web.payment.ok", { bank: "HSBC" }), 1);
  assert.equal(gw.telemetry.metrics.total("web.payment.error"), 0);
  const [line] = gw.telemetry.logged("payment_ok");
  assert.equal(line.payment_id, "pay_1");
  assert.equal(line.customer_id, CUSTOMER);
});

Deno.test("POST /api/pay scopes the Idempotency-Key to the customer", async () => {
  const gw = await createTestGateway({ payments: answers(SETTLED) });
  const res = await pay(gw, undefined, { "idempotency-key": "abc_1.2:3-4" });
  assert.equal(gw.seen.payments[0].headers.get("idempotency-key"), `${CUSTOMER}:abc_1.2:3-4`);
  assert.equal(res.headers.get("idempotency-key"), "abc_1.2:3-4");
  // Another customer with the same key reaches payment-service with a different key.
  const other = await gw.cookieFor(OTHER_CUSTOMER, "bob");
  await gw.app.request(jsonRequest("POST", "/api/pay", {
    body: { bank_id: "HSBC", amount: 1 },
    headers: { cookie: other, "idempotency-key": "abc_1.2:3-4" },
  }));
  assert.equal(gw.seen.payments[1].headers.get("idempotency-key"), `${OTHER_CUSTOMER}:abc_1.2:3-4`);
});

Deno.test("POST /api/pay generates an Idempotency-Key when the browser sends none", async () => {
  const gw = await createTestGateway({ payments: answers(SETTLED) });
  const res = await pay(gw);
  const key = res.headers.get("idempotency-key") ?? "";
  assert.match(key, /^[0-9a-f-]{36}$/);
  assert.equal(gw.seen.payments[0].headers.get("idempotency-key"), `${CUSTOMER}:${key}`);
});

for (const key of ["", "has space", "semi;colon", "x".repeat(101), "ünïcode"]) {
  Deno.test(`POST /api/pay answers 400 naming Idempotency-Key for ${JSON.stringify(key.slice(0, 12))}`, async () => {
    const gw = await createTestGateway({ payments: answers(SETTLED) });
    // Header values must be ByteStrings: send non-Latin-1 keys as their UTF-8 bytes.
    const raw = String.fromCharCode(...new TextEncoder().encode(key));
    const res = await pay(gw, undefined, { "idempotency-key": raw });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.field, "Idempotency-Key");
    assert.equal(gw.seen.payments.length, 0);
  });
}

Deno.test("POST /api/pay passes a declined payment (402) through and logs payment_failed", async () => {
  const gw = await createTestGateway({ payments: answers(DECLINED, 402) });
  const res = await pay(gw);
  assert.equal(res.status, 402);
  // With what the customer can do about it, for the UI to show under the reason.
  assert.deepEqual(await res.json(), {
    ...DECLINED,
    next_step: "Add funds or pay a smaller amount.",
  });
  assert.equal(gw.telemetry.metrics.total("web.payment.error", { bank: "HSBC" }), 1);
  assert.equal(gw.telemetry.metrics.total("web.payment.ok"), 0);
  const [line] = gw.telemetry.logged("payment_failed");
  assert.equal(line.level, "warn");
  assert.equal(line.payment_status, "failed");
  assert.equal(line.reason, "Insufficient funds");
  assert.equal(line.payment_id, "pay_1");
  assert.equal("status" in line, false, "the outcome never lands in the reserved status field");
});

Deno.test("POST /api/pay passes a 503 'Fraud check unavailable' payment through", async () => {
  const gw = await createTestGateway({ payments: answers(FRAUD_UNAVAILABLE, 503) });
  const res = await pay(gw);
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), {
    ...FRAUD_UNAVAILABLE,
    next_step: "Nothing was paid; try again in a moment.",
  });
  assert.equal(gw.telemetry.logged("payment_failed")[0].reason, "Fraud check unavailable");
  assert.equal(gw.telemetry.metrics.total("web.payment.error", { bank: "HSBC" }), 1);
});

Deno.test("POST /api/pay passes payment-service's 400 through with the same field", async () => {
  const envelope = {
    ok: false,
    error: {
      code: "invalid_request",
      message: "Invalid 'bank_id': unknown bank",
      field: "bank_id",
      requestId: "r1",
    },
  };
  const gw = await createTestGateway({ payments: answers(envelope, 400) });
  const res = await pay(gw, { bank_id: "<script>", amount: 1 });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), envelope);
  // A made-up bank never becomes a metric tag value.
  assert.equal(gw.telemetry.metrics.total("web.payment.error", { bank: "unknown" }), 1);
  assert.equal(gw.telemetry.logged("payment_failed")[0].field, "bank_id");
});

for (
  const [label, body, field] of [
    ["a missing bank_id", { amount: 1 }, "bank_id"],
    ["an empty bank_id", { bank_id: "", amount: 1 }, "bank_id"],
    ["an amount given as a string", { bank_id: "ING", amount: "10" }, "amount"],
    ["a zero amount", { bank_id: "ING", amount: 0 }, "amount"],
    ["a negative amount", { bank_id: "ING", amount: -5 }, "amount"],
    [
      "a customer_id smuggled in",
      { bank_id: "ING", amount: 1, customer_id: OTHER_CUSTOMER },
      "customer_id",
    ],
    ["a JSON array", [1, 2], "body"],
  ] as const
) {
  Deno.test(`POST /api/pay answers 400 naming the field for ${label}`, async () => {
    const gw = await createTestGateway({ payments: answers(SETTLED) });
    const res = await pay(gw, body);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.field, field);
    assert.equal(gw.seen.payments.length, 0);
  });
}

Deno.test("POST /api/pay answers 401 not_logged_in without a session and pays nothing", async () => {
  const gw = await createTestGateway({ payments: answers(SETTLED) });
  const res = await gw.app.request(
    jsonRequest("POST", "/api/pay", { body: { bank_id: "HSBC", amount: 1 } }),
  );
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, "not_logged_in");
  assert.equal(gw.seen.payments.length, 0);
});

Deno.test("POST /api/pay answers 504 payment_outcome_unknown when payment-service is slower than the budget", async () => {
  const gw = await createTestGateway({ payments: neverAnswers, budgetMs: 150 });
  const started = Date.now();
  const res = await pay(gw, undefined, { "idempotency-key": "retry-me" });
  assert.ok(Date.now() - started < 2000, "the budget bounds the wait");
  assert.equal(res.status, 504);
  const json = await res.json();
  assert.equal(json.ok, false);
  assert.equal(json.error.code, "payment_outcome_unknown");
  assert.equal(json.error.idempotency_key, "retry-me");
  assert.match(json.error.message, /may still complete/);
  assert.match(json.error.message, /same Idempotency-Key/);
  assert.doesNotMatch(JSON.stringify(json), /fail/i, "it never says the payment failed");
  assert.equal(gw.telemetry.logged("payment_upstream_error").length, 1);
  assert.equal(gw.telemetry.metrics.total("web.payment.error", { bank: "HSBC" }), 1);
});

Deno.test("POST /api/pay answers 504 payment_outcome_unknown when payment-service is unreachable", async () => {
  const gw = await createTestGateway({ payments: unreachable });
  const res = await pay(gw);
  assert.equal(res.status, 504);
  const json = await res.json();
  assert.equal(json.error.code, "payment_outcome_unknown");
  assert.doesNotMatch(JSON.stringify(json), /fail/i);
});

for (
  const [label, handler] of [
    ["an HTML page", htmlPage],
    ["an empty body", () => new Response("", { status: 200 })],
    [
      "a 500 envelope",
      answers({ ok: false, error: { code: "internal_error", message: "x" } }, 500),
    ],
  ] as const
) {
  Deno.test(`POST /api/pay answers 502 payment_outcome_unknown when payment-service answers ${label}`, async () => {
    const gw = await createTestGateway({ payments: handler as PeerHandler });
    const res = await pay(gw);
    assert.equal(res.status, 502);
    const json = await res.json();
    assert.equal(json.error.code, "payment_outcome_unknown");
    assert.doesNotMatch(JSON.stringify(json), /fail/i);
    assert.equal(gw.telemetry.logged("payment_upstream_error").length, 1);
  });
}

Deno.test("POST /api/pay answers 408 for a body that stops arriving, and sends and counts nothing", async () => {
  const gw = await createTestGateway({ payments: answers(SETTLED), budgetMs: 150 });
  const cookie = await gw.cookieFor();
  const stalled = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(new TextEncoder().encode('{"bank_id":"HSBC",')),
  });
  const res = await gw.app.request("/api/pay", {
    method: "POST",
    body: stalled,
    headers: { cookie, "content-type": "application/json", "idempotency-key": "slow-1" },
  });
  assert.equal(res.status, 408);
  assert.equal((await res.json()).error.code, "request_timeout");
  assert.equal(gw.seen.payments.length, 0);
  assert.equal(gw.telemetry.metrics.total("web.payment.error"), 0);
  assert.equal(gw.telemetry.logged("payment_upstream_error").length, 0);
});

Deno.test("POST /api/pay ignores a browser's x-request-budget-ms: the gateway keeps its own", async () => {
  const gw = await createTestGateway({ payments: answers(SETTLED) });
  const res = await pay(gw, undefined, { "x-request-budget-ms": "0" });
  assert.equal(res.status, 200);
  assert.ok(Number(gw.seen.payments[0].headers.get("x-request-budget-ms")) > 1000);
});

Deno.test("POST /api/pay passes a replayed answer on without counting or logging another payment", async () => {
  const gw = await createTestGateway({
    payments: () => Response.json(SETTLED, { headers: { "Idempotent-Replayed": "true" } }),
  });
  const res = await pay(gw, undefined, { "idempotency-key": "k-again" });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), SETTLED);
  assert.equal(res.headers.get("idempotent-replayed"), "true");
  assert.equal(gw.telemetry.metrics.total("web.payment.ok"), 0);
  assert.equal(gw.telemetry.metrics.total("web.payment.error"), 0);
  assert.equal(
    gw.telemetry.metrics.total("web.payment.replayed", { bank: "HSBC", payment_status: "settled" }),
    1,
  );
  assert.equal(gw.telemetry.logged("payment_ok").length, 0);
  const [line] = gw.telemetry.logged("payment_replayed");
  assert.equal(line.payment_id, "pay_1");
  assert.equal(line.payment_status, "settled");
});

Deno.test("POST /api/pay answers 503 deadline_exceeded, not outcome unknown, when no time is left to send it", async () => {
  // A zero budget: the body is read (it is already here) but no time is left for the call.
  const gw = await createTestGateway({ payments: answers(SETTLED), budgetMs: 0 });
  const res = await pay(gw, undefined, { "idempotency-key": "late-1" });
  assert.equal(res.status, 503);
  const json = await res.json();
  assert.equal(json.error.code, "deadline_exceeded");
  assert.equal(json.error.idempotency_key, "late-1");
  assert.match(json.error.message, /not sent/);
  assert.equal(gw.seen.payments.length, 0, "nothing reached payment-service");
  assert.equal(gw.telemetry.logged("payment_not_sent").length, 1);
  assert.equal(gw.telemetry.logged("payment_upstream_error").length, 0);
});
