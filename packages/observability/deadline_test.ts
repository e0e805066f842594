import assert from "node:assert/strict";
import { Deadline } from "./deadline.ts";
import { createRandom } from "./random.ts";

Deno.test("Deadline.fromHeader() takes the caller's budget capped by our own", () => {
  const now = Date.now();
  assert.ok(Math.abs(Deadline.fromHeader("300", 1000).remaining(now) - 300) <= 5);
  assert.ok(Math.abs(Deadline.fromHeader("5000", 1000).remaining(now) - 1000) <= 5);
  assert.ok(Math.abs(Deadline.fromHeader("garbage", 1000).remaining(now) - 1000) <= 5);
  assert.ok(Math.abs(Deadline.fromHeader("-5", 1000).remaining(now) - 1000) <= 5);
});

Deno.test("Deadline.shrink() keeps back a reserve and never goes negative", () => {
  const deadline = new Deadline(100);
  assert.ok(deadline.shrink(40).remaining() <= 60);
  assert.equal(deadline.shrink(500).remaining(), 0);
  assert.equal(deadline.shrink(500).expired, true);
});

Deno.test("createRandom() with a seed repeats the same sequence", () => {
  const a = createRandom(42);
  const b = createRandom(42);
  const seqA = Array.from({ length: 5 }, () => a.next());
  const seqB = Array.from({ length: 5 }, () => b.next());
  assert.deepEqual(seqA, seqB);
  assert.ok(seqA.every((n) => n >= 0 && n < 1));
  assert.notDeepEqual(seqA, Array.from({ length: 5 }, () => createRandom(43).next()));
});

Deno.test("createRandom() chance() follows the rate", () => {
  const r = createRandom(7);
  const hits = Array.from({ length: 10_000 }, () => r.chance(0.15)).filter(Boolean).length;
  assert.ok(hits > 1300 && hits < 1700, `hits ${hits}`);
  assert.equal(createRandom(1).chance(0), false);
  assert.equal(createRandom(1).chance(1), true);
});
