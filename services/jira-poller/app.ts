import { z } from "zod";
import {
  activeTraceId,
  createServiceApp,
  HttpError,
  type Logger,
  type Metrics,
  type Readiness,
  readJson,
  withSpan,
} from "@demo/observability";
import { createJiraClient, type JiraClient, JiraError } from "./clients/jira.ts";
import type { JiraPollerConfig } from "./config.ts";
import { pollOnce } from "./poll.ts";
import { type Loop, type LoopClock, startLoop } from "./schedule.ts";
import { ERROR_REASON, LOG, METRIC, SPAN, TAG } from "./telemetry.ts";
import { BANK_NAMES, type BankId, ISSUE_KEY, type SuspectedFraud } from "./tickets.ts";

/** What jira-poller's app is built from. */
export interface JiraPollerDeps {
  config: JiraPollerConfig;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  /** null when Jira is not configured: both routes then answer 503. */
  jira: JiraClient | null;
}

const BANK_IDS = Object.keys(BANK_NAMES) as [BankId, ...BankId[]];
/** An absent optional field may also arrive as null or "" from callers that always send it. */
const absent = (value: unknown) => (value === null || value === "" ? undefined : value);

/** The request to open (or find) a payment's suspected-fraud ticket. */
export const CreateRequest = z.object({
  // Becomes a Jira label (`payment-<id>`), and labels cannot hold spaces.
  payment_id: z.string().regex(
    /^[A-Za-z0-9_.:-]{1,100}$/,
    "expected 1-100 letters, digits, _ . : -",
  ),
  customer_id: z.string().regex(/^cust_[0-9a-f]{10}$/, "expected cust_ and 10 hex characters"),
  bank_id: z.enum(BANK_IDS),
  amount: z.number().positive().max(1_000_000_000).refine(
    (n) => Number(n.toFixed(2)) === n,
    "expected at most 2 decimals",
  ),
  reason: z.preprocess(absent, z.string().trim().min(1).max(200).optional()),
  trace_id: z.preprocess(
    absent,
    z.string().regex(/^[0-9a-fA-F]{1,32}$/, "expected a decimal or hex trace id").optional(),
  ),
}).strict();

/** The request to comment on a ticket. */
export const CommentRequest = z.object({
  issue_key: z.string().min(1, "must not be empty").regex(
    ISSUE_KEY,
    "expected a Jira issue key such as PER-1",
  ),
  comment: z.string().min(1).max(2000).refine((s) => s.trim() !== "", "must not be blank"),
}).strict();

/** The reason a ticket gives when the caller gave none. */
export const DEFAULT_REASON = "Suspected fraud";

function notConfigured(): HttpError {
  return new HttpError(
    503,
    "jira_not_configured",
    "Jira is not configured: set JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN",
  );
}

/** Builds jira-poller's HTTP app; opens no port and starts no timer. */
export function createApp(deps: JiraPollerDeps) {
  const app = createServiceApp({
    log: deps.log,
    readiness: deps.readiness,
    budgetMs: deps.config.base.requestBudgetMs,
  });

  /** The Jira client, or — without Jira settings — the counted, logged 503 the caller sees. */
  function requireJira(
    what: { metric: string; log: string },
    log: Logger,
    fields: Record<string, unknown>,
  ): JiraClient {
    if (deps.jira) return deps.jira;
    deps.metrics.increment(what.metric, { reason: ERROR_REASON.missingConfig });
    log.warn(what.log, {
      ...fields,
      reason: ERROR_REASON.missingConfig,
      missing: deps.config.missingJiraKeys,
    });
    throw notConfigured();
  }

  /** Counts and logs a Jira failure and turns it into the 502 the caller sees. */
  function jiraFailure(
    error: unknown,
    what: { metric: string; log: string; action: string },
    log: Logger,
    fields: Record<string, unknown>,
  ): Error {
    if (error instanceof HttpError) return error;
    const reason = error instanceof JiraError ? error.reason : ERROR_REASON.exception;
    deps.metrics.increment(what.metric, { reason });
    log.error(what.log, {
      ...fields,
      reason,
      jira_status: error instanceof JiraError ? error.status : undefined,
      error_message: error instanceof Error ? error.message : String(error),
    });
    return new HttpError(502, `jira_${reason}`, `Cannot ${what.action}: the Jira call failed`, {
      details: { reason },
    });
  }

  app.post("/jira/create_suspected_fraud", async (c) => {
    const body = await readJson(c, CreateRequest);
    const log = c.get("log");
    c.get("span")?.setTag(TAG.paymentId, body.payment_id);
    const jira = requireJira({ metric: METRIC.createError, log: LOG.createError }, log, {
      payment_id: body.payment_id,
    });
    const fraud: SuspectedFraud = {
      paymentId: body.payment_id,
      customerId: body.customer_id,
      bankId: body.bank_id,
      amount: body.amount,
      reason: body.reason ?? DEFAULT_REASON,
      traceId: body.trace_id ?? activeTraceId() ?? "unknown",
    };
    try {
      const result = await withSpan(
        SPAN.create,
        { tags: { [TAG.paymentId]: fraud.paymentId } },
        async (span) => {
          try {
            const created = await jira.createSuspectedFraudIssue(fraud, {
              deadline: c.get("deadline").shrink(25),
            });
            span.setTag(TAG.issueKey, created.issueKey);
            span.setTag("jira.created", created.created);
            return created;
          } catch (error) {
            if (error instanceof JiraError) span.setTag(TAG.reason, error.reason);
            throw error;
          }
        },
      );
      c.get("span")?.setTag(TAG.issueKey, result.issueKey);
      deps.metrics.increment(METRIC.createOk);
      log.info(LOG.createOk, {
        payment_id: fraud.paymentId,
        issue_key: result.issueKey,
        created: result.created,
      });
      return c.json({ ok: true, issue_key: result.issueKey, created: result.created });
    } catch (error) {
      throw jiraFailure(
        error,
        { metric: METRIC.createError, log: LOG.createError, action: "open the ticket" },
        log,
        { payment_id: fraud.paymentId },
      );
    }
  });

  app.post("/jira/comment", async (c) => {
    const body = await readJson(c, CommentRequest);
    const log = c.get("log");
    c.get("span")?.setTag(TAG.issueKey, body.issue_key);
    const jira = requireJira({ metric: METRIC.commentError, log: LOG.commentError }, log, {
      issue_key: body.issue_key,
    });
    try {
      await withSpan(SPAN.comment, { tags: { [TAG.issueKey]: body.issue_key } }, async (span) => {
        try {
          await jira.addComment(body.issue_key, body.comment, {
            deadline: c.get("deadline").shrink(25),
          });
        } catch (error) {
          if (error instanceof JiraError) span.setTag(TAG.reason, error.reason);
          throw error;
        }
      });
      deps.metrics.increment(METRIC.commentOk);
      log.info(LOG.commentOk, { issue_key: body.issue_key, comment_length: body.comment.length });
      return c.json({ ok: true, issue_key: body.issue_key });
    } catch (error) {
      const failure = jiraFailure(
        error,
        { metric: METRIC.commentError, log: LOG.commentError, action: "comment on the ticket" },
        log,
        { issue_key: body.issue_key },
      );
      // Jira has no such issue that this account can see: most often a wrong key, else an
      // account without Browse permission (the error line above has Jira's own words).
      // Retrying mends neither.
      if (error instanceof JiraError && error.status === 404) {
        throw new HttpError(
          404,
          "jira_issue_not_found",
          `Cannot comment: Jira has no issue ${body.issue_key} that the configured account ` +
            "can see",
          { field: "issue_key" },
        );
      }
      throw failure;
    }
  });

  return app;
}

/** Options of {@linkcode buildJiraPoller} beyond the app's deps. */
export interface BuildOptions {
  config: JiraPollerConfig;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  /** The Jira client; built from `config` when omitted (null when not configured). */
  jira?: JiraClient | null;
  /** The poll loop's timers (tests pass a fake clock). */
  clock?: LoopClock;
  /** Delay before the first poll, so it runs shortly after start. */
  firstPollDelayMs?: number;
}

/** The default delay before the first poll. */
export const FIRST_POLL_DELAY_MS = 1000;

/**
 * Builds the whole service: the app, and the poll loop when polling is enabled and Jira is
 * configured (otherwise `poll_disabled` is logged once with the reason). `stop` ends the
 * loop; main.ts hands it to the kit's graceful shutdown.
 */
export function buildJiraPoller(options: BuildOptions) {
  const { config, log, metrics } = options;
  const jira = options.jira !== undefined ? options.jira : config.jira
    ? createJiraClient({
      ...config.jira,
      projectKey: config.projectKey,
      issueType: config.issueType,
      timeoutMs: config.timeoutMs,
    })
    : null;
  const app = createApp({ ...options, jira });
  let loop: Loop | undefined;
  if (!config.pollEnabled) {
    log.info(LOG.pollDisabled, { reason: "disabled", detail: "JIRA_POLL_ENABLED is false" });
  } else if (!jira) {
    log.warn(LOG.pollDisabled, {
      reason: "jira_not_configured",
      missing: config.missingJiraKeys,
    });
  } else {
    loop = startLoop({
      intervalMs: config.pollIntervalMs,
      initialDelayMs: options.firstPollDelayMs ?? FIRST_POLL_DELAY_MS,
      clock: options.clock,
      run: async (signal) => {
        await pollOnce({ jira, log, metrics }, signal);
      },
    });
  }
  return {
    app,
    fetch: app.fetch,
    stop: async () => {
      await loop?.stop();
    },
  };
}
