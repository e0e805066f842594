/**
 * Test wiring for web-frontend: the app with its peers faked behind the real clients (on a
 * fake `fetch`), recorded telemetry, and a way to log a customer in.
 */
import {
  createTestTelemetry,
  testBaseConfig,
  type TestTelemetry,
} from "@demo/observability/testing";
import { createApp } from "./app.ts";
import { createAuthServiceClient } from "./clients/auth_service.ts";
import { createLlmServiceClient } from "./clients/llm_service.ts";
import { createPaymentServiceClient } from "./clients/payment_service.ts";
import { loadConfig, type WebConfig } from "./config.ts";
import { createSessionCodec, SESSION_COOKIE, type SessionCodec } from "./session.ts";
import { createStaticSiteSource } from "./static.ts";

export const TEST_SECRET = "test-only-session-secret-0123456789abcdef";
export const CUSTOMER = "cust_0123456789";
export const OTHER_CUSTOMER = "cust_abcdefabcd";

/** A request a fake peer received, with its body parsed. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Headers;
  body: unknown;
}

/** How a fake peer answers. */
export type PeerHandler = (req: SeenRequest, signal: AbortSignal) => Response | Promise<Response>;

function fakeFetch(handler: PeerHandler, seen: SeenRequest[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input as string, init);
    const text = await request.text();
    const url = new URL(request.url);
    const entry = {
      method: request.method,
      path: url.pathname + url.search,
      headers: request.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    seen.push(entry);
    return handler(entry, request.signal);
  };
}

/** A peer that never answers: it waits until the caller gives up. */
export function neverAnswers(_req: SeenRequest, signal: AbortSignal): Promise<Response> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** A peer whose connection is refused, as `fetch` reports it. */
export function unreachable(): Promise<Response> {
  return Promise.reject(new TypeError("error sending request: Connection refused"));
}

/** A peer answering an HTML error page, as a proxy in front of it would. */
export function htmlPage(): Response {
  return new Response("<html><body>502 Bad Gateway</body></html>", {
    status: 502,
    headers: { "content-type": "text/html" },
  });
}

const notFaked: PeerHandler = (req) =>
  Response.json({ ok: false, error: { code: "not_faked", message: req.path } }, { status: 500 });

/** Options of {@linkcode createTestGateway}. */
export interface TestGatewayOptions {
  /** Environment on top of the defaults (SESSION_SECRET is set). */
  env?: Record<string, string>;
  /** Request budget of the gateway (the kit's REQUEST_BUDGET_MS). */
  budgetMs?: number;
  auth?: PeerHandler;
  payments?: PeerHandler;
  llm?: PeerHandler;
  /** What the RUM proxy forwards with. */
  forward?: typeof fetch;
  /** The UI folder (default: one that does not exist). */
  distDir?: string;
}

/** The gateway under test. */
export interface TestGateway {
  app: ReturnType<typeof createApp>;
  config: WebConfig;
  telemetry: TestTelemetry;
  sessions: SessionCodec;
  seen: { auth: SeenRequest[]; payments: SeenRequest[]; llm: SeenRequest[] };
  /** A `Cookie` header with a valid session of `customerId`. */
  cookieFor(customerId?: string, username?: string, now?: number): Promise<string>;
}

/** Builds the gateway with faked peers; nothing listens on a port. */
export async function createTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const config = loadConfig({
    SESSION_SECRET: TEST_SECRET,
    WEB_DIST_DIR: options.distDir ?? "/nonexistent/web-dist",
    ...options.env,
  });
  config.base = { ...testBaseConfig("web-frontend"), requestBudgetMs: options.budgetMs ?? 5000 };
  const telemetry = createTestTelemetry("web-frontend");
  const sessions = await createSessionCodec({
    secret: config.sessionSecret,
    ttlSeconds: config.sessionTtlSeconds,
  });
  const seen = { auth: [], payments: [], llm: [] } as TestGateway["seen"];
  const peer = (url: string, handler: PeerHandler | undefined, into: SeenRequest[]) => ({
    baseUrl: url,
    timeoutMs: config.peerTimeoutMs,
    fetch: fakeFetch(handler ?? notFaked, into),
  });
  const app = createApp({
    config,
    log: telemetry.log,
    metrics: telemetry.metrics,
    readiness: telemetry.readiness,
    auth: createAuthServiceClient(peer(config.authServiceUrl, options.auth, seen.auth)),
    payments: createPaymentServiceClient(
      peer(config.paymentServiceUrl, options.payments, seen.payments),
    ),
    llm: createLlmServiceClient(peer(config.llmServiceUrl, options.llm, seen.llm)),
    sessions,
    site: createStaticSiteSource(config.webDistDir, { retryMs: 0 }),
    fetch: options.forward,
  });
  return {
    app,
    config,
    telemetry,
    sessions,
    seen,
    async cookieFor(customerId = CUSTOMER, username = "alice", now?: number) {
      return `${SESSION_COOKIE}=${await sessions.issue(customerId, username, now)}`;
    },
  };
}
