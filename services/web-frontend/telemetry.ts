/** web-frontend's telemetry names, kept exactly as the contract's dashboards query them. */
export const METRIC = {
  authOk: "web.auth.ok",
  authFailed: "web.auth.failed",
  paymentOk: "web.payment.ok",
  paymentError: "web.payment.error",
  /**
   * A retry answered with an earlier request's payment (tags `bank`, `payment_status`):
   * not another payment, but how a retry after a 504 learns the payment settled.
   */
  paymentReplayed: "web.payment.replayed",
} as const;

export const SPAN = { login: "web.login", pay: "web.pay" } as const;

/** Span tag names the contract asks for on the manual and server spans. */
export const TAG = {
  userId: "usr.id",
  bank: "bank",
  amount: "amount",
  paymentId: "payment.id",
  reason: "reason",
  /** On the server span of a retry answered with an earlier request's payment. */
  replayed: "payment.replayed",
} as const;

export const LOG = {
  authOk: "auth_ok",
  authError: "auth_error",
  authUpstreamError: "auth_upstream_error",
  paymentOk: "payment_ok",
  paymentFailed: "payment_failed",
  paymentUpstreamError: "payment_upstream_error",
  paymentNotSent: "payment_not_sent",
  paymentReplayed: "payment_replayed",
  assistantError: "assistant_error",
  rumProxyError: "rum_proxy_error",
  webDistMissing: "web_dist_missing",
} as const;
