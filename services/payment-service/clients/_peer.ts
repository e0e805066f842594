import {
  type Deadline,
  type ServiceClient,
  UpstreamError,
  type UpstreamReply,
} from "@demo/observability";

/** Per-call options of the peer clients: the caller's deadline and request id. */
export interface PeerCallOptions {
  deadline?: Deadline;
  requestId?: string;
}

const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The error for a peer that answered but not with success: its own error code when it sent
 * a readable one (e.g. `missing_config` from the error envelope), else `upstream_error`.
 * Only codes of a safe shape are kept, since they end up in logs.
 */
export function peerRefused(
  peer: string,
  status: number,
  data: Record<string, unknown>,
): UpstreamError {
  const envelope = data.error;
  const candidate = typeof envelope === "object" && envelope !== null
    ? (envelope as Record<string, unknown>).code
    : typeof envelope === "string"
    ? envelope
    : data.reason;
  const code = typeof candidate === "string" && SAFE_CODE.test(candidate)
    ? candidate
    : "upstream_error";
  return new UpstreamError(502, code, `${peer} answered ${status} without success`, peer, status);
}

/** The error for a peer whose 2xx answer does not have the agreed shape. */
export function peerGarbled(peer: string, status: number): UpstreamError {
  return new UpstreamError(
    502,
    "upstream_bad_response",
    `${peer} answered ${status} with an unexpected body`,
    peer,
    status,
  );
}

/**
 * POSTs `body` to `path` on `client` with the caller's deadline and request id, and returns
 * the answer when it is a 2xx without `ok: false`; anything else is {@linkcode peerRefused}.
 */
export async function postForSuccess(
  client: ServiceClient,
  path: string,
  body: unknown,
  call: PeerCallOptions,
): Promise<UpstreamReply> {
  const reply = await client.call("POST", path, {
    body,
    deadline: call.deadline,
    requestId: call.requestId,
  });
  const data = reply.data;
  if (reply.status < 200 || reply.status > 299 || data.ok === false) {
    throw peerRefused(client.name, reply.status, data);
  }
  return reply;
}
