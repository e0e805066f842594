import { type CallOptions, HttpError, UpstreamError } from "@demo/observability";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** What every peer call carries from the incoming request: its deadline and request id. */
export type PeerCall = Pick<CallOptions, "deadline" | "requestId">;

/** Options every peer client is built from. */
export interface PeerClientOptions {
  baseUrl: string;
  /** Upper bound of one call, whatever the request's deadline. */
  timeoutMs: number;
  /** Injected in tests to fake the peer. */
  fetch?: typeof fetch;
}

/** An answer of a peer that this gateway cannot use: 502, or the peer's own 503/504. */
export function unexpectedAnswer(peer: string, status: number): UpstreamError {
  if (status === 503) {
    return new UpstreamError(503, "upstream_unavailable", `${peer} is unavailable`, peer, status);
  }
  if (status === 504) {
    return new UpstreamError(504, "upstream_timeout", `${peer} ran out of time`, peer, status);
  }
  return new UpstreamError(502, "upstream_error", `${peer} answered ${status}`, peer, status);
}

/** A peer's answer with the right status but not the body it promises. */
export function badAnswer(peer: string, status: number): UpstreamError {
  return new UpstreamError(
    502,
    "upstream_bad_response",
    `${peer} answered ${status} with an unexpected body`,
    peer,
    status,
  );
}

/**
 * A peer's 4xx error envelope as this gateway's own error (same status, code, message and
 * field), so the browser learns exactly which field was wrong.
 */
export function relayedError(
  peer: string,
  status: number,
  data: Record<string, unknown>,
): HttpError {
  const error = data.error as Record<string, unknown> | undefined;
  if (
    status < 400 || status >= 500 || !error || typeof error.code !== "string" ||
    typeof error.message !== "string"
  ) {
    return badAnswer(peer, status);
  }
  return new HttpError(status as ContentfulStatusCode, error.code, error.message, {
    field: typeof error.field === "string" ? error.field : undefined,
  });
}
