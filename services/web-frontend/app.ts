import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import {
  createServiceApp,
  handleError,
  HttpError,
  type Logger,
  type Metrics,
  notFoundHandler,
  type ObservedVariables,
  type Readiness,
  readJson,
  untracedFetch,
  UpstreamError,
  withSpan,
} from "@demo/observability";
import { createBankCache } from "./banks.ts";
import type { AuthServiceClient } from "./clients/auth_service.ts";
import type { LlmServiceClient } from "./clients/llm_service.ts";
import type { PaymentServiceClient } from "./clients/payment_service.ts";
import type { PeerCall } from "./clients/_reply.ts";
import type { WebConfig } from "./config.ts";
import {
  assistantAnswer,
  assistantPrompt,
  bankTag,
  IDEMPOTENCY_HEADER,
  idempotencyKeyFrom,
  paymentNotSent,
  paymentOutcome,
  paymentOutcomeUnknown,
  REPLAYED_HEADER,
  scopedIdempotencyKey,
  withNextStep,
} from "./payment.ts";
import {
  checkForwardPath,
  contentSecurityPolicy,
  forwardedFor,
  forwardUrl,
  isRetryableIntakeStatus,
  peerAddress,
  readCapped,
  RUM_PROXY_PATH,
} from "./rum.ts";
import { type Session, SESSION_COOKIE, type SessionCodec } from "./session.ts";
import type { StaticSiteSource } from "./static.ts";
import { LOG, METRIC, SPAN, TAG } from "./telemetry.ts";

/** What web-frontend's app is built from. */
export interface WebDeps {
  config: WebConfig;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  auth: AuthServiceClient;
  payments: PaymentServiceClient;
  llm: LlmServiceClient;
  sessions: SessionCodec;
  site: StaticSiteSource;
  /** The `fetch` the RUM proxy forwards with (tests inject a fake). */
  fetch?: typeof fetch;
}

/** The gateway's request variables: the kit's, plus the verified session if any. */
export interface WebEnv {
  Variables: ObservedVariables & { session?: Session };
}

/** Limits match auth-service's; the password is never logged or traced. */
export const LoginRequest = z.object({
  // Printable text only: control characters and lone surrogates would be escaped to six
  // bytes each in the session token and could push it past what a cookie check accepts.
  username: z.string().trim().min(1).max(64).regex(
    /^[^\p{Cc}\p{Cs}]*$/u,
    "must not contain control characters",
  ),
  password: z.string().min(1).max(128),
}).strict();

/** The bank and amount rules (known bank, decimals, maximum) belong to payment-service. */
export const PayRequest = z.object({
  bank_id: z.string().trim().min(1).max(32),
  amount: z.number().positive(),
}).strict();

export const AssistantRequest = z.object({
  payment_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "expected a payment id"),
  question: z.string().trim().max(500).optional(),
}).strict();

/** How long the bank list is reused: it never changes while the system runs. */
export const BANKS_TTL_MS = 60_000;

/** How many recent payments `GET /api/payments` shows. */
export const RECENT_PAYMENTS = 20;

const INDEX_MISSING = "The web UI has not been built: run `deno task web:build`, then reload.\n";

function peerCall(c: Context<WebEnv>): PeerCall {
  return { deadline: c.get("deadline"), requestId: c.get("requestId") };
}

function requireSession(c: Context<WebEnv>): Session {
  const session = c.get("session");
  if (!session) {
    throw new HttpError(401, "not_logged_in", "Log in first: there is no valid session");
  }
  return session;
}

/**
 * Builds web-frontend's HTTP app: the `/api` gateway, the RUM proxy and the bundled UI,
 * with security headers on every response. Opens no port.
 */
export function createApp(deps: WebDeps) {
  const { config, metrics } = deps;
  const app = new Hono<WebEnv>();
  // Registered before the kit's routes so even probes and errors carry the headers.
  // Only the headers that protect this page are set: each header costs time on the pay path,
  // and the legacy ones (X-XSS-Protection, X-Download-Options, …) guard nothing here.
  app.use(secureHeaders({
    contentSecurityPolicy: contentSecurityPolicy(config.rum),
    xContentTypeOptions: true,
    referrerPolicy: "strict-origin-when-cross-origin",
    // HSTS only means something when the site is served over HTTPS.
    strictTransportSecurity: config.cookieSecure,
    crossOriginResourcePolicy: false,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    // frame-ancestors 'none' in the CSP already forbids framing.
    xFrameOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    removePoweredBy: false,
  }));
  app.route(
    "/",
    createServiceApp({
      log: deps.log,
      readiness: deps.readiness,
      budgetMs: config.base.requestBudgetMs,
      // The public edge: a browser's x-request-budget-ms does not shorten the gateway's.
      acceptCallerBudget: false,
    }),
  );
  app.onError(handleError);
  app.notFound(notFoundHandler(app));

  // Every API request with a valid cookie is an authenticated one: its span names the customer.
  app.use("/api/*", async function readSession(c, next) {
    const token = getCookie(c, SESSION_COOKIE);
    const session = token === undefined ? undefined : await deps.sessions.verify(token);
    c.set("session", session);
    if (session) c.get("span")?.setTag(TAG.userId, session.customerId);
    await next();
  });

  const configBody = { ok: true, rum: config.rum };
  app.get("/api/config", (c) => c.json(configBody));

  const banks = createBankCache({ ttlMs: BANKS_TTL_MS });
  app.get("/api/banks", async (c) => {
    const list = await banks.get(() => deps.payments.banks(peerCall(c)));
    return c.json({ ok: true, banks: list });
  });

  app.post("/api/login", async (c) => {
    const body = await readJson(c, LoginRequest);
    const log = c.get("log");
    const result = await withSpan(SPAN.login, {}, async (span) => {
      try {
        const result = await deps.auth.login(body, peerCall(c));
        if (result.customerId) span.setTag(TAG.userId, result.customerId);
        if (!result.ok) span.setTag(TAG.reason, result.reason);
        return result;
      } catch (error) {
        span.setTag(TAG.reason, "upstream_error");
        throw error;
      }
    }).catch((error) => {
      metrics.increment(METRIC.authFailed, { reason: "upstream_error" });
      log.error(LOG.authUpstreamError, { error: errorFields(error) });
      throw error;
    });
    if (!result.ok) {
      metrics.increment(METRIC.authFailed, { reason: result.reason });
      log.warn(LOG.authError, { customer_id: result.customerId, reason: result.reason });
      return c.json({ ok: false, reason: result.reason }, 401);
    }
    c.get("span")?.setTag(TAG.userId, result.customerId);
    const token = await deps.sessions.issue(result.customerId, body.username);
    setCookie(c, SESSION_COOKIE, token, {
      path: "/",
      httpOnly: true,
      sameSite: "Strict",
      secure: config.cookieSecure,
      maxAge: deps.sessions.ttlSeconds,
    });
    metrics.increment(METRIC.authOk);
    log.info(LOG.authOk, { customer_id: result.customerId });
    return c.json({ ok: true, customer_id: result.customerId, username: body.username });
  });

  app.post("/api/logout", (c) => {
    setCookie(c, SESSION_COOKIE, "", {
      path: "/",
      httpOnly: true,
      sameSite: "Strict",
      secure: config.cookieSecure,
      maxAge: 0,
    });
    return c.json({ ok: true });
  });

  app.get("/api/session", (c) => {
    const session = requireSession(c);
    return c.json({ ok: true, customer_id: session.customerId, username: session.username });
  });

  app.post("/api/pay", async (c) => {
    const session = requireSession(c);
    const key = idempotencyKeyFrom(c.req.header(IDEMPOTENCY_HEADER));
    c.header(IDEMPOTENCY_HEADER, key);
    const body = await readJson(c, PayRequest);
    const bank = bankTag(body.bank_id);
    const log = c.get("log");
    const facts = { customer_id: session.customerId, bank_id: body.bank_id, amount: body.amount };
    const { reply, outcome } = await withSpan(SPAN.pay, {
      tags: {
        [TAG.userId]: session.customerId,
        [TAG.bank]: body.bank_id,
        [TAG.amount]: body.amount,
      },
    }, async (span) => {
      let reply;
      try {
        reply = await deps.payments.pay({
          customerId: session.customerId,
          bankId: body.bank_id,
          amount: body.amount,
          idempotencyKey: scopedIdempotencyKey(session.customerId, key),
        }, peerCall(c));
      } catch (error) {
        // Not sent at all (the budget ran out first), or sent with no answer to learn from.
        const notSent = error instanceof UpstreamError && error.notSent;
        span.setTag(TAG.reason, notSent ? "not_sent" : "outcome_unknown");
        throw error;
      }
      const outcome = paymentOutcome(reply.status, reply.data);
      if ("paymentId" in outcome && outcome.paymentId) {
        span.setTag(TAG.paymentId, outcome.paymentId);
      }
      if ("reason" in outcome) span.setTag(TAG.reason, outcome.reason);
      if (outcome.kind === "unknown") span.setTag(TAG.reason, "outcome_unknown");
      return { reply, outcome };
    }).catch((error) => {
      if (!(error instanceof UpstreamError)) throw error;
      metrics.increment(METRIC.paymentError, { bank });
      if (error.notSent) {
        // The budget ran out before the call went out: this request paid nothing.
        log.warn(LOG.paymentNotSent, { ...facts, idempotency_key: key, error: errorFields(error) });
        throw paymentNotSent(key, error);
      }
      log.error(LOG.paymentUpstreamError, {
        ...facts,
        idempotency_key: key,
        error: errorFields(error),
      });
      // Unreachable or too slow: it may have been paid all the same.
      throw paymentOutcomeUnknown(key, error.status === 502 ? 502 : 504, error);
    });

    // A retry answered with the payment an earlier request made: told, but not counted or
    // logged as another payment.
    const replayed = reply.headers.get(REPLAYED_HEADER) === "true" &&
      (outcome.kind === "settled" || outcome.kind === "failed");
    if (replayed) {
      c.get("span")?.setTag(TAG.replayed, "true");
      c.header(REPLAYED_HEADER, "true");
      metrics.increment(METRIC.paymentReplayed, { bank, payment_status: outcome.kind });
      log.info(LOG.paymentReplayed, {
        ...facts,
        payment_id: outcome.paymentId,
        payment_status: outcome.kind,
        idempotency_key: key,
      });
      return c.json(withNextStep(reply.data, outcome), reply.status as ContentfulStatusCode);
    }
    switch (outcome.kind) {
      case "settled":
        metrics.increment(METRIC.paymentOk, { bank });
        log.info(LOG.paymentOk, { ...facts, payment_id: outcome.paymentId });
        break;
      case "failed":
        metrics.increment(METRIC.paymentError, { bank });
        log.warn(LOG.paymentFailed, {
          ...facts,
          payment_id: outcome.paymentId,
          payment_status: "failed",
          reason: outcome.reason,
        });
        break;
      case "refused":
        metrics.increment(METRIC.paymentError, { bank });
        log.warn(LOG.paymentFailed, {
          ...facts,
          payment_status: "refused",
          reason: outcome.reason,
          field: outcome.field,
          http_status: reply.status,
        });
        break;
      case "unknown":
        metrics.increment(METRIC.paymentError, { bank });
        log.error(LOG.paymentUpstreamError, {
          ...facts,
          idempotency_key: key,
          upstream_status: reply.status,
        });
        throw paymentOutcomeUnknown(key, reply.status === 504 ? 504 : 502);
    }
    return c.json(withNextStep(reply.data, outcome), reply.status as ContentfulStatusCode);
  });

  app.get("/api/payments", async (c) => {
    const session = requireSession(c);
    const payments = await deps.payments.recent(session.customerId, RECENT_PAYMENTS, peerCall(c));
    return c.json({ ok: true, payments });
  });

  app.post("/api/assistant", async (c) => {
    const session = requireSession(c);
    const body = await readJson(c, AssistantRequest);
    const payment = await deps.payments.get(body.payment_id, peerCall(c));
    // Another customer's payment answers exactly like a missing one: nothing leaks.
    if (!payment || payment.customer_id !== session.customerId) {
      throw new HttpError(404, "payment_not_found", `No payment ${body.payment_id} of yours`, {
        field: "payment_id",
      });
    }
    c.get("span")?.setTag(TAG.paymentId, payment.payment_id);
    let answer: string;
    try {
      const generation = await deps.llm.generate(
        assistantPrompt(payment, body.question || undefined),
        peerCall(c),
      );
      answer = assistantAnswer(generation.output);
    } catch (error) {
      c.get("log").warn(LOG.assistantError, {
        customer_id: session.customerId,
        payment_id: payment.payment_id,
        error: errorFields(error),
      });
      throw new HttpError(
        502,
        "assistant_unavailable",
        "The assistant is unavailable right now; try again in a moment",
        { cause: error },
      );
    }
    return c.json({ ok: true, payment_id: payment.payment_id, answer });
  });

  if (config.rumProxyUrl) {
    const target = config.rumProxyUrl;
    // Without dd-trace's wrapper: the intake gets the batch, not this process's trace headers.
    const forward = deps.fetch ?? untracedFetch;
    // The failure being reported ("unreachable" or the target's status), to say each once.
    let failing: string | undefined;
    const fail = (
      kind: string,
      fields: Record<string, unknown>,
      ddforward: string,
      log: Logger,
    ) => {
      // The path only, never the query, which holds the client token.
      if (failing !== kind) {
        log.warn(LOG.rumProxyError, { ...fields, ddforward: ddforward.split("?")[0] });
      }
      failing = kind;
    };
    // What the SDKs are told when they should keep a batch and send it again.
    const retryLater = { ok: false, error: { code: "intake_unavailable", message: "Retry later" } };
    app.post(RUM_PROXY_PATH, async (c) => {
      const ddforward = checkForwardPath(c.req.query("ddforward"));
      const body = await readCapped(
        c.req.raw.body,
        c.req.header("content-length"),
        c.get("deadline").remaining(),
      );
      const timeout = Math.min(config.peerTimeoutMs, c.get("deadline").remaining());
      try {
        // Cookies and other headers stay here: the intake needs the batch, its type and
        // where the browser is.
        const headers: Record<string, string> = {
          "content-type": c.req.header("content-type") ?? "text/plain",
        };
        const clientAddresses = forwardedFor(c.req.header("x-forwarded-for"), peerAddress(c.env));
        if (clientAddresses) headers["x-forwarded-for"] = clientAddresses;
        const response = await forward(forwardUrl(target, ddforward), {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(Math.max(1, timeout)),
        });
        await response.body?.cancel();
        if (response.ok) {
          failing = undefined;
          return c.json({ ok: true }, 202);
        }
        // Said once per kind of failure, whatever the answer: a refused client token (403)
        // would otherwise lose every batch without a trace.
        fail(
          String(response.status),
          { upstream_status: response.status },
          ddforward,
          c.get("log"),
        );
        // The SDKs retry a batch only on 408, 429 and 5xx: pass those on so they do.
        if (isRetryableIntakeStatus(response.status)) {
          const retryAfter = response.headers.get("retry-after");
          return c.json(
            retryLater,
            response.status as ContentfulStatusCode,
            retryAfter ? { "retry-after": retryAfter } : {},
          );
        }
        return c.json({ ok: true }, 202);
      } catch (error) {
        fail("unreachable", { error: errorFields(error) }, ddforward, c.get("log"));
        // Unreachable or too slow: a 503 has the SDKs keep the batch and send it again.
        return c.json(retryLater, 503);
      }
    });
  }

  app.get("/", async (c) => {
    const site = await deps.site.current();
    if (!site) return c.text(INDEX_MISSING, 503, { "cache-control": "no-store" });
    const headers = {
      "content-type": site.index.contentType,
      "cache-control": "no-cache",
      etag: site.index.etag,
    };
    if (c.req.header("if-none-match") === site.index.etag) return c.body(null, 304, headers);
    // Set here so a HEAD request, answered from this response without its body, says the size.
    return c.body(site.index.body, 200, {
      ...headers,
      "content-length": String(site.index.body.byteLength),
    });
  });

  app.get("/assets/*", async (c) => {
    const name = c.req.path.slice("/assets/".length);
    const file = (await deps.site.current())?.assets.get(name);
    if (!file) throw new HttpError(404, "not_found", `No asset named ${name}`);
    return c.body(file.body, 200, {
      "content-type": file.contentType,
      "content-length": String(file.body.byteLength),
      "cache-control": "public, max-age=31536000, immutable",
      etag: file.etag,
    });
  });

  return app;
}

function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof UpstreamError) {
    return {
      code: error.code,
      message: error.message,
      upstream: error.upstream,
      upstream_status: error.upstreamStatus,
    };
  }
  if (error instanceof HttpError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { kind: error.name, message: error.message };
  return { message: String(error) };
}
