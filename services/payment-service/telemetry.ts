/** payment-service's telemetry names, kept exactly as the contract's dashboards query them. */
export const METRIC = {
  created: "payment.created",
  settled: "payment.settled",
  failed: "payment.failed",
  settlementLatency: "payment.settlement_latency_ms",
} as const;

export const SPAN = { pay: "payment.pay" } as const;

/** Span tag names set on `payment.pay` and on the request's server span. */
export const TAG = {
  userId: "usr.id",
  paymentId: "payment.id",
  bank: "bank",
  amount: "amount",
  reason: "reason",
  issueKey: "jira.issue_key",
  fraudSuspected: "fraud.suspected",
  /** On a server span that answered a retry with the earlier payment. */
  replayed: "payment.replayed",
} as const;

export const LOG = {
  created: "payment_created",
  settled: "payment_settled",
  failed: "payment_failed",
  jiraCreateError: "jira_create_error",
  fraudCallError: "fraud_call_error",
} as const;
