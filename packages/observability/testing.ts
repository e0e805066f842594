/**
 * Test helpers for services: a telemetry twin that records log lines and metrics, and a
 * JSON request shorthand for `app.request()`.
 *
 * @module
 */
import { createReadiness } from "./app.ts";
import { type BaseConfig } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMemoryMetrics, type MemoryMetrics } from "./metrics.ts";

/** Recorded telemetry of a service under test. */
export interface TestTelemetry {
  log: Logger;
  metrics: MemoryMetrics;
  /** Every log line written, parsed. */
  lines: Record<string, unknown>[];
  readiness: ReturnType<typeof createReadiness>;
  /** The parsed lines whose `message` is `message`. */
  logged(message: string): Record<string, unknown>[];
}

/** Creates a {@linkcode TestTelemetry} for `service`, ready to serve. */
export function createTestTelemetry(service: string): TestTelemetry {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service,
    level: "debug",
    sink: (line) => lines.push(JSON.parse(line)),
  });
  return {
    log,
    metrics: createMemoryMetrics({ service, env: "test", version: "0.0.0" }),
    lines,
    readiness: createReadiness(true),
    logged: (message) => lines.filter((l) => l.message === message),
  };
}

/** A base configuration for tests. */
export function testBaseConfig(service: string): BaseConfig {
  return {
    service,
    env: "test",
    version: "0.0.0",
    agentHost: "127.0.0.1",
    traceAgentPort: 8126,
    dogstatsdPort: 8125,
    traceEnabled: false,
    logLevel: "debug",
    port: 0,
    host: "127.0.0.1",
    shutdownTimeoutMs: 1000,
    requestBudgetMs: 5000,
  };
}

/** Options of {@linkcode jsonRequest}. */
export interface JsonRequestInit {
  body?: unknown;
  headers?: Record<string, string>;
}

/** Builds a `Request` sending `body` as JSON (a string body is sent as is). */
export function jsonRequest(method: string, url: string, init: JsonRequestInit = {}): Request {
  const body = init.body === undefined
    ? undefined
    : typeof init.body === "string"
    ? init.body
    : JSON.stringify(init.body);
  return new Request(new URL(url, "http://service.test"), {
    method,
    headers: {
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...init.headers,
    },
    body,
  });
}
