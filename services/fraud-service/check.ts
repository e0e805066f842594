import type { Random } from "@demo/observability";

export { BANK_IDS, type BankId } from "@demo/banks";

/** The reasons a suspected payment is confirmed as fraud, as the contract names them. */
export const FRAUD_REASONS = [
  "incorrect credit card",
  "incorrect PIN number",
  "transaction above limit",
  "duplicate transaction",
  "suspicious transaction",
] as const;

export type FraudReason = typeof FRAUD_REASONS[number];

/** The ticket comments, word for word as the Product Team's Jira filters expect them. */
export const COMMENT = {
  confirmed: "Confirmed fraudulent activity. Please escalate to Product Team",
  cleared: "Transaction not fraudulent, please complete it",
} as const;

/** The verdict on a suspected payment, with the comment that goes on its ticket. */
export type FraudVerdict =
  | { fraudulent: true; reason: FraudReason; comment: typeof COMMENT.confirmed }
  | { fraudulent: false; comment: typeof COMMENT.cleared };

/** Decides a suspected payment: confirmed as fraud with probability `confirmRate`. */
export function decideFraud(random: Random, confirmRate: number): FraudVerdict {
  if (random.chance(confirmRate)) {
    return { fraudulent: true, reason: random.pick(FRAUD_REASONS), comment: COMMENT.confirmed };
  }
  return { fraudulent: false, comment: COMMENT.cleared };
}

/**
 * The issue key to comment on, or undefined when there is none: a missing, empty or blank
 * key means the ticket was never created, and commenting on it would hit the wrong URL.
 */
export function commentTarget(issueKey: string | null | undefined): string | undefined {
  const key = issueKey?.trim();
  return key ? key : undefined;
}
