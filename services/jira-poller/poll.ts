/**
 * One poll of Jira: the true count of open suspected-fraud tickets for the
 * `jira.suspected_fraud.open` gauge, and a bounded, paginated listing of the tickets.
 *
 * @module
 */
import { Deadline, type Logger, type Metrics, withSpan } from "@demo/observability";
import { type JiraClient, JiraError } from "./clients/jira.ts";
import { SUSPECTED_FRAUD_LABEL } from "./tickets.ts";
import { LOG, METRIC, SPAN } from "./telemetry.ts";

/** The most one poll may take, all pages and retries included. */
export const POLL_BUDGET_MS = 60_000;

/** What a poll needs. */
export interface PollDeps {
  jira: JiraClient;
  log: Logger;
  metrics: Metrics;
}

/** What a successful poll saw. */
export interface PollResult {
  open: number;
  listed: number;
  pages: number;
  complete: boolean;
  /** Payments with more than one ticket among those listed (see the create's idempotency). */
  duplicatePayments: number;
}

/**
 * Polls once. Success counts `jira.poll.success`, sets the gauge and logs `jira_poll_ok`;
 * failure counts `jira.poll.error` and logs `jira_poll_failed`. A poll cut short by
 * shutdown (`signal` aborted) is neither: it returns undefined quietly.
 */
export async function pollOnce(
  deps: PollDeps,
  signal?: AbortSignal,
): Promise<PollResult | undefined> {
  const call = { deadline: new Deadline(POLL_BUDGET_MS), signal };
  try {
    return await withSpan(SPAN.poll, {}, async (span) => {
      const open = await deps.jira.countOpenSuspectedFraudIssues(call);
      deps.metrics.gauge(METRIC.open, open);
      const listing = await deps.jira.listSuspectedFraudIssues(call);
      const perPayment = new Map<string, number>();
      for (const issue of listing.issues) {
        for (const label of issue.labels) {
          if (label.startsWith("payment-")) {
            perPayment.set(label, (perPayment.get(label) ?? 0) + 1);
          }
        }
      }
      const result: PollResult = {
        open,
        listed: listing.issues.length,
        pages: listing.pages,
        complete: listing.complete,
        duplicatePayments: [...perPayment.values()].filter((n) => n > 1).length,
      };
      span.setTag("jira.open_count", open);
      span.setTag("jira.listed", result.listed);
      span.setTag("jira.pages", result.pages);
      deps.metrics.increment(METRIC.pollSuccess);
      deps.log.info(LOG.pollOk, {
        label: SUSPECTED_FRAUD_LABEL,
        open: result.open,
        listed: result.listed,
        pages: result.pages,
        complete: result.complete,
        duplicate_payments: result.duplicatePayments,
        newest_issue_key: listing.issues[0]?.key,
      });
      return result;
    });
  } catch (error) {
    if (signal?.aborted) {
      deps.log.debug("jira_poll_stopped");
      return undefined;
    }
    deps.metrics.increment(METRIC.pollError);
    deps.log.error(LOG.pollFailed, {
      reason: error instanceof JiraError ? error.reason : "exception",
      jira_status: error instanceof JiraError ? error.status : undefined,
      error_message: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}
