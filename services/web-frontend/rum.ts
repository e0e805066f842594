import { badRequest, readCapped as readBodyCapped } from "@demo/observability";
import type { RumConfig } from "./config.ts";

/** Where the browser SDKs post their batches when a proxy is configured. */
export const RUM_PROXY_PATH = "/rum-proxy";

/** The largest batch the proxy forwards (session replay segments are the big ones). */
export const RUM_PROXY_MAX_BYTES = 2 * 1024 * 1024;

// The intake tracks the browser SDKs send to; anything else is not a batch of ours.
const FORWARD_PATHS: ReadonlySet<string> = new Set([
  "/api/v2/rum",
  "/api/v2/logs",
  "/api/v2/replay",
]);
const MAX_FORWARD_LENGTH = 4096;

/**
 * Checks the SDK's `ddforward` value (intake path and query) and returns it. Only the RUM,
 * Logs and Replay tracks pass, so the proxy cannot be pointed at anything else.
 */
export function checkForwardPath(ddforward: string | undefined): string {
  if (!ddforward) throw badRequest("ddforward", "Missing 'ddforward': expected an intake path");
  const query = ddforward.indexOf("?");
  const path = query === -1 ? ddforward : ddforward.slice(0, query);
  if (ddforward.length > MAX_FORWARD_LENGTH || !FORWARD_PATHS.has(path)) {
    throw badRequest(
      "ddforward",
      "Invalid 'ddforward': expected /api/v2/rum, /api/v2/logs or /api/v2/replay",
    );
  }
  return ddforward;
}

/** The URL a batch is forwarded to: the proxy target with the SDK's `ddforward`. */
export function forwardUrl(target: string, ddforward: string): string {
  const url = new URL(target);
  url.searchParams.set("ddforward", ddforward);
  return url.href;
}

/** The longest `X-Forwarded-For` taken from a request; a longer one is not passed on. */
const MAX_FORWARDED_FOR_LENGTH = 512;
// A list of IPv4 or IPv6 addresses, as proxies write it; anything else is not passed on.
const FORWARDED_FOR = /^[0-9A-Fa-f.:]+(\s*,\s*[0-9A-Fa-f.:]+)*$/;

function ipv4Octets(address: string): number[] | undefined {
  const octets = address.split(".").map(Number);
  return octets.length === 4 && octets.every((n) => Number.isInteger(n) && n >= 0 && n <= 255)
    ? octets
    : undefined;
}

/**
 * Whether an address can be geolocated: not loopback, private, link-local, shared (CGNAT) or
 * unspecified. IPv4-mapped IPv6 addresses are judged by their IPv4 part.
 */
export function isPublicAddress(address: string): boolean {
  const text = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  const v4 = ipv4Octets(mapped ?? text);
  if (v4) {
    const [a, b] = v4;
    return !(a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168));
  }
  if (!text.includes(":")) return false;
  if (text === "::" || text === "::1") return false;
  return !/^(fc|fd|fe[89ab])/.test(text);
}

/**
 * The `X-Forwarded-For` a forwarded batch carries, so the intake geolocates the browser and
 * not this gateway (Datadog's proxy guide asks for it): the list a proxy in front of the
 * gateway already wrote, with the address of the peer that sent the batch appended when it
 * is public. A private peer (the machine itself under `deno task dev`, a bridge or node
 * address in Compose and kind) says nothing about where the browser is, and listed alone it
 * would hide the connection's own public address from the intake; then no header is sent
 * unless a proxy wrote one. An incoming list that is not a list of addresses, or is too
 * long, is dropped.
 */
export function forwardedFor(
  incoming: string | undefined,
  peer: string | undefined,
): string | undefined {
  const prior = incoming?.trim();
  const kept = prior && prior.length <= MAX_FORWARDED_FOR_LENGTH && FORWARDED_FOR.test(prior)
    ? prior
    : undefined;
  if (!peer || !isPublicAddress(peer)) return kept;
  return kept ? `${kept}, ${peer}` : peer;
}

/** The address of the peer of a request served by `Deno.serve` (undefined in in-memory tests). */
export function peerAddress(env: unknown): string | undefined {
  const addr = (env as Partial<Deno.ServeHandlerInfo> | undefined)?.remoteAddr;
  return addr && "hostname" in addr ? addr.hostname : undefined;
}

/**
 * The Browser SDK's intake origin for a Datadog site, built the way the SDK builds it:
 * `browser-intake-` + the site's labels joined by `-` (datadoghq.eu →
 * https://browser-intake-datadoghq.eu, us3.datadoghq.com → https://browser-intake-us3-datadoghq.com).
 */
export function browserIntakeOrigin(site: string): string {
  const labels = site.split(".");
  const tld = labels.pop();
  return `https://browser-intake-${labels.join("-")}.${tld}`;
}

/** Content-Security-Policy directives (Hono `secureHeaders` shape). */
export interface CspDirectives {
  defaultSrc: string[];
  scriptSrc: string[];
  styleSrc: string[];
  imgSrc: string[];
  connectSrc: string[];
  workerSrc: string[];
  frameAncestors: string[];
  baseUri: string[];
  formAction: string[];
  objectSrc: string[];
}

/**
 * The page's policy: only its own scripts, styles and API. With RUM on and no proxy, the
 * SDKs post to the site's intake origin; session replay compresses in a `blob:` worker.
 */
export function contentSecurityPolicy(rum: RumConfig | null): CspDirectives {
  const connectSrc = ["'self'"];
  if (rum && !rum.proxy) connectSrc.push(browserIntakeOrigin(rum.site));
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    connectSrc,
    workerSrc: ["blob:"],
    frameAncestors: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    objectSrc: ["'none'"],
  };
}

/**
 * Reads a proxied body of at most `limit` bytes (413 past it), with the kit's reader: 408
 * when it has not arrived within `timeoutMs`.
 */
export function readCapped(
  body: ReadableStream<Uint8Array> | null,
  declaredLength: string | undefined,
  timeoutMs?: number,
  limit = RUM_PROXY_MAX_BYTES,
): Promise<Uint8Array<ArrayBuffer>> {
  return readBodyCapped(body, limit, declaredLength, timeoutMs);
}

/**
 * Whether the browser SDKs send a batch again after this answer from the intake: they retry
 * on 408, 429 and 5xx and drop the batch on anything else.
 */
export function isRetryableIntakeStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
