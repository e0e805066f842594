import { Hono } from "hono";
import { handleError, notFoundHandler } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { observe, type ObservedEnv } from "./middleware.ts";

/** Whether a service is ready to take traffic; `/readyz` answers from it. */
export interface Readiness {
  readonly ready: boolean;
  /** Marks the service ready (after its dependencies are set up). */
  markReady(): void;
  /** Marks the service as going away: `/readyz` answers 503 so no new traffic comes. */
  markDraining(): void;
}

/** Creates a {@linkcode Readiness}, not ready until `markReady()`. */
export function createReadiness(ready = false): Readiness {
  let state = ready;
  return {
    get ready() {
      return state;
    },
    markReady: () => void (state = true),
    markDraining: () => void (state = false),
  };
}

/** Options of {@linkcode createServiceApp}. */
export interface ServiceAppOptions {
  log: Logger;
  readiness: Readiness;
  /** The most a request may take here (see `REQUEST_BUDGET_MS`). */
  budgetMs: number;
  /**
   * Whether a caller's `x-request-budget-ms` may shorten it (default true, for the services
   * behind the gateway). The gateway faces the public and sets false: a browser cannot
   * make it give up early and log errors on purpose.
   */
  acceptCallerBudget?: boolean;
}

/**
 * The Hono app every service starts from: server spans, request ids, the request logger
 * and deadline, `GET /healthz` (alive) and `GET /readyz` (ready), and the one error
 * handler. Services add their routes to it.
 */
export function createServiceApp(options: ServiceAppOptions): Hono<ObservedEnv> {
  const app = new Hono<ObservedEnv>();
  app.use(observe({
    log: options.log,
    budgetMs: options.budgetMs,
    acceptCallerBudget: options.acceptCallerBudget,
  }));
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get(
    "/readyz",
    (c) =>
      options.readiness.ready
        ? c.json({ ok: true })
        : c.json({ ok: false, error: { code: "not_ready", message: "Service is not ready" } }, 503),
  );
  app.onError(handleError);
  app.notFound(notFoundHandler(app));
  return app;
}
