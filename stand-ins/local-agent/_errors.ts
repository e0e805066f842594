/** The 4xx statuses the stand-in answers with. */
export type RejectStatus = 400 | 404 | 405 | 408 | 413 | 415;

/**
 * Why a request was refused: a 4xx with a stable machine-readable `code` and a sentence
 * naming what was wrong. Every intake throws it for bad input; the app turns it into the
 * same error envelope the services answer with.
 */
export class AgentError extends Error {
  readonly status: RejectStatus;
  readonly code: string;
  readonly field?: string;

  constructor(status: RejectStatus, code: string, message: string, field?: string) {
    super(message);
    this.name = "AgentError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** A 400 naming the field at fault. */
export function invalid(field: string, message: string): AgentError {
  return new AgentError(400, "invalid_payload", message, field);
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  ok: false;
  error: { code: string; message: string; field?: string };
}

/** Builds the error envelope for `error`. */
export function errorBody(error: AgentError): ErrorBody {
  return {
    ok: false,
    error: {
      code: error.code,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
    },
  };
}
