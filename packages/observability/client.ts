import { BUDGET_HEADER, Deadline } from "./deadline.ts";
import { HttpError } from "./errors.ts";
import { Http1Pool, ResponseTooLarge } from "./http1.ts";
import { REQUEST_ID_HEADER } from "./middleware.ts";
import { isClientErrorStatus, tracer, untracedFetch } from "./tracer.ts";

/** What a peer service answered: its status and its parsed JSON body. */
export interface UpstreamReply<T = Record<string, unknown>> {
  status: number;
  data: T;
  /** The answer's headers, names in lower case. */
  headers: ReadonlyMap<string, string>;
}

/** Options of one {@linkcode ServiceClient} call. */
export interface CallOptions {
  body?: unknown;
  /** The caller's deadline; the call gives up when it runs out. */
  deadline?: Deadline;
  requestId?: string;
  headers?: Record<string, string>;
}

/** A JSON-over-HTTP client for one peer service. */
export interface ServiceClient {
  readonly name: string;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: CallOptions,
  ): Promise<UpstreamReply<T>>;
}

/** Options of {@linkcode createServiceClient}. */
export interface ServiceClientOptions {
  /** The peer's service name, used in error messages. */
  name: string;
  baseUrl: string;
  /** Upper bound of one call, whatever the deadline. */
  timeoutMs: number;
  /** Milliseconds kept back from the budget passed downstream, for the trip back. */
  reserveMs?: number;
  /**
   * The `fetch` to call (tests pass a fake); the client span is made around it either way.
   * Without it, an `http:` peer is called through a pool of keep-alive connections
   * ({@linkcode Http1Pool}) and anything else through the runtime's `fetch`.
   */
  fetch?: typeof fetch;
  /**
   * Keep-alive connections to the peer at most (pooled transport only). Each carries one
   * call at a time, so this caps the calls in flight: past it, calls wait for a free
   * connection within their deadline. Default 1024, above what the services' own request
   * concurrency reaches (a payment waits up to 250 ms in payment-service: a lower cap would
   * throttle the gateway before the CPU does).
   */
  maxConnections?: number;
}

/** What a transport returns: the status, the headers (lower-case names) and the body as text. */
interface RawReply {
  status: number;
  headers: ReadonlyMap<string, string>;
  body: string;
}

/** Sends one request; rejects with a `TimeoutError` when `timeoutMs` runs out. */
type Transport = (
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
) => Promise<RawReply>;

function fetchTransport(base: string, doFetch: typeof fetch): Transport {
  return async (method, path, headers, body, timeoutMs) => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await doFetch(`${base}${path}`, { method, headers, body, signal });
      return {
        status: response.status,
        headers: new Map(response.headers),
        body: await response.text(),
      };
    } catch (error) {
      if (signal.aborted) throw new DOMException("Timed out", "TimeoutError");
      throw error;
    }
  };
}

/** Whether a URL can go over the kit's keep-alive pool: plain `http:` without credentials. */
function poolable(url: URL | undefined): url is URL {
  return url?.protocol === "http:" && !url.username && !url.password;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** A keep-alive pool to the host and port of an `http:` URL. */
function poolFor(url: URL, maxConnections: number): Http1Pool {
  return new Http1Pool(url.hostname, url.port ? Number(url.port) : 80, { maxConnections });
}

function poolTransport(url: URL, maxConnections: number): Transport {
  const pool = poolFor(url, maxConnections);
  const prefix = url.pathname.replace(/\/+$/, "");
  return (method, path, headers, body, timeoutMs) =>
    pool.request(method, `${prefix}${path}`, headers, body, timeoutMs);
}

function transportFor(
  base: string,
  url: URL | undefined,
  options: ServiceClientOptions,
): Transport {
  if (options.fetch) return fetchTransport(base, options.fetch);
  if (poolable(url) && !url.search) return poolTransport(url, options.maxConnections ?? 1024);
  return fetchTransport(base, untracedFetch);
}

/** The request options {@linkcode tracedFetch} takes: a JSON API call's. */
export interface TracedFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** A `fetch`-shaped function for calls to APIs outside the system (e.g. Jira). */
export type HttpFetch = (url: string, init: TracedFetchInit) => Promise<Response>;

const externalPools = new Map<string, Http1Pool>();
// A call to an outside API is bounded by its caller's signal; this only stops a leak.
const EXTERNAL_CALL_CAP_MS = 5 * 60_000;

async function sendExternal(
  url: URL | undefined,
  text: string,
  method: string,
  headers: Record<string, string>,
  init: TracedFetchInit,
) {
  if (!poolable(url)) {
    return await untracedFetch(text, { method, headers, body: init.body, signal: init.signal });
  }
  let pool = externalPools.get(url.host);
  if (!pool) {
    pool = poolFor(url, 32);
    externalPools.set(url.host, pool);
  }
  const reply = await pool.request(
    method,
    `${url.pathname}${url.search}`,
    headers,
    init.body,
    EXTERNAL_CALL_CAP_MS,
    init.signal,
  );
  const answer = new Headers();
  for (const [name, value] of reply.headers) {
    for (const part of value.split("\n")) answer.append(name, part);
  }
  const empty = reply.status === 204 || reply.status === 304 || method === "HEAD";
  return new Response(empty ? null : reply.body, { status: reply.status, headers: answer });
}

/**
 * `fetch` for calls to APIs outside the system, with the client span and trace headers the
 * kit's service client makes (dd-trace's own `fetch` wrapper costs several times more under
 * Deno). Plain `http:` URLs (a local stand-in) go over pooled keep-alive connections,
 * anything else (`https:`) through the runtime's `fetch`.
 */
export const tracedFetch: HttpFetch = async (text, init) => {
  const url = parseUrl(text);
  const method = init.method ?? "GET";
  const headers = { ...init.headers };
  return await inClientSpan(
    method,
    text,
    peerOf(url),
    headers,
    () => sendExternal(url, text, method, headers, init),
  );
};

/** The code of a call given up before it was sent, its deadline already passed. */
const DEADLINE_EXCEEDED = "deadline_exceeded";

/** An upstream failure, mapped to the status the caller should answer with. */
export class UpstreamError extends HttpError {
  readonly upstream: string;
  readonly upstreamStatus?: number;
  constructor(
    status: 502 | 503 | 504,
    code: string,
    message: string,
    upstream: string,
    upstreamStatus?: number,
  ) {
    super(status, code, message, { details: { upstream } });
    this.name = "UpstreamError";
    this.upstream = upstream;
    this.upstreamStatus = upstreamStatus;
  }

  /** The call was never sent (no time was left for it): the peer did nothing. */
  get notSent(): boolean {
    return this.code === DEADLINE_EXCEEDED;
  }
}

type ClientSpan = ReturnType<typeof tracer.startSpan>;

/** The `out.host` and port tags of the client spans of calls to `url`. */
function peerOf(url: URL | undefined): { host: string; port: number | undefined } {
  if (!url) return { host: "localhost", port: undefined };
  return { host: url.hostname, port: url.port ? Number(url.port) : undefined };
}

/**
 * Starts the client span of one call, child of the active span, as dd-trace's `fetch`
 * integration names and tags it (`http.request`, resource = method, `component: fetch`), and
 * writes the Datadog and W3C trace headers into `headers`.
 */
function startClientSpan(
  method: string,
  url: string,
  peer: { host: string; port: number | undefined },
  headers: Record<string, string>,
): ClientSpan {
  const cut = url.search(/[?#]/);
  const span = tracer.startSpan(
    "http.request",
    {
      childOf: tracer.scope().active() ?? undefined,
      integrationName: "fetch",
      tags: {
        component: "fetch",
        "span.kind": "client",
        "span.type": "http",
        "resource.name": method,
        "http.method": method,
        "http.url": cut === -1 ? url : url.slice(0, cut),
        "out.host": peer.host,
        ...(peer.port === undefined ? {} : { "network.destination.port": peer.port }),
      },
    } as Parameters<typeof tracer.startSpan>[1],
  );
  tracer.inject(span, "http_headers", headers);
  return span;
}

/**
 * Makes one call inside its client span: `send` runs after the trace headers are written into
 * `headers`; the answer's status is tagged (a 4xx marks an error) and a failure recorded.
 */
async function inClientSpan<R extends { status: number }>(
  method: string,
  url: string,
  peer: { host: string; port: number | undefined },
  headers: Record<string, string>,
  send: () => Promise<R>,
): Promise<R> {
  const span = startClientSpan(method, url, peer, headers);
  try {
    const reply = await send();
    span.setTag("http.status_code", reply.status);
    if (isClientErrorStatus(reply.status)) span.setTag("error", 1);
    return reply;
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.finish();
  }
}

/** Records a failed call on its span, as dd-trace does: an abort by the caller is no error. */
function recordFailure(span: ClientSpan, error: unknown) {
  if (typeof error !== "object" || error === null) return;
  const { name, message, code, stack } = error as Record<string, unknown>;
  if (name === "AbortError") return;
  span.addTags({ "error.type": name, "error.message": message || code, "error.stack": stack });
}

/** The {@linkcode UpstreamError} for a call that got no usable answer. */
function upstreamFailure(name: string, timeout: number, error: unknown): UpstreamError {
  if (error instanceof ResponseTooLarge) {
    return new UpstreamError(502, "upstream_bad_response", `${name} answered too much`, name);
  }
  if ((error as Error | undefined)?.name === "TimeoutError") {
    return new UpstreamError(
      504,
      "upstream_timeout",
      `${name} did not answer within ${timeout} ms`,
      name,
    );
  }
  return new UpstreamError(503, "upstream_unavailable", `${name} is unreachable`, name);
}

/**
 * Creates a client that sends JSON, passes the request id and the shrinking time budget,
 * and turns every way a peer can fail into an {@linkcode UpstreamError}: 504 when it is too
 * slow, 503 when it cannot be reached, 502 when it answers something that is not a JSON
 * object. Each call gets a client span (child of the active span) and the Datadog and W3C
 * trace headers; the client makes them itself instead of going through dd-trace's `fetch`
 * wrapper, which costs several times more per call under Deno. An `http:` peer is called
 * over a pool of keep-alive connections (the services' network is private and plain
 * HTTP); `https:` peers through `fetch`.
 */
export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const reserve = options.reserveMs ?? 25;
  const url = parseUrl(base);
  const send = transportFor(base, url, options);
  const peer = peerOf(url);
  return {
    name: options.name,
    async call<T>(method: string, path: string, call: CallOptions = {}) {
      const timeout = Math.min(options.timeoutMs, call.deadline?.remaining() ?? options.timeoutMs);
      if (timeout <= 0) {
        throw new UpstreamError(
          504,
          DEADLINE_EXCEEDED,
          `No time left to call ${options.name}`,
          options.name,
        );
      }
      const headers: Record<string, string> = {
        accept: "application/json",
        [BUDGET_HEADER]: String(Math.max(1, timeout - reserve)),
        ...call.headers,
      };
      if (call.requestId) headers[REQUEST_ID_HEADER] = call.requestId;
      if (call.body !== undefined) headers["content-type"] = "application/json";
      let reply: RawReply;
      try {
        reply = await inClientSpan(
          method,
          `${base}${path}`,
          peer,
          headers,
          () =>
            send(
              method,
              path,
              headers,
              call.body === undefined ? undefined : JSON.stringify(call.body),
              timeout,
            ),
        );
      } catch (error) {
        throw upstreamFailure(options.name, timeout, error);
      }
      const { status, headers: replyHeaders, body: text } = reply;
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
      if (data === null || typeof data !== "object" || Array.isArray(data)) {
        throw new UpstreamError(
          502,
          "upstream_bad_response",
          `${options.name} answered ${status} with a body that is not a JSON object`,
          options.name,
          status,
        );
      }
      return { status, data: data as T, headers: replyHeaders };
    },
  };
}
