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

/** `app.notFound` handler answering the error envelope. */
export function handleNotFound(c: Context<ObservedEnv>): Response {
  return c.json(
    errorBody(
      new HttpError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`),
      c.get("requestId"),
    ),
    404,
  );
}
