import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ObservedEnv } from "./middleware.ts";

/** Options of {@linkcode HttpError}. */
export interface HttpErrorOptions {
  /** The request field that was wrong, for bad input. */
  field?: string;
  /** Extra details safe to show to the caller. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The project's one HTTP error: a status, a stable machine-readable `code` and a sentence
 * for people. Thrown anywhere in a request, it becomes the JSON error envelope.
 */
export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly field?: string;
  readonly details?: Record<string, unknown>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }
}

/** Shorthand for a 400 that names the field at fault. */
export function badRequest(field: string, message: string, code = "invalid_request"): HttpError {
  return new HttpError(400, code, message, { field });
}

/** The JSON body of every error response. */
export interface ErrorBody {
  ok: false;
  error: {
    code: string;
    message: string;
    field?: string;
    requestId?: string;
    [key: string]: unknown;
  };
}

/** Builds the error envelope for `error` without revealing anything internal. */
export function errorBody(error: HttpError, requestId?: string): ErrorBody {
  return {
    ok: false,
    error: {
      code: error.code,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
      ...error.details,
      ...(requestId ? { requestId } : {}),
    },
  };
}

/**
 * `app.onError` handler: HttpErrors answer with their status and envelope; anything else
 * is logged with its stack and answered as a 500 that says nothing of the internals.
 */
export function handleError(error: Error, c: Context<ObservedEnv>): Response {
  const requestId = c.get("requestId");
  if (error instanceof HttpError) {
    return c.json(errorBody(error, requestId), error.status);
  }
  // Hono's own HTTPException (e.g. from the body-limit middleware) carries a status.
  const status = (error as { status?: number }).status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return c.json(
      errorBody(
        new HttpError(status as ContentfulStatusCode, "bad_request", error.message),
        requestId,
      ),
      status as ContentfulStatusCode,
    );
  }
  c.get("log")?.error("unhandled_error", {
    error: { kind: error.name, message: error.message, stack: error.stack },
  });
  return c.json(
    errorBody(new HttpError(500, "internal_error", "Internal error"), requestId),
    500,
  );
}

/** The methods a route answers with, in the order an `Allow` header lists them. */
const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

type RouteMatch = [[unknown, { method: string }], unknown][];
type RoutedApp = { router: { match(method: string, path: string): [RouteMatch, ...unknown[]] } };

/**
 * The methods `app` has a route for at `path` (GET brings HEAD, which Hono answers from it),
 * not counting middleware, which every method passes through.
 */
function allowedMethods(app: RoutedApp, path: string): string[] {
  const allowed: string[] = [];
  for (const method of ROUTE_METHODS) {
    const [matches] = app.router.match(method, path);
    if (matches.some(([[, route]]) => route.method === method)) allowed.push(method);
  }
  if (allowed.includes("GET")) allowed.splice(1, 0, "HEAD");
  return allowed;
}

/**
 * `app.notFound` handler of `app` answering the error envelope: 405 `method_not_allowed`
 * with an `Allow` header when the path has routes for other methods (`GET /api/pay`),
 * else 404 `not_found`. The routes are read when a request misses, so the ones added after
 * this handler count too.
 */
export function notFoundHandler(app: RoutedApp) {
  return function handleNotFound(c: Context<ObservedEnv>): Response {
    const { method, path } = c.req;
    const allowed = allowedMethods(app, path);
    // A route of this very method that fell through (`next()` past the end) is not a 405.
    if (allowed.length > 0 && !allowed.includes(method)) {
      const list = allowed.join(", ");
      c.header("Allow", list);
      return handleError(
        new HttpError(405, "method_not_allowed", `${path} answers ${list}, not ${method}`, {
          field: "method",
        }),
        c,
      );
    }
    return handleError(new HttpError(404, "not_found", `No route for ${method} ${path}`), c);
  };
}
