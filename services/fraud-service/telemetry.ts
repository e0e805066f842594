/** fraud-service's telemetry names, kept exactly as the contract's dashboards query them. */
export const METRIC = {
  suspected: "fraud.suspected",
  approved: "fraud.check.approved",
  rejected: "fraud.check.rejected",
  cleared: "fraud.cleared",
} as const;

/** Metric tag keys; values stay low-cardinality (a bank id, a contract reason). */
export const TAG = { bank: "bank", fraudReason: "fraud_reason" } as const;

export const SPAN = { check: "fraud.check" } as const;

/** Span tag keys of `fraud.check` (ids belong here, never in metric tags). */
export const SPAN_TAG = {
  userId: "usr.id",
  paymentId: "payment.id",
  bank: "bank",
  amount: "amount",
  reason: "reason",
  fraudulent: "fraud.fraudulent",
  issueKey: "jira.issue_key",
  commentPosted: "jira.comment_posted",
} as const;

export const LOG = {
  approved: "fraud_approved",
  rejected: "fraud_rejected",
  commentError: "jira_comment_error",
} as const;
