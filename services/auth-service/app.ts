import { z } from "zod";
import {
  createServiceApp,
  type Logger,
  type Metrics,
  type Random,
  type Readiness,
  readJson,
  withSpan,
} from "@demo/observability";
import type { AuthConfig } from "./config.ts";
import { attemptLogin } from "./login.ts";
import { LOG, METRIC, SPAN } from "./telemetry.ts";

/** What auth-service's app is built from. */
export interface AuthDeps {
  config: AuthConfig;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  random: Random;
}

/** Limits keep a login request small; the password is never logged or traced. */
export const LoginRequest = z.object({
  // Printable text only: control characters and lone surrogates would be escaped to six
  // bytes each in the session token and could push it past what a cookie check accepts.
  username: z.string().trim().min(1).max(64).regex(
    /^[^\p{Cc}\p{Cs}]*$/u,
    "must not contain control characters",
  ),
  password: z.string().min(1).max(128),
}).strict();

/** Builds auth-service's HTTP app (`POST /auth/login`); opens no port. */
export function createApp(deps: AuthDeps) {
  const app = createServiceApp({
    log: deps.log,
    readiness: deps.readiness,
    budgetMs: deps.config.base.requestBudgetMs,
  });

  app.post("/auth/login", async (c) => {
    const body = await readJson(c, LoginRequest);
    const outcome = await withSpan(SPAN.login, {}, async (span) => {
      const result = await attemptLogin(body.username, deps.random, deps.config.failRate);
      span.setTag("usr.id", result.customerId);
      if (!result.ok) span.setTag("reason", result.reason);
      return result;
    });
    c.get("span")?.setTag("usr.id", outcome.customerId);
    if (outcome.ok) {
      deps.metrics.increment(METRIC.ok);
      c.get("log").info(LOG.ok, { customer_id: outcome.customerId });
      return c.json({ ok: true, customer_id: outcome.customerId });
    }
    deps.metrics.increment(METRIC.failed, { reason: outcome.reason });
    c.get("log").warn(LOG.error, { customer_id: outcome.customerId, reason: outcome.reason });
    return c.json({ ok: false, customer_id: outcome.customerId, reason: outcome.reason }, 401);
  });

  return app;
}
