import assert from "node:assert/strict";
import { Histogram, median } from "./histogram.ts";

Deno.test("Histogram percentiles are within 2% of the exact values", () => {
  const h = new Histogram();
  for (let i = 1; i <= 1000; i++) h.record(i);
  assert.equal(h.count, 1000);
  assert.ok(Math.abs(h.percentile(50) - 500) / 500 <= 0.02, `p50 ${h.percentile(50)}`);
  assert.ok(Math.abs(h.percentile(99) - 990) / 990 <= 0.02, `p99 ${h.percentile(99)}`);
  assert.equal(h.percentile(100), 1000);
  assert.equal(h.max, 1000);
  assert.equal(h.mean, 500.5);
});

Deno.test("Histogram merge() and reset() combine and clear counts", () => {
  const a = new Histogram();
  const b = new Histogram();
  a.record(1);
  b.record(100);
  a.merge(b);
  assert.equal(a.count, 2);
  assert.equal(a.max, 100);
  a.reset();
  assert.equal(a.count, 0);
  assert.equal(a.percentile(99), 0);
});

Deno.test("median() takes the middle value, or the mean of the two middle ones", () => {
  assert.equal(median([0.3, 0.1, 0.2]), 0.2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});
