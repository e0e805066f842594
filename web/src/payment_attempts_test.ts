/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import type { PayOutcome, PayRequest } from "./api.ts";
import { ApiError } from "./api.ts";
import { createPaymentAttempts } from "./payment_attempts.ts";

const UNKNOWN: PayOutcome = { kind: "unknown", message: "Check again" };
const SETTLED: PayOutcome = {
  kind: "settled",
  payment_id: "pay_1",
  bank_id: "ING",
  bank_name: "ING",
  amount: 5,
};

/** A sender answering the given outcomes in turn, recording each call. */
function scripted(...outcomes: Array<PayOutcome | Error>) {
  const calls: Array<{ request: PayRequest; key: string }> = [];
  const send = (request: PayRequest, key: string) => {
    calls.push({ request, key });
    const next = outcomes.shift();
    if (!next) throw new Error("No scripted outcome left");
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  let counter = 0;
  const attempts = createPaymentAttempts(send, () => `key-${++counter}`);
  return { attempts, calls };
}

Deno.test("submit() uses a fresh idempotency key for every attempt", async () => {
  const { attempts, calls } = scripted(SETTLED, SETTLED);
  await attempts.submit({ bank_id: "ING", amount: 5 });
  await attempts.submit({ bank_id: "ING", amount: 5 });
  assert.deepEqual(calls.map((call) => call.key), ["key-1", "key-2"]);
});

Deno.test("checkAgain() repeats the unknown attempt with the same key and body", async () => {
  const { attempts, calls } = scripted(UNKNOWN, UNKNOWN, SETTLED);
  assert.equal((await attempts.submit({ bank_id: "RABO", amount: 7.5 })).kind, "unknown");
  assert.equal((await attempts.checkAgain()).kind, "unknown");
  assert.equal((await attempts.checkAgain()).kind, "settled");
  assert.deepEqual(calls, [
    { request: { bank_id: "RABO", amount: 7.5 }, key: "key-1" },
    { request: { bank_id: "RABO", amount: 7.5 }, key: "key-1" },
    { request: { bank_id: "RABO", amount: 7.5 }, key: "key-1" },
  ]);
  assert.equal(attempts.pending, undefined);
});

Deno.test("a new payment after an unknown outcome drops the old key", async () => {
  const { attempts, calls } = scripted(UNKNOWN, SETTLED);
  await attempts.submit({ bank_id: "ING", amount: 1 });
  assert.equal(attempts.pending?.idempotencyKey, "key-1");
  await attempts.submit({ bank_id: "ING", amount: 2 });
  assert.equal(calls[1].key, "key-2");
  assert.equal(attempts.pending, undefined);
});

Deno.test("checkAgain() rejects when no payment has an unknown outcome", async () => {
  const { attempts, calls } = scripted(SETTLED);
  await attempts.submit({ bank_id: "ING", amount: 1 });
  await assert.rejects(attempts.checkAgain(), /no payment has an unknown outcome/);
  assert.equal(calls.length, 1);
});

Deno.test("a refused request leaves nothing to check again", async () => {
  const { attempts } = scripted(new ApiError(400, "invalid_request", "bank_id: unknown bank"));
  await assert.rejects(attempts.submit({ bank_id: "NOPE", amount: 1 }), ApiError);
  assert.equal(attempts.pending, undefined);
});

Deno.test("reset() forgets the unknown attempt", async () => {
  const { attempts } = scripted(UNKNOWN);
  await attempts.submit({ bank_id: "ING", amount: 1 });
  attempts.reset();
  assert.equal(attempts.pending, undefined);
});
