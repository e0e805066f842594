/** jira-poller's telemetry names, kept exactly as the contract's dashboards query them. */
export const METRIC = {
  createOk: "jira.create.ok",
  createError: "jira.create.error",
  commentOk: "jira.comment.ok",
  commentError: "jira.comment.error",
  pollSuccess: "jira.poll.success",
  pollError: "jira.poll.error",
  /** Gauge: open suspected-fraud issues, counted by Jira. */
  open: "jira.suspected_fraud.open",
} as const;

/** The `reason` tag of `jira.create.error` and `jira.comment.error`. */
export const ERROR_REASON = {
  missingConfig: "missing_config",
  httpError: "http_error",
  exception: "exception",
} as const;

export type ErrorReason = typeof ERROR_REASON[keyof typeof ERROR_REASON];

export const SPAN = {
  create: "jira.create_issue",
  comment: "jira.comment",
  poll: "jira.poll",
} as const;

export const TAG = {
  paymentId: "payment.id",
  issueKey: "issue_key",
  reason: "reason",
} as const;

export const LOG = {
  createOk: "jira_create_ok",
  createError: "jira_create_error",
  commentOk: "jira_comment_ok",
  commentError: "jira_comment_error",
  pollOk: "jira_poll_ok",
  pollFailed: "jira_poll_failed",
  pollDisabled: "poll_disabled",
} as const;
