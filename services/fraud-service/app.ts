import { z } from "zod";
import {
  createServiceApp,
  type Logger,
  type Metrics,
  type Random,
  type Readiness,
  readJson,
  UpstreamError,
  withSpan,
} from "@demo/observability";
import { BANK_IDS, commentTarget, decideFraud } from "./check.ts";
import type { JiraPollerClient } from "./clients/jira_poller.ts";
import type { FraudConfig } from "./config.ts";
import { LOG, METRIC, SPAN, SPAN_TAG, TAG } from "./telemetry.ts";

/** What fraud-service's app is built from. */
export interface FraudDeps {
  config: FraudConfig;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  random: Random;
  jiraPoller: JiraPollerClient;
}

/** A zod error map: "is required" when the field is absent, else `expected`. */
function expect(expected: string) {
  return {
    error: (issue: { input?: unknown }) => issue.input === undefined ? "is required" : expected,
  };
}

/** The largest amount checked; far above any payment, it only refuses absurd values. */
export const MAX_AMOUNT = 1_000_000_000;

/** A positive amount in the currency's main unit, with cents at most. */
const Amount = z.number(expect("expected a number"))
  .positive({ error: "expected a number greater than 0" })
  .max(MAX_AMOUNT, { error: `expected at most ${MAX_AMOUNT}` })
  .refine((n) => Number(n.toFixed(2)) === n, { error: "expected at most 2 decimals" });

/** A suspected payment sent by payment-service; `issue_key` is its Jira ticket, if any. */
export const CheckRequest = z.object({
  payment_id: z.string(expect("expected a string"))
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected 1 to 64 of A-Z, a-z, 0-9, _ and -" }),
  customer_id: z.string(expect("expected a string"))
    .regex(/^cust_[0-9a-f]{10}$/, { error: "expected cust_ and 10 lowercase hex digits" }),
  bank_id: z.enum(BANK_IDS, expect(`expected one of ${BANK_IDS.join(", ")}`)),
  amount: Amount,
  // Empty (or null) when the ticket could not be created: the check still runs.
  issue_key: z.string({ error: "expected a string" })
    .max(64, { error: "expected at most 64 characters" })
    .regex(/^(\s*|[A-Z][A-Z0-9_]*-[1-9][0-9]*)$/, {
      error: "expected a Jira issue key such as PER-12, or empty",
    })
    .nullish(),
}).strict();

/** Milliseconds of the request's budget kept back from the comment call to send the answer. */
const ANSWER_RESERVE_MS = 50;

/** Builds fraud-service's HTTP app (`POST /check`); opens no port. */
export function createApp(deps: FraudDeps) {
  const app = createServiceApp({
    log: deps.log,
    readiness: deps.readiness,
    budgetMs: deps.config.base.requestBudgetMs,
  });

  app.post("/check", async (c) => {
    const body = await readJson(c, CheckRequest);
    const log = c.get("log");
    const bank = body.bank_id;
    const issueKey = commentTarget(body.issue_key);
    c.get("span")?.setTag(SPAN_TAG.userId, body.customer_id);
    c.get("span")?.setTag(SPAN_TAG.paymentId, body.payment_id);

    const tags = {
      [SPAN_TAG.userId]: body.customer_id,
      [SPAN_TAG.paymentId]: body.payment_id,
      [SPAN_TAG.bank]: bank,
      [SPAN_TAG.amount]: body.amount,
      ...(issueKey ? { [SPAN_TAG.issueKey]: issueKey } : {}),
    };
    const outcome = await withSpan(SPAN.check, { tags }, async (span) => {
      deps.metrics.increment(METRIC.suspected, { [TAG.bank]: bank });
      const verdict = decideFraud(deps.random, deps.config.confirmRate);
      span.setTag(SPAN_TAG.fraudulent, String(verdict.fraudulent));
      const fields = {
        payment_id: body.payment_id,
        customer_id: body.customer_id,
        bank_id: bank,
        amount: body.amount,
        issue_key: issueKey,
      };
      if (verdict.fraudulent) {
        span.setTag(SPAN_TAG.reason, verdict.reason);
        deps.metrics.increment(METRIC.rejected, {
          [TAG.fraudReason]: verdict.reason,
          [TAG.bank]: bank,
        });
        log.warn(LOG.rejected, { ...fields, reason: verdict.reason });
      } else {
        deps.metrics.increment(METRIC.approved, { [TAG.bank]: bank });
        deps.metrics.increment(METRIC.cleared, { [TAG.bank]: bank });
        log.info(LOG.approved, fields);
      }

      let commentPosted = false;
      if (issueKey) {
        try {
          await deps.jiraPoller.comment(issueKey, verdict.comment, {
            // Leave time to answer: the caller needs the verdict more than the comment.
            deadline: c.get("deadline").shrink(ANSWER_RESERVE_MS),
            requestId: c.get("requestId"),
          });
          commentPosted = true;
        } catch (error) {
          // A ticket that could not be commented on does not change the verdict.
          log.error(LOG.commentError, {
            payment_id: body.payment_id,
            issue_key: issueKey,
            error_code: error instanceof UpstreamError ? error.code : "exception",
            upstream_status: error instanceof UpstreamError ? error.upstreamStatus : undefined,
          });
        }
      }
      span.setTag(SPAN_TAG.commentPosted, String(commentPosted));
      return { verdict, commentPosted };
    });

    const { verdict, commentPosted } = outcome;
    return c.json({
      ok: true,
      payment_id: body.payment_id,
      fraudulent: verdict.fraudulent,
      ...(verdict.fraudulent ? { reason: verdict.reason } : {}),
      comment: verdict.comment,
      issue_key: issueKey ?? null,
      comment_posted: commentPosted,
    });
  });

  return app;
}
