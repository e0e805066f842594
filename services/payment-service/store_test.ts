import assert from "node:assert/strict";
import { createMemoryPaymentStore, type Payment } from "./store.ts";

function payment(n: number, overrides: Partial<Payment> = {}): Payment {
  return {
    id: `pay_${String(n).padStart(32, "0")}`,
    customerId: "cust_0123456789",
    bankId: "HSBC",
    amount: n,
    status: "pending",
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    ...overrides,
  };
}

Deno.test("createMemoryPaymentStore() stores, finds and updates a payment", async () => {
  const store = createMemoryPaymentStore({ maxEntries: 10 });
  await store.create(payment(1, { idempotencyKey: "k1", requestFingerprint: "f" }));
  assert.equal((await store.get(payment(1).id))?.amount, 1);
  assert.equal((await store.findByIdempotencyKey("k1"))?.id, payment(1).id);
  assert.equal(await store.findByIdempotencyKey("k2"), undefined);
  const updated = await store.update(payment(1).id, { status: "settled" });
  assert.equal(updated?.status, "settled");
  assert.equal((await store.findByIdempotencyKey("k1"))?.status, "settled");
  assert.equal(await store.update(payment(2).id, { status: "settled" }), undefined);
});

Deno.test("createMemoryPaymentStore() rejects a duplicate id or idempotency key", async () => {
  const store = createMemoryPaymentStore({ maxEntries: 10 });
  await store.create(payment(1, { idempotencyKey: "k" }));
  await assert.rejects(store.create(payment(1)), /exists/);
  await assert.rejects(store.create(payment(2, { idempotencyKey: "k" })), /idempotency key/);
  assert.equal(store.size, 1);
});

Deno.test("createMemoryPaymentStore() evicts the oldest payment and its idempotency record first", async () => {
  const store = createMemoryPaymentStore({ maxEntries: 3 });
  for (let n = 1; n <= 5; n++) await store.create(payment(n, { idempotencyKey: `k${n}` }));
  // Updating an old payment must not make it younger.
  await store.update(payment(3).id, { status: "settled" });
  await store.create(payment(6, { idempotencyKey: "k6" }));
  assert.equal(store.size, 3);
  for (const n of [1, 2, 3]) {
    assert.equal(await store.get(payment(n).id), undefined, `payment ${n} was kept`);
    assert.equal(await store.findByIdempotencyKey(`k${n}`), undefined);
  }
  for (const n of [4, 5, 6]) assert.equal((await store.get(payment(n).id))?.amount, n);
  const listed = await store.listByCustomer("cust_0123456789", 10);
  assert.deepEqual(listed.map((p) => p.amount), [6, 5, 4]);
});

Deno.test("createMemoryPaymentStore() lists one customer's payments newest first, up to limit", async () => {
  const store = createMemoryPaymentStore({ maxEntries: 10 });
  await store.create(payment(1));
  await store.create(payment(2, { customerId: "cust_aaaaaaaaaa" }));
  await store.create(payment(3));
  await store.create(payment(4));
  assert.deepEqual(
    (await store.listByCustomer("cust_0123456789", 2)).map((p) => p.amount),
    [4, 3],
  );
  assert.deepEqual(
    (await store.listByCustomer("cust_aaaaaaaaaa", 20)).map((p) => p.amount),
    [2],
  );
  assert.deepEqual(await store.listByCustomer("cust_bbbbbbbbbb", 20), []);
});

Deno.test("createMemoryPaymentStore() refuses a bound that is not a positive integer", () => {
  assert.throws(() => createMemoryPaymentStore({ maxEntries: 0 }), /maxEntries/);
});
