import assert from "node:assert/strict";
import { createRandom } from "@demo/observability";
import { COMMENT, commentTarget, decideFraud, FRAUD_REASONS } from "./check.ts";
import { scriptedRandom } from "./_testing.ts";

Deno.test("decideFraud() confirms fraud below the rate, with the drawn reason and escalation comment", () => {
  // 0.2 < 0.35 confirms; 0.5 picks the middle of the five reasons.
  const verdict = decideFraud(scriptedRandom([0.2, 0.5]), 0.35);
  assert.deepEqual(verdict, {
    fraudulent: true,
    reason: "transaction above limit",
    comment: "Confirmed fraudulent activity. Please escalate to Product Team",
  });
});

Deno.test("decideFraud() clears the payment at or above the rate, asking to complete it", () => {
  const verdict = decideFraud(scriptedRandom([0.35]), 0.35);
  assert.deepEqual(verdict, {
    fraudulent: false,
    comment: "Transaction not fraudulent, please complete it",
  });
});

Deno.test("decideFraud() confirms about FRAUD_CONFIRM_RATE of checks with every contract reason", () => {
  const random = createRandom(7);
  const reasons = new Set<string>();
  let confirmed = 0;
  for (let i = 0; i < 2000; i++) {
    const verdict = decideFraud(random, 0.35);
    if (verdict.fraudulent) {
      confirmed++;
      reasons.add(verdict.reason);
      assert.equal(verdict.comment, COMMENT.confirmed);
    }
  }
  assert.ok(confirmed > 600 && confirmed < 800, `confirmed ${confirmed} of 2000`);
  assert.deepEqual([...reasons].sort(), [...FRAUD_REASONS].sort());
});

Deno.test("commentTarget() has no target for a missing, empty or blank issue key", () => {
  assert.equal(commentTarget(undefined), undefined);
  assert.equal(commentTarget(null), undefined);
  assert.equal(commentTarget(""), undefined);
  assert.equal(commentTarget("   "), undefined);
  assert.equal(commentTarget(" PER-7 "), "PER-7");
});
