import { z } from "zod";
import {
  badRequest,
  createServiceApp,
  HttpError,
  type Logger,
  type Metrics,
  type Random,
  type Readiness,
  readJson,
  validate,
} from "@demo/observability";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { BANK_IDS, bankName, BANKS } from "@demo/banks";
import type { FraudServiceClient } from "./clients/fraud_service.ts";
import type { JiraPollerClient } from "./clients/jira_poller.ts";
import type { PaymentConfig } from "./config.ts";
import {
  createPaymentProcessor,
  FRAUD_UNAVAILABLE_REASON,
  INTERNAL_ERROR_REASON,
  PAYMENT_ID_PATTERN,
} from "./payments.ts";
import { createMemoryPaymentStore, type Payment, type PaymentStore } from "./store.ts";
import { TAG } from "./telemetry.ts";

/** What payment-service's app is built from. */
export interface PaymentDeps {
  config: PaymentConfig;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  random: Random;
  fraud: FraudServiceClient;
  jira: JiraPollerClient;
  /** Defaults to a bounded in-memory store of `config.storeMaxEntries` payments. */
  store?: PaymentStore;
  /** Wall clock for `created_at` (tests pin it). */
  now?: () => number;
}

/** Customer ids as auth-service derives them: `cust_` + 10 hex characters. */
export const CUSTOMER_ID_PATTERN = /^cust_[0-9a-f]{10}$/;
/** Set on an answer that repeats the payment of an earlier request with the same key. */
const REPLAYED_HEADER = "Idempotent-Replayed";

const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

const customerId = z.string({
  error: (issue) => issue.input === undefined ? "is required" : "expected a string",
}).regex(CUSTOMER_ID_PATTERN, { error: "expected cust_ followed by 10 lowercase hex characters" });

/** Whether `amount` has at most two decimals (exact for every amount a double can hold). */
function hasCents(amount: number): boolean {
  return Math.round(amount * 100) / 100 === amount;
}

/** The `POST /pay` body, strict so a misspelt field is named instead of ignored. */
export function payRequestSchema(maxAmount: number) {
  return z.object({
    customer_id: customerId,
    bank_id: z.enum(BANK_IDS, {
      error: (issue) =>
        issue.input === undefined ? "is required" : `expected one of ${BANK_IDS.join(", ")}`,
    }),
    amount: z.number({
      error: (issue) => issue.input === undefined ? "is required" : "expected a JSON number",
    })
      .positive({ error: "must be greater than 0" })
      .max(maxAmount, { error: `must be at most ${maxAmount}` })
      .refine(hasCents, { error: "must have at most 2 decimals" }),
  }).strict();
}

const ListQuery = z.object({
  customer_id: customerId,
  limit: z.string().optional().transform((value, ctx) => {
    if (value === undefined) return 20;
    const n = /^[0-9]{1,3}$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= 100)) {
      ctx.addIssue({ code: "custom", message: "expected a whole number from 1 to 100" });
      return z.NEVER;
    }
    return n;
  }),
});

const BANKS_BODY = {
  ok: true,
  banks: BANK_IDS.map((id) => ({ bank_id: id, bank_name: BANKS[id] })),
};

/**
 * The answer to `POST /pay` for a final payment. A pure function of the stored record, so
 * an idempotent retry gets exactly the first answer.
 */
export function payResponse(payment: Payment): { status: ContentfulStatusCode; body: unknown } {
  const fields = {
    payment_id: payment.id,
    customer_id: payment.customerId,
    bank_id: payment.bankId,
    bank_name: bankName(payment.bankId),
    amount: payment.amount,
    created_at: payment.createdAt,
  };
  if (payment.status === "settled") {
    return { status: 200, body: { ok: true, status: "settled", ...fields } };
  }
  const status = payment.reason === FRAUD_UNAVAILABLE_REASON
    ? 503
    : payment.reason === INTERNAL_ERROR_REASON
    ? 500
    : 402;
  return {
    status,
    body: { ok: false, status: payment.status, reason: payment.reason, ...fields },
  };
}

/** A stored payment as `GET /payments` shows it. */
function paymentView(payment: Payment) {
  return {
    payment_id: payment.id,
    customer_id: payment.customerId,
    bank_id: payment.bankId,
    bank_name: bankName(payment.bankId),
    amount: payment.amount,
    status: payment.status,
    ...(payment.reason ? { reason: payment.reason } : {}),
    created_at: payment.createdAt,
    ...(payment.finishedAt ? { finished_at: payment.finishedAt } : {}),
  };
}

/**
 * Builds payment-service's HTTP app (`POST /pay`, `GET /payments/:id`, `GET /payments`,
 * `GET /banks`); opens no port.
 */
export function createApp(deps: PaymentDeps) {
  const { config } = deps;
  const app = createServiceApp({
    log: deps.log,
    readiness: deps.readiness,
    budgetMs: config.base.requestBudgetMs,
  });
  const store = deps.store ?? createMemoryPaymentStore({ maxEntries: config.storeMaxEntries });
  const payments = createPaymentProcessor({
    store,
    random: deps.random,
    metrics: deps.metrics,
    fraud: deps.fraud,
    jira: deps.jira,
    failRate: config.failRate,
    suspectedFraudRate: config.suspectedFraudRate,
    latencyMinMs: config.latencyMinMs,
    latencyMaxMs: config.latencyMaxMs,
    now: deps.now,
  });
  const PayRequest = payRequestSchema(config.maxAmount);

  app.get("/banks", (c) => c.json(BANKS_BODY));

  app.post("/pay", async (c) => {
    const key = c.req.header("idempotency-key");
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw badRequest(
        "Idempotency-Key",
        "Invalid 'Idempotency-Key': expected 1 to 200 characters from A-Z a-z 0-9 _ . : -",
      );
    }
    const body = await readJson(c, PayRequest);
    const span = c.get("span");
    span?.setTag(TAG.userId, body.customer_id);
    const { payment, replayed } = await payments.pay(
      { customerId: body.customer_id, bankId: body.bank_id, amount: body.amount },
      {
        deadline: c.get("deadline"),
        log: c.get("log"),
        requestId: c.get("requestId"),
        idempotencyKey: key,
      },
    );
    span?.setTag(TAG.paymentId, payment.id);
    // As Stripe marks it: callers can tell an answer given again from a new payment (the
    // gateway does not count it twice).
    if (replayed) {
      span?.setTag(TAG.replayed, "true");
      c.header(REPLAYED_HEADER, "true");
    }
    const answer = payResponse(payment);
    return c.json(answer.body, answer.status);
  });

  app.get("/payments/:id", async (c) => {
    const id = c.req.param("id");
    if (!PAYMENT_ID_PATTERN.test(id)) {
      throw badRequest(
        "payment_id",
        "Invalid 'payment_id': expected pay_ followed by 32 lowercase hex characters",
      );
    }
    const payment = await store.get(id);
    if (!payment) {
      throw new HttpError(404, "payment_not_found", `No payment ${id}`, { field: "payment_id" });
    }
    c.get("span")?.setTag(TAG.paymentId, payment.id);
    c.get("span")?.setTag(TAG.userId, payment.customerId);
    return c.json({ ok: true, payment: paymentView(payment) });
  });

  app.get("/payments", async (c) => {
    const query = validate(ListQuery, {
      customer_id: c.req.query("customer_id"),
      limit: c.req.query("limit"),
    });
    c.get("span")?.setTag(TAG.userId, query.customer_id);
    const list = await store.listByCustomer(query.customer_id, query.limit);
    return c.json({ ok: true, customer_id: query.customer_id, payments: list.map(paymentView) });
  });

  return app;
}
