import assert from "node:assert/strict";
import { type Bank, createBankCache } from "./banks.ts";

const BANKS: Bank[] = [{ bank_id: "ING", bank_name: "ING" }];

Deno.test("createBankCache() loads once within the TTL and again after it", async () => {
  let now = 0;
  let loads = 0;
  const cache = createBankCache({ ttlMs: 1000, now: () => now });
  const load = () => Promise.resolve((loads++, BANKS));
  assert.deepEqual(await cache.get(load), BANKS);
  now = 999;
  await cache.get(load);
  assert.equal(loads, 1);
  now = 1000;
  await cache.get(load);
  assert.equal(loads, 2);
});

Deno.test("createBankCache() shares one load between concurrent misses", async () => {
  let loads = 0;
  const cache = createBankCache({ ttlMs: 1000 });
  const load = () =>
    new Promise<Bank[]>((resolve) => setTimeout(() => resolve((loads++, BANKS)), 5));
  const results = await Promise.all([cache.get(load), cache.get(load), cache.get(load)]);
  assert.equal(loads, 1);
  assert.deepEqual(results, [BANKS, BANKS, BANKS]);
});

Deno.test("createBankCache() does not keep a failed load", async () => {
  const cache = createBankCache({ ttlMs: 1000 });
  await assert.rejects(cache.get(() => Promise.reject(new Error("down"))), /down/);
  assert.deepEqual(await cache.get(() => Promise.resolve(BANKS)), BANKS);
});
