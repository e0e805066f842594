/**
 * The payment flow: create, simulate processing, screen for fraud through jira-poller and
 * fraud-service, settle or fail, and store the final state. Idempotent per
 * `Idempotency-Key`, including for concurrent retries.
 *
 * @module
 */
import {
  activeTraceId,
  Deadline,
  HttpError,
  type Logger,
  type Metrics,
  type Random,
  type Span,
  UpstreamError,
  withSpan,
} from "@demo/observability";
import type { BankId } from "@demo/banks";
import type { FraudServiceClient, FraudVerdict } from "./clients/fraud_service.ts";
import type { JiraPollerClient } from "./clients/jira_poller.ts";
import type { Payment, PaymentStore } from "./store.ts";
import { LOG, METRIC, SPAN, TAG } from "./telemetry.ts";

/** The reasons an ordinary (not suspected) payment fails, as the contract names them. */
export const PAYMENT_FAILURE_REASONS = [
  "Request timeout",
  "Insufficient funds",
  "Invalid recipient",
  "incorrect card details",
] as const;

/** The failure reason when fraud-service confirms fraud. */
export const SUSPECTED_FRAUD_REASON = "Suspected Fraud";
/** The failure reason when fraud-service could not decide (down, slow or garbled). */
export const FRAUD_UNAVAILABLE_REASON = "Fraud check unavailable";
/** The failure reason when processing broke after creation; the payment still ends. */
export const INTERNAL_ERROR_REASON = "Internal error";

/**
 * Time kept on top of the longest simulated latency before a payment is created: below
 * it the caller would likely give up before the answer, so nothing is created.
 */
export const DEADLINE_MARGIN_MS = 100;

/** Payment ids: `pay_` and 32 lowercase hex characters. */
export const PAYMENT_ID_PATTERN = /^pay_[0-9a-f]{32}$/;

/** A payment as asked for. */
export interface PaymentRequest {
  customerId: string;
  bankId: BankId;
  amount: number;
}

/** What one `pay` call knows of its HTTP request. */
export interface PayContext {
  deadline: Deadline;
  log: Logger;
  requestId?: string;
  idempotencyKey?: string;
}

/** Options of {@linkcode createPaymentProcessor}. */
export interface PaymentProcessorOptions {
  store: PaymentStore;
  random: Random;
  metrics: Metrics;
  fraud: FraudServiceClient;
  jira: JiraPollerClient;
  failRate: number;
  suspectedFraudRate: number;
  latencyMinMs: number;
  latencyMaxMs: number;
  /** Wall clock for `created_at` (tests pin it). */
  now?: () => number;
  /** Waits `ms` (tests may make it instant). */
  sleep?: (ms: number) => Promise<void>;
}

/** Creates payments and drives them to a final state. */
export interface PaymentProcessor {
  /**
   * Makes a payment and resolves to its final, stored record. With an idempotency key, a
   * retry resolves to the first attempt's payment, marked replayed (waiting for it if still
   * running), and a
   * different request under the same key rejects with 409. Rejects with 503
   * `deadline_too_short`, having created nothing, when the caller cannot wait long enough.
   */
  pay(request: PaymentRequest, context: PayContext): Promise<PayResult>;
}

/** A payment, and whether this request only answered again for one made before. */
export interface PayResult {
  payment: Payment;
  /** True for a retry with the Idempotency-Key of an earlier or still running payment. */
  replayed: boolean;
}

/** How processing ended: no reason means settled. */
interface Outcome {
  reason?: string;
  /** fraud-service's own reason, when it confirmed fraud. */
  fraudReason?: string;
  issueKey?: string;
  /** The unexpected error that ended processing, if any. */
  error?: unknown;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function newPaymentId(): string {
  return `pay_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Identifies a request body, so a key reused for another payment is caught. */
function fingerprint(request: PaymentRequest): string {
  return `${request.customerId}|${request.bankId}|${request.amount}`;
}

function keyReused(): HttpError {
  return new HttpError(
    409,
    "idempotency_key_reused",
    "Cannot pay: Idempotency-Key was already used with a different request",
    { field: "Idempotency-Key" },
  );
}

function errorCode(error: unknown): string {
  return error instanceof UpstreamError ? error.code : "exception";
}

/** Creates a {@linkcode PaymentProcessor}. */
export function createPaymentProcessor(options: PaymentProcessorOptions): PaymentProcessor {
  const { store, random, metrics, fraud, jira } = options;
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const minBudgetMs = options.latencyMaxMs + DEADLINE_MARGIN_MS;
  // Attempts still running, per idempotency key: concurrent retries share one promise.
  const inFlight = new Map<string, { fingerprint: string; result: Promise<PayResult> }>();

  async function screenForFraud(
    payment: Payment,
    context: PayContext,
    span: Span,
  ): Promise<Outcome> {
    span.setTag(TAG.fraudSuspected, true);
    const base = {
      payment_id: payment.id,
      customer_id: payment.customerId,
      bank_id: payment.bankId,
      amount: payment.amount,
    };
    // The ticket is a side record: it gets half of what is left so a slow jira-poller
    // cannot starve the fraud check, and its failure does not stop the payment.
    let issueKey = "";
    try {
      const jiraDeadline = new Deadline(Math.floor(context.deadline.remaining() / 2));
      const issue = await jira.createSuspectedFraud(
        { ...base, trace_id: activeTraceId() ?? "" },
        { deadline: jiraDeadline, requestId: context.requestId },
      );
      issueKey = issue.issueKey;
      span.setTag(TAG.issueKey, issueKey);
    } catch (error) {
      context.log.warn(LOG.jiraCreateError, {
        payment_id: payment.id,
        error_code: errorCode(error),
        upstream_status: error instanceof UpstreamError ? error.upstreamStatus : undefined,
        error,
      });
    }
    let verdict: FraudVerdict;
    try {
      verdict = await fraud.check(
        { ...base, issue_key: issueKey },
        { deadline: context.deadline, requestId: context.requestId },
      );
    } catch (error) {
      context.log.error(LOG.fraudCallError, {
        payment_id: payment.id,
        issue_key: issueKey || undefined,
        error_code: errorCode(error),
        upstream_status: error instanceof UpstreamError ? error.upstreamStatus : undefined,
        error,
      });
      span.setTag("error", error);
      return { reason: FRAUD_UNAVAILABLE_REASON, issueKey: issueKey || undefined };
    }
    if (verdict.fraudulent) {
      return {
        reason: SUSPECTED_FRAUD_REASON,
        fraudReason: verdict.reason,
        issueKey: issueKey || undefined,
      };
    }
    return { issueKey: issueKey || undefined };
  }

  /** Decides the outcome of a created payment; never rejects for a peer's failure. */
  async function process(
    payment: Payment,
    context: PayContext,
    span: Span,
  ): Promise<Outcome> {
    const latency = random.int(options.latencyMinMs, options.latencyMaxMs);
    if (latency > 0) await wait(latency);
    if (random.chance(options.suspectedFraudRate)) {
      return await screenForFraud(payment, context, span);
    }
    if (random.chance(options.failRate)) return { reason: random.pick(PAYMENT_FAILURE_REASONS) };
    return {};
  }

  async function execute(
    request: PaymentRequest,
    context: PayContext,
    requestFingerprint?: string,
  ): Promise<Payment> {
    const remaining = context.deadline.remaining();
    if (remaining < minBudgetMs) {
      throw new HttpError(
        503,
        "deadline_too_short",
        `Cannot pay: ${remaining} ms left of the caller's budget, ${minBudgetMs} ms needed; nothing was created`,
        { details: { retryable: true } },
      );
    }
    return await withSpan(SPAN.pay, {
      tags: {
        [TAG.userId]: request.customerId,
        [TAG.bank]: request.bankId,
        [TAG.amount]: request.amount,
      },
    }, async (span) => {
      const created: Payment = {
        id: newPaymentId(),
        customerId: request.customerId,
        bankId: request.bankId,
        amount: request.amount,
        status: "pending",
        createdAt: new Date(now()).toISOString(),
        idempotencyKey: context.idempotencyKey,
        requestFingerprint,
      };
      await store.create(created);
      const started = performance.now();
      span.setTag(TAG.paymentId, created.id);
      metrics.increment(METRIC.created, { bank: created.bankId });
      const fields = {
        payment_id: created.id,
        customer_id: created.customerId,
        bank_id: created.bankId,
        amount: created.amount,
      };
      context.log.info(LOG.created, fields);

      let outcome: Outcome;
      try {
        outcome = await process(created, context, span);
      } catch (error) {
        // Whatever broke, a created payment must end in a stored final state.
        outcome = { reason: INTERNAL_ERROR_REASON, error };
        span.setTag("error", error);
      }
      const final = await store.update(created.id, {
        status: outcome.reason ? "failed" : "settled",
        reason: outcome.reason,
        issueKey: outcome.issueKey,
        finishedAt: new Date(now()).toISOString(),
      }) ?? { ...created, status: outcome.reason ? "failed" : "settled", reason: outcome.reason };
      const latencyMs = performance.now() - started;
      metrics.distribution(METRIC.settlementLatency, latencyMs, { bank: final.bankId });
      if (final.status === "settled") {
        metrics.increment(METRIC.settled, { bank: final.bankId });
        context.log.info(LOG.settled, {
          ...fields,
          payment_status: final.status,
          latency_ms: Math.round(latencyMs),
        });
      } else {
        span.setTag(TAG.reason, final.reason);
        metrics.increment(METRIC.failed, { reason: final.reason ?? "", bank: final.bankId });
        const failed = {
          ...fields,
          payment_status: final.status,
          reason: final.reason,
          fraud_reason: outcome.fraudReason,
          issue_key: outcome.issueKey,
          latency_ms: Math.round(latencyMs),
        };
        if (outcome.error) context.log.error(LOG.failed, { ...failed, error: outcome.error });
        else context.log.warn(LOG.failed, failed);
      }
      return final;
    });
  }

  async function replayOrExecute(
    key: string,
    request: PaymentRequest,
    requestFingerprint: string,
    context: PayContext,
  ): Promise<PayResult> {
    const stored = await store.findByIdempotencyKey(key);
    if (!stored) {
      return { payment: await execute(request, context, requestFingerprint), replayed: false };
    }
    if (stored.requestFingerprint !== requestFingerprint) throw keyReused();
    if (stored.status === "pending") {
      // Only reachable when another process shares the store and is still working on it.
      throw new HttpError(
        409,
        "payment_in_progress",
        "Cannot pay: the payment for this Idempotency-Key is still being processed",
        { field: "Idempotency-Key", details: { payment_id: stored.id } },
      );
    }
    return { payment: stored, replayed: true };
  }

  return {
    async pay(request, context) {
      const key = context.idempotencyKey;
      if (key === undefined) return { payment: await execute(request, context), replayed: false };
      const requestFingerprint = fingerprint(request);
      const running = inFlight.get(key);
      if (running) {
        if (running.fingerprint !== requestFingerprint) throw keyReused();
        // A retry while the first attempt runs: the same payment, answered again.
        return { payment: (await running.result).payment, replayed: true };
      }
      // Registered before the first await, so a concurrent retry always finds it.
      const result = replayOrExecute(key, request, requestFingerprint, context);
      inFlight.set(key, { fingerprint: requestFingerprint, result });
      const done = () => void inFlight.delete(key);
      result.then(done, done);
      return result;
    },
  };
}
