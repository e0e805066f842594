/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { parseAmount } from "./amount.ts";

Deno.test("parseAmount() accepts whole numbers and up to 2 decimals", () => {
  assert.deepEqual(parseAmount("12"), { ok: true, value: 12 });
  assert.deepEqual(parseAmount(" 12.5 "), { ok: true, value: 12.5 });
  assert.deepEqual(parseAmount("0.01"), { ok: true, value: 0.01 });
  assert.deepEqual(parseAmount("10000"), { ok: true, value: 10_000 });
  assert.deepEqual(parseAmount("10000.00"), { ok: true, value: 10_000 });
});

Deno.test("parseAmount() refuses an empty amount", () => {
  assert.deepEqual(parseAmount("  "), { ok: false, message: "Enter an amount" });
});

Deno.test("parseAmount() refuses zero and negative amounts", () => {
  for (const text of ["0", "0.00", "-5", "-0.5"]) {
    assert.deepEqual(parseAmount(text), { ok: false, message: "Enter an amount greater than 0" });
  }
});

Deno.test("parseAmount() refuses more than 2 decimals", () => {
  assert.deepEqual(parseAmount("1.005"), { ok: false, message: "Use at most 2 decimals" });
});

Deno.test("parseAmount() refuses amounts above 10,000", () => {
  for (const text of ["10000.01", "99999"]) {
    assert.deepEqual(parseAmount(text), {
      ok: false,
      message: "Enter an amount of at most 10,000",
    });
  }
});

Deno.test("parseAmount() refuses text that is not a plain number", () => {
  for (const text of ["abc", "1e3", "1,00,0", "12.", ".5", "0x10", "Infinity", "NaN", "1 000"]) {
    const check = parseAmount(text);
    assert.equal(check.ok, false, text);
    if (!check.ok) assert.equal(check.message, "Enter the amount as a number, like 12.50");
  }
});

Deno.test("parseAmount() reads thousands grouped by commas, as the page writes them", () => {
  assert.deepEqual(parseAmount("1,000"), { ok: true, value: 1000 });
  assert.deepEqual(parseAmount("10,000.00"), { ok: true, value: 10_000 });
  assert.deepEqual(parseAmount("12,500"), {
    ok: false,
    message: "Enter an amount of at most 10,000",
  });
});

Deno.test("parseAmount() names a decimal comma instead of misreading it", () => {
  for (const text of ["12,50", "12,5"]) {
    assert.deepEqual(parseAmount(text), {
      ok: false,
      message: "Use a dot for decimals, like 12.50",
    });
  }
});
