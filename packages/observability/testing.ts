/**
 * Test helpers for services: a telemetry twin that records log lines and metrics, and a
 * JSON request shorthand for `app.request()`.
 *
 * @module
 */
import { createReadiness } from "./app.ts";
import type { Random } from "./random.ts";
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
    localAgentLogs: false,
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

/** A span as the Agent receives it, with ids as decimal strings. */
export interface CapturedSpan {
  service: string;
  name: string;
  resource: string;
  trace_id: string;
  span_id: string;
  parent_id: string;
  error: number;
  /** Start, in nanoseconds since the epoch. */
  start: number;
  /** Duration in nanoseconds. */
  duration: number;
  meta: Record<string, string>;
  metrics: Record<string, number>;
}

/** Spans the tracer sent to an in-process stand-in of the Agent. */
export interface SpanCapture {
  readonly spans: CapturedSpan[];
  /** Flushes the tracer and waits until a span matching `predicate` arrived (or throws). */
  waitFor(predicate: (span: CapturedSpan) => boolean, timeoutMs?: number): Promise<CapturedSpan>;
}

let capture: Promise<SpanCapture> | undefined;

/** v0.5 traces (`[strings, traces]`, each span an array of 12 slots) as v0.4 span maps. */
export function fromV05([strings, traces]: [string[], unknown[][][]]): Record<string, unknown>[][] {
  const text = (index: unknown) => strings[Number(index)];
  const keyed = <T>(map: unknown, value: (v: unknown) => T) =>
    Object.fromEntries(
      [...(map instanceof Map ? map : Object.entries(map ?? {}))].map((
        [k, v],
      ) => [text(k), value(v)]),
    );
  return traces.map((trace) =>
    trace.map((span) => ({
      service: text(span[0]),
      name: text(span[1]),
      resource: text(span[2]),
      trace_id: span[3],
      span_id: span[4],
      parent_id: span[5],
      start: span[6],
      duration: span[7],
      error: span[8],
      meta: keyed(span[9], text),
      metrics: keyed(span[10], (v) => v),
      type: text(span[11]),
    }))
  );
}

/**
 * Initialises dd-trace in the test process, sending to an in-process trace intake, and
 * returns what it receives. Call it before the code under test runs; it is one per test
 * module (the tracer is global), so put span tests in their own `*_spans_test.ts` file and
 * turn off the op and resource sanitizers there (the tracer keeps its own timers).
 */
export function captureSpans(): Promise<SpanCapture> {
  capture ??= startCapture();
  return capture;
}

async function startCapture(): Promise<SpanCapture> {
  const { decode } = await import("@msgpack/msgpack");
  const { initTracer, flushTracer } = await import("./tracer.ts");
  const spans: CapturedSpan[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = new Uint8Array(await req.arrayBuffer());
    const path = new URL(req.url).pathname;
    if (path.endsWith("/traces")) {
      const payload = decode(body, { useBigInt64: true });
      const traces = path === "/v0.5/traces"
        ? fromV05(payload as [string[], unknown[][][]])
        : payload as Record<string, unknown>[][];
      for (const trace of traces) {
        for (const span of trace) {
          spans.push({
            service: String(span.service),
            name: String(span.name),
            resource: String(span.resource),
            trace_id: String(span.trace_id),
            span_id: String(span.span_id),
            parent_id: String(span.parent_id),
            error: Number(span.error ?? 0),
            start: Number(span.start ?? 0),
            duration: Number(span.duration ?? 0),
            meta: (span.meta ?? {}) as Record<string, string>,
            metrics: Object.fromEntries(
              Object.entries((span.metrics ?? {}) as Record<string, number | bigint>).map((
                [k, v],
              ) => [k, Number(v)]),
            ),
          });
        }
      }
      return Response.json({ rate_by_service: { "service:,env:": 1 } });
    }
    return new Response("{}", { status: 404 });
  });
  server.unref();
  const port = (server.addr as Deno.NetAddr).port;
  // `deno test` runs every span test module in one process, and dd-trace's native crash
  // tracker aborts that process when a second module registers it; tests need no crash reports.
  Deno.env.set("DD_CRASHTRACKING_ENABLED", "false");
  initTracer({
    DD_ENV: "test",
    DD_VERSION: "0.0.0",
    DD_SERVICE: "test-service",
    DD_TRACE_ENABLED: "true",
  }, { url: `http://127.0.0.1:${port}`, flushInterval: 0 });
  return {
    spans,
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = spans.find(predicate);
        if (found) return found;
        await flushTracer(200);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(
        `No matching span arrived within ${timeoutMs} ms; got: ${
          spans.map((s) => s.name).join(", ")
        }`,
      );
    },
  };
}

/** A free TCP port on the loopback interface. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Starts a service's entry point as a child process for process-level tests (start-up
 * failures, SIGTERM), untraced and bound to loopback unless `env` says otherwise.
 */
export function spawnService(main: string | URL, env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main instanceof URL ? main.pathname : main],
    env: { DD_TRACE_ENABLED: "false", DD_AGENT_HOST: "127.0.0.1", HOST: "127.0.0.1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Polls `GET /readyz` on `port` until it answers 200; false after `timeoutMs`. */
export async function waitReady(port: number, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => {
      r.body?.cancel();
      return r.ok;
    }).catch(() => false);
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** A {@linkcode Random} returning `draws` in order (then throwing: a test drew too many). */
export function scriptedRandom(draws: number[]): Random {
  const queue = [...draws];
  const next = () => {
    const value = queue.shift();
    if (value === undefined) throw new Error("scriptedRandom: no draws left");
    return value;
  };
  return {
    next,
    chance: (rate) => next() < rate,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}
