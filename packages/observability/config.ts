import { z } from "zod";

/** Thrown at start-up when configuration is invalid; names every bad key, never a value. */
export class ConfigError extends Error {
  readonly keys: string[];
  constructor(keys: string[], problems: string[]) {
    super(`Cannot start: invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.keys = keys;
  }
}

const TRUE = /^(true|1|yes|on)$/i;
const FALSE = /^(false|0|no|off)$/i;

/** An environment boolean: true/false, 1/0, yes/no, on/off. */
export function envBool(defaultValue: boolean) {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value === "") return defaultValue;
    if (TRUE.test(value)) return true;
    if (FALSE.test(value)) return false;
    ctx.addIssue({ code: "custom", message: "expected true or false" });
    return z.NEVER;
  });
}

/** An environment integer in [min, max]. */
export function envInt(defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value === "") return defaultValue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `expected a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });
}

/** An environment probability in [0, 1]. */
export function envRate(defaultValue: number) {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value === "") return defaultValue;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      ctx.addIssue({ code: "custom", message: "expected a rate from 0 to 1" });
      return z.NEVER;
    }
    return n;
  });
}

/** An environment http(s) URL, trailing slashes removed. */
export function envUrl(defaultValue?: string) {
  return z.string().optional().transform((value, ctx) => {
    const raw = value === undefined || value === "" ? defaultValue : value;
    if (raw === undefined) {
      ctx.addIssue({ code: "custom", message: "is required (an http or https URL)" });
      return z.NEVER;
    }
    try {
      const url = new URL(raw);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
      return raw.replace(/\/+$/, "");
    } catch {
      ctx.addIssue({ code: "custom", message: "expected an http or https URL" });
      return z.NEVER;
    }
  });
}

/** An optional environment string ("" counts as unset). */
export function envString(defaultValue?: string) {
  return z.string().optional().transform((v) => (v === undefined || v === "" ? defaultValue : v));
}

/** Variables every service reads: unified service tagging, the Agent, logging, the port. */
export const baseEnvSchema = {
  DD_SERVICE: envString(),
  DD_ENV: envString("dev"),
  DD_VERSION: envString("0.1.0"),
  DD_AGENT_HOST: envString("localhost"),
  DD_TRACE_AGENT_PORT: envInt(8126, 1, 65535),
  DD_DOGSTATSD_PORT: envInt(8125, 1, 65535),
  DD_TRACE_ENABLED: envBool(true),
  /** Also send log lines to the local Agent stand-in, which cannot read container output. */
  LOCAL_AGENT_LOGS: envBool(false),
  LOG_LEVEL: z.string().optional().transform((v, ctx) => {
    const level = (v ?? "info").toLowerCase();
    if (level === "warning") return "warn" as const;
    if (["debug", "info", "warn", "error"].includes(level)) {
      return level as "debug" | "info" | "warn" | "error";
    }
    ctx.addIssue({ code: "custom", message: "expected debug, info, warn or error" });
    return z.NEVER;
  }),
  PORT: envInt(8000, 1, 65535),
  HOST: envString("0.0.0.0"),
  /** How long a shutdown waits for in-flight requests. */
  SHUTDOWN_TIMEOUT_MS: envInt(10_000, 0, 120_000),
  /** The most a request may take in this service, whatever the caller allows. */
  REQUEST_BUDGET_MS: envInt(10_000, 100, 120_000),
};

/** The resolved base configuration (no optional fields but the service name). */
export interface BaseConfig {
  service: string;
  env: string;
  version: string;
  agentHost: string;
  traceAgentPort: number;
  dogstatsdPort: number;
  traceEnabled: boolean;
  /** Send log lines to the local Agent stand-in's intake too (`LOCAL_AGENT_LOGS`). */
  localAgentLogs: boolean;
  logLevel: "debug" | "info" | "warn" | "error";
  port: number;
  host: string;
  shutdownTimeoutMs: number;
  requestBudgetMs: number;
}

/**
 * Parses `env` with a zod object of `shape` and throws one {@linkcode ConfigError} naming
 * every bad variable. Values are never echoed: they may be secrets.
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined>,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const keys: string[] = [];
  const problems: string[] = [];
  for (const issue of result.error.issues) {
    const key = issue.path.map(String).join(".");
    if (!keys.includes(key)) keys.push(key);
    const message = issue.code === "invalid_type" ? "expected a string" : issue.message;
    problems.push(`${key} ${message}`);
  }
  throw new ConfigError(keys, problems);
}

type BaseRaw = z.infer<z.ZodObject<typeof baseEnvSchema>>;

/**
 * Maps the parsed base variables to {@linkcode BaseConfig}. Services parse
 * `{ ...baseEnvSchema, ...theirOwn }` in one {@linkcode parseEnv} call, so a start-up
 * error names every bad variable at once, then call this.
 */
export function baseConfigFrom(service: string, raw: BaseRaw): BaseConfig {
  return {
    service: raw.DD_SERVICE ?? service,
    env: raw.DD_ENV ?? "dev",
    version: raw.DD_VERSION ?? "0.1.0",
    agentHost: raw.DD_AGENT_HOST ?? "localhost",
    traceAgentPort: raw.DD_TRACE_AGENT_PORT,
    dogstatsdPort: raw.DD_DOGSTATSD_PORT,
    traceEnabled: raw.DD_TRACE_ENABLED,
    localAgentLogs: raw.LOCAL_AGENT_LOGS,
    logLevel: raw.LOG_LEVEL,
    port: raw.PORT,
    host: raw.HOST ?? "0.0.0.0",
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    requestBudgetMs: raw.REQUEST_BUDGET_MS,
  };
}
