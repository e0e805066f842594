import { z } from "zod";
import type { LogLevel } from "./_log.ts";
import type { StoreLimits } from "./store.ts";

/** Thrown at start-up when configuration is invalid; names every bad key, never a value. */
export class ConfigError extends Error {
  readonly keys: string[];
  constructor(keys: string[], problems: string[]) {
    super(`Cannot start: invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.keys = keys;
  }
}

/** The stand-in's configuration, resolved once at start-up. */
export interface LocalAgentConfig {
  httpPort: number;
  statsdPort: number;
  host: string;
  logLevel: LogLevel;
  /** How long SIGINT (Ctrl-C) keeps it receiving before it stops (ms). */
  sigintWaitMs: number;
  limits: Pick<
    StoreLimits,
    "maxTraces" | "maxLogs" | "maxMetricSeries" | "maxRumEvents" | "maxLlmObs"
  >;
}

function int(defaultValue: number, min: number, max: number) {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value.trim() === "") return defaultValue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `expected a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });
}

const LEVELS = ["debug", "info", "warn", "error"] as const;

const schema = z.object({
  LOCAL_AGENT_HTTP_PORT: int(8126, 0, 65535),
  LOCAL_AGENT_STATSD_PORT: int(8125, 0, 65535),
  HOST: z.string().optional().transform((value) => value?.trim() || "0.0.0.0"),
  LOG_LEVEL: z.string().optional().transform((value, ctx) => {
    const level = (value?.trim() || "info").toLowerCase();
    if (level === "warning") return "warn" as const;
    if ((LEVELS as readonly string[]).includes(level)) return level as LogLevel;
    ctx.addIssue({ code: "custom", message: "expected debug, info, warn or error" });
    return z.NEVER;
  }),
  LOCAL_AGENT_MAX_TRACES: int(2000, 1, 1_000_000),
  LOCAL_AGENT_MAX_LOGS: int(10_000, 1, 10_000_000),
  LOCAL_AGENT_MAX_METRIC_SERIES: int(5000, 1, 1_000_000),
  LOCAL_AGENT_MAX_RUM_EVENTS: int(5000, 1, 1_000_000),
  LOCAL_AGENT_MAX_LLMOBS: int(2000, 1, 1_000_000),
  LOCAL_AGENT_SIGINT_WAIT_MS: int(12_000, 0, 120_000),
});

/** Parses the stand-in's environment, naming every bad variable (never its value). */
export function loadConfig(env: Record<string, string | undefined>): LocalAgentConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const keys: string[] = [];
    const problems: string[] = [];
    for (const issue of result.error.issues) {
      const key = issue.path.map(String).join(".");
      if (!keys.includes(key)) keys.push(key);
      problems.push(
        `${key} ${issue.code === "invalid_type" ? "expected a string" : issue.message}`,
      );
    }
    throw new ConfigError(keys, problems);
  }
  const raw = result.data;
  return {
    httpPort: raw.LOCAL_AGENT_HTTP_PORT,
    statsdPort: raw.LOCAL_AGENT_STATSD_PORT,
    host: raw.HOST,
    logLevel: raw.LOG_LEVEL,
    sigintWaitMs: raw.LOCAL_AGENT_SIGINT_WAIT_MS,
    limits: {
      maxTraces: raw.LOCAL_AGENT_MAX_TRACES,
      maxLogs: raw.LOCAL_AGENT_MAX_LOGS,
      maxMetricSeries: raw.LOCAL_AGENT_MAX_METRIC_SERIES,
      maxRumEvents: raw.LOCAL_AGENT_MAX_RUM_EVENTS,
      maxLlmObs: raw.LOCAL_AGENT_MAX_LLMOBS,
    },
  };
}
