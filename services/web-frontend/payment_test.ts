import assert from "node:assert/strict";
import { HttpError } from "@demo/observability";
import {
  assistantAnswer,
  assistantPrompt,
  bankTag,
  idempotencyKeyFrom,
  nextStep,
  paymentOutcome,
  paymentOutcomeUnknown,
  scopedIdempotencyKey,
  wholeSentences,
} from "./payment.ts";

Deno.test("idempotencyKeyFrom() keeps a valid key and generates one when absent", () => {
  assert.equal(idempotencyKeyFrom("Ab0_.:-"), "Ab0_.:-");
  assert.equal(idempotencyKeyFrom("k".repeat(100)), "k".repeat(100));
  assert.equal(idempotencyKeyFrom(undefined, () => "generated"), "generated");
});

Deno.test("idempotencyKeyFrom() rejects a malformed key with a 400 naming the header", () => {
  for (const bad of ["", " ", "a/b", "k".repeat(101), "a\nb"]) {
    assert.throws(() => idempotencyKeyFrom(bad), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 400);
      assert.equal(error.field, "Idempotency-Key");
      return true;
    });
  }
});

Deno.test("scopedIdempotencyKey() prefixes the customer", () => {
  assert.equal(scopedIdempotencyKey("cust_0123456789", "k1"), "cust_0123456789:k1");
});

Deno.test("bankTag() lets only contract banks become tag values", () => {
  assert.equal(bankTag("RABO"), "RABO");
  assert.equal(bankTag("rabo"), "unknown");
  assert.equal(bankTag("<script>"), "unknown");
  assert.equal(bankTag(undefined), "unknown");
});

Deno.test("paymentOutcome() classifies payment-service's answers", () => {
  assert.deepEqual(paymentOutcome(200, { payment_id: "p1", status: "settled" }), {
    kind: "settled",
    paymentId: "p1",
  });
  assert.deepEqual(paymentOutcome(402, { payment_id: "p1", reason: "Invalid recipient" }), {
    kind: "failed",
    paymentId: "p1",
    reason: "Invalid recipient",
  });
  assert.deepEqual(
    paymentOutcome(503, { payment_id: "p1", status: "failed", reason: "Fraud check unavailable" }),
    { kind: "failed", paymentId: "p1", reason: "Fraud check unavailable" },
  );
  assert.deepEqual(
    paymentOutcome(409, { error: { code: "idempotency_key_reused", message: "m" } }),
    { kind: "refused", reason: "idempotency_key_reused", field: undefined },
  );
  assert.deepEqual(
    paymentOutcome(503, { error: { code: "deadline_too_short", message: "m" } }),
    { kind: "refused", reason: "deadline_too_short", field: undefined },
  );
  assert.deepEqual(paymentOutcome(500, {}), { kind: "unknown" });
  assert.deepEqual(paymentOutcome(504, {}), { kind: "unknown" });
});

Deno.test("paymentOutcomeUnknown() tells the user to retry with the same key, never that it failed", () => {
  const error = paymentOutcomeUnknown("k1", 504);
  assert.equal(error.status, 504);
  assert.equal(error.code, "payment_outcome_unknown");
  assert.deepEqual(error.details, { idempotency_key: "k1" });
  assert.match(error.message, /may still complete/);
  assert.doesNotMatch(error.message, /fail/i);
});

Deno.test("assistantPrompt() leads with the payment's facts and next step, then asks to summarize", () => {
  const prompt = assistantPrompt({
    payment_id: "pay_9",
    status: "settled",
    bank_id: "JPMC",
    bank_name: "JP Morgan Chase",
    amount: 1234.5,
    created_at: "2026-01-01T00:00:00Z",
  });
  assert.equal(
    prompt,
    "Payment pay_9 of 1,234.50 to JP Morgan Chase settled. No action is needed." +
      " Please summarize this payment for the customer.",
  );
  const failed = assistantPrompt(
    { payment_id: "p", status: "failed", reason: "Insufficient funds" },
    "Why?",
  );
  assert.equal(
    failed,
    "Payment p to an unknown bank failed: insufficient funds. Add funds or pay a smaller amount." +
      " Please summarize this payment for the customer, who asks: Why?",
  );
  // The simulated model says the first 160 characters: the facts of the longest bank and
  // reason of the contract, with a 32-hex payment id, fit in them.
  const longest = assistantPrompt({
    payment_id: `pay_${"f".repeat(32)}`,
    status: "failed",
    reason: "incorrect card details",
    bank_name: "ABN AMRO Bank",
    amount: 9999.99,
  });
  assert.ok(longest.indexOf(" Please summarize") <= 160, longest);
});

Deno.test("nextStep() suggests what to do for each failure reason of the contract", () => {
  for (
    const reason of [
      "Request timeout",
      "Insufficient funds",
      "Invalid recipient",
      "incorrect card details",
      "Suspected Fraud",
    ]
  ) {
    assert.ok(nextStep("failed", reason), reason);
  }
  assert.equal(nextStep("failed", "something new"), undefined);
  assert.equal(nextStep("settled", undefined), "No action is needed.");
});

Deno.test("assistantAnswer() leaves out an echo of the gateway's request to the model", () => {
  const prompt = assistantPrompt({
    payment_id: "p",
    status: "settled",
    bank_name: "ING",
    amount: 1,
  });
  assert.equal(
    assistantAnswer(`Summary: ${prompt}`),
    "Summary: Payment p of 1.00 to ING settled. No action is needed.",
  );
  const asked = assistantPrompt({ payment_id: "p", status: "settled" }, "Is it done? Really?");
  assert.equal(
    assistantAnswer(`Summary: ${asked}`),
    "Summary: Payment p to an unknown bank settled. No action is needed.",
  );
  // An answer that is not an echo is only cut after its last whole sentence.
  assert.equal(assistantAnswer("It settled on time. Then"), "It settled on time.");
});

Deno.test("wholeSentences() cuts an answer after its last whole sentence", () => {
  assert.equal(
    wholeSentences("Summary: It settled. No action. Please summ"),
    "Summary: It settled. No action.",
  );
  assert.equal(wholeSentences("  Done.  "), "Done.");
  assert.equal(wholeSentences("Paid 10,000.00 to ING and then"), "Paid 10,000.00 to ING and then…");
  assert.equal(wholeSentences("Is it? Yes! Then"), "Is it? Yes!");
});
