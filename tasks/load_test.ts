import assert from "node:assert/strict";
import { parseLoadArgs } from "./load.ts";

Deno.test("parseLoadArgs() reads --warm-up in seconds, 0 by default", () => {
  const plain = parseLoadArgs([]);
  assert.ok(plain !== "help");
  assert.equal(plain.warmUpMs, 0);
  assert.equal(plain.durationMs, 60_000);
  const warmed = parseLoadArgs(["--warm-up", "5", "--duration", "20"]);
  assert.ok(warmed !== "help");
  assert.equal(warmed.warmUpMs, 5_000);
  assert.equal(warmed.durationMs, 20_000);
});

Deno.test("parseLoadArgs() refuses a bad --warm-up and names it", () => {
  for (const value of ["-1", "soon", "7200"]) {
    assert.throws(
      () => parseLoadArgs([`--warm-up=${value}`]),
      /--warm-up: expected a number from 0/,
    );
  }
});
