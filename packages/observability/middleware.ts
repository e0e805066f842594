import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { extractionCarrier, finishAfterResponse, tracer } from "./tracer.ts";
import type { Logger } from "./logger.ts";
import { BUDGET_HEADER, Deadline } from "./deadline.ts";

/** A dd-trace span, as services see it. */
export type Span = ReturnType<typeof tracer.startSpan>;

/** Context variables every service's request has (Hono `c.var`). */
export interface ObservedVariables {
  requestId: string;
  /** A logger whose lines carry `request_id` (and the trace ids, from the active span). */
  log: Logger;
  /** What is left of the caller's time budget, capped by this service's own. */
  deadline: Deadline;
  /** The request's server span (undefined on untraced paths such as health checks). */
  span: Span | undefined;
}

/** The Hono environment type of every service. */
export interface ObservedEnv {
  Variables: ObservedVariables;
}

/** Header carrying the request id from the gateway to every service. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Options of {@linkcode observe}. */
export interface ObserveOptions {
  log: Logger;
  /** The most this service waits for a request, whatever the caller's budget. */
  budgetMs: number;
  /** Whether the caller's `x-request-budget-ms` can shorten `budgetMs` (default true). */
  acceptCallerBudget?: boolean;
  /** Paths served without a span (probes would otherwise flood the trace list). */
  untraced?: readonly string[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The template of the route that answered, or undefined when none did (a 404 or 405): the
 * path as sent is not a template, and a scanner trying paths would make a resource of each.
 * Middleware (`app.use`, method ALL) is no route: a miss under the gateway's `/api/*`
 * session middleware was named `GET /api/*`.
 */
function routeTemplate(c: Context): string | undefined {
  try {
    const route = matchedRoutes(c)[c.req.routeIndex];
    if (!route || route.method === "ALL" || route.path === "/*") return undefined;
    return route.path;
  } catch {
    return undefined;
  }
}

/**
 * Middleware making one server span per request (`web.request`, resource
 * `METHOD /route/:template`), continuing the caller's Datadog or W3C trace, with `http.*`
 * tags and error details; it also sets the request id, the request logger and deadline.
 */
export function observe(options: ObserveOptions): MiddlewareHandler<ObservedEnv> {
  const untraced = new Set(options.untraced ?? ["/healthz", "/readyz"]);
  const acceptCallerBudget = options.acceptCallerBudget ?? true;
  return async function observeRequest(c, next) {
    const incomingId = c.req.header(REQUEST_ID_HEADER);
    const requestId = incomingId && REQUEST_ID.test(incomingId) ? incomingId : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set(
      "deadline",
      acceptCallerBudget
        ? Deadline.fromHeader(c.req.header(BUDGET_HEADER), options.budgetMs)
        : new Deadline(options.budgetMs),
    );
    c.set("log", options.log.child({ request_id: requestId }));
    c.header(REQUEST_ID_HEADER, requestId);
    if (untraced.has(c.req.path)) {
      c.set("span", undefined);
      return await next();
    }

    const carrier = extractionCarrier(c.req.raw.headers);
    const parent = carrier ? tracer.extract("http_headers", carrier) ?? undefined : undefined;
    const method = c.req.method;
    const url = c.req.url;
    const cut = url.search(/[?#]/);
    const span = tracer.startSpan("web.request", {
      childOf: parent,
      tags: {
        "span.kind": "server",
        "span.type": "web",
        component: "hono",
        "http.method": method,
        "http.url": cut === -1 ? url : url.slice(0, cut),
        "http.useragent": c.req.header("user-agent"),
        "request.id": requestId,
      },
    });
    c.set("span", span);
    const started = performance.now();
    try {
      await tracer.scope().activate(span, next);
    } finally {
      const route = routeTemplate(c);
      const status = c.res.status;
      // One addTags call: each setTag re-checks sampling tags and span listeners.
      // Without a route, the method alone, as dd-trace's own web integrations name it.
      const tags: Record<string, unknown> = {
        "resource.name": route === undefined ? method : `${method} ${route}`,
        "http.status_code": String(status),
        duration_ms: Math.round(performance.now() - started),
      };
      if (c.error && (status >= 500 || !("status" in c.error))) {
        tags.error = c.error;
      } else if (status >= 500) {
        tags.error = true;
        tags["error.type"] = "http_error";
        tags["error.message"] = `Answered ${status}`;
      }
      if (route !== undefined) tags["http.route"] = route;
      span.addTags(tags);
      finishAfterResponse(span);
    }
  };
}

/** The active span, if any (e.g. to tag it from a domain module through a callback). */
export function activeSpan(): Span | undefined {
  return tracer.scope().active() ?? undefined;
}

/** The active trace id as Datadog shows it (decimal, lower 64 bits), or undefined. */
export function activeTraceId(): string | undefined {
  return tracer.scope().active()?.context().toTraceId();
}

/** Options of {@linkcode withSpan}. */
export interface SpanOptions {
  resource?: string;
  tags?: Record<string, unknown>;
}

/**
 * Runs `fn` inside a manual child span named `name` (e.g. `payment.pay`). A thrown error
 * marks the span as an error and is rethrown.
 */
export function withSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  return Promise.resolve(
    tracer.trace(
      name,
      { resource: options.resource ?? name, tags: options.tags },
      (span) => fn(span as Span),
    ),
  );
}
