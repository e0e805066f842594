import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  type BaseConfig,
  baseConfigFrom,
  baseEnvSchema,
  envBool,
  envInt,
  envString,
  envUrl,
  parseEnv,
} from "@demo/observability";

/** What the browser needs to start the RUM and Logs SDKs (`GET /api/config`). */
export interface RumConfig {
  applicationId: string;
  /** Public by design: a client token can only send data, never read it. */
  clientToken: string;
  site: string;
  service: string;
  env: string;
  version: string;
  sessionSampleRate: number;
  sessionReplaySampleRate: number;
  /** Set when the SDKs send through this gateway instead of to Datadog directly. */
  proxy?: "/rum-proxy";
}

/** web-frontend configuration, resolved once at start-up. */
export interface WebConfig {
  base: BaseConfig;
  authServiceUrl: string;
  paymentServiceUrl: string;
  llmServiceUrl: string;
  /** Upper bound of one call to a peer, whatever the request's budget. */
  peerTimeoutMs: number;
  /** The HMAC key material of session cookies; never logged, traced or sent anywhere. */
  sessionSecret: string;
  sessionTtlSeconds: number;
  cookieSecure: boolean;
  /** Browser RUM settings, or null when RUM is off (no application id or client token). */
  rum: RumConfig | null;
  /** Where `POST /rum-proxy` forwards the browser SDKs' batches, or null (no proxy). */
  rumProxyUrl: string | null;
  /** The bundled UI (index.html and assets/). */
  webDistDir: string;
}

/** The smallest secret that gives HMAC-SHA256 enough key material. */
export const MIN_SESSION_SECRET_LENGTH = 32;

/** The UI bundle's default place: `web/dist` at the repository root. */
export const DEFAULT_WEB_DIST_DIR = fileURLToPath(new URL("../../web/dist", import.meta.url));

// A Datadog site is a bare host name; it ends up in the CSP header, so nothing else passes.
const SITE = /^[a-z0-9]+(?:[.-][a-z0-9]+)*\.[a-z]{2,}$/;

function sessionSecret() {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value === "") {
      ctx.addIssue({
        code: "custom",
        message: `is required (at least ${MIN_SESSION_SECRET_LENGTH} characters)`,
      });
      return z.NEVER;
    }
    if (value.length < MIN_SESSION_SECRET_LENGTH) {
      ctx.addIssue({
        code: "custom",
        message: `is too short (at least ${MIN_SESSION_SECRET_LENGTH} characters)`,
      });
      return z.NEVER;
    }
    return value;
  });
}

function site() {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value === "") return undefined;
    const host = value.trim().toLowerCase();
    if (!SITE.test(host)) {
      ctx.addIssue({ code: "custom", message: "expected a Datadog site such as datadoghq.eu" });
      return z.NEVER;
    }
    return host;
  });
}

function percent(defaultValue: number) {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value === "") return defaultValue;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 100) {
      ctx.addIssue({ code: "custom", message: "expected a percentage from 0 to 100" });
      return z.NEVER;
    }
    return n;
  });
}

function optionalUrl() {
  const url = envUrl("http://unset.invalid");
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value === "") return null;
    const parsed = url.safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", message: "expected an http or https URL" });
      return z.NEVER;
    }
    return parsed.data;
  });
}

/** Parses web-frontend's environment, naming every bad variable (never its value). */
export function loadConfig(env: Record<string, string | undefined>): WebConfig {
  const raw = parseEnv({
    ...baseEnvSchema,
    AUTH_SERVICE_URL: envUrl("http://localhost:8101"),
    PAYMENT_SERVICE_URL: envUrl("http://localhost:8102"),
    LLM_SERVICE_URL: envUrl("http://localhost:8105"),
    PEER_TIMEOUT_MS: envInt(5000, 50, 120_000),
    SESSION_SECRET: sessionSecret(),
    SESSION_TTL_SECONDS: envInt(3600, 60, 30 * 24 * 3600),
    COOKIE_SECURE: envBool(false),
    DD_SITE: site(),
    DD_RUM_APPLICATION_ID: envString(),
    DD_RUM_CLIENT_TOKEN: envString(),
    DD_RUM_SITE: site(),
    DD_RUM_SERVICE: envString("web-frontend"),
    DD_RUM_ENV: envString(),
    DD_RUM_VERSION: envString(),
    DD_RUM_SESSION_SAMPLE_RATE: percent(100),
    DD_RUM_SESSION_REPLAY_SAMPLE_RATE: percent(100),
    RUM_PROXY_URL: optionalUrl(),
    WEB_DIST_DIR: envString(DEFAULT_WEB_DIST_DIR),
  }, env);
  const base = baseConfigFrom("web-frontend", raw);
  const rum: RumConfig | null = raw.DD_RUM_APPLICATION_ID && raw.DD_RUM_CLIENT_TOKEN
    ? {
      applicationId: raw.DD_RUM_APPLICATION_ID,
      clientToken: raw.DD_RUM_CLIENT_TOKEN,
      site: raw.DD_RUM_SITE ?? raw.DD_SITE ?? "datadoghq.eu",
      service: raw.DD_RUM_SERVICE ?? "web-frontend",
      env: raw.DD_RUM_ENV ?? base.env,
      version: raw.DD_RUM_VERSION ?? base.version,
      sessionSampleRate: raw.DD_RUM_SESSION_SAMPLE_RATE,
      sessionReplaySampleRate: raw.DD_RUM_SESSION_REPLAY_SAMPLE_RATE,
      ...(raw.RUM_PROXY_URL ? { proxy: "/rum-proxy" as const } : {}),
    }
    : null;
  return {
    base,
    authServiceUrl: raw.AUTH_SERVICE_URL,
    paymentServiceUrl: raw.PAYMENT_SERVICE_URL,
    llmServiceUrl: raw.LLM_SERVICE_URL,
    peerTimeoutMs: raw.PEER_TIMEOUT_MS,
    sessionSecret: raw.SESSION_SECRET,
    sessionTtlSeconds: raw.SESSION_TTL_SECONDS,
    cookieSecure: raw.COOKIE_SECURE,
    rum,
    rumProxyUrl: raw.RUM_PROXY_URL,
    webDistDir: raw.WEB_DIST_DIR ?? DEFAULT_WEB_DIST_DIR,
  };
}
