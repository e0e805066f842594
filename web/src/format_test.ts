/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { describePayment, describeStatus, formatAmount, formatDate } from "./format.ts";

Deno.test("formatAmount() shows 2 decimals and thousands separators", () => {
  assert.equal(formatAmount(12.5), "12.50");
  assert.equal(formatAmount(10_000), "10,000.00");
  assert.equal(formatAmount(0.01), "0.01");
});

Deno.test("formatDate() formats a timestamp and keeps text that is no date", () => {
  assert.equal(formatDate("2025-03-04T05:06:00Z", "en-GB", "UTC"), "4 Mar 2025, 05:06");
  assert.equal(formatDate("yesterday"), "yesterday");
});

Deno.test("describeStatus() names the reason of a failed payment", () => {
  assert.equal(describeStatus({ status: "settled" }), "Settled");
  assert.equal(
    describeStatus({ status: "failed", reason: "Suspected Fraud" }),
    "Failed: Suspected Fraud",
  );
  assert.equal(describeStatus({ status: "failed" }), "Failed");
});

Deno.test("describePayment() names amount, bank and outcome, then the id", () => {
  assert.equal(
    describePayment({
      payment_id: "pay_1",
      status: "failed",
      reason: "Insufficient funds",
      bank_id: "ABN",
      bank_name: "ABN AMRO Bank",
      amount: 1234.5,
      created_at: "2025-01-01T00:00:00Z",
    }),
    "1,234.50 to ABN AMRO Bank, failed: Insufficient funds (pay_1)",
  );
});
