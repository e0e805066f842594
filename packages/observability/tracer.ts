/**
 * The single owner of dd-trace in the project. Services import `@demo/observability/init`
 * as their very first import so the tracer is ready before anything else loads.
 */
// Must stay the first import: it keeps the runtime's fetch from before dd-trace wraps it.
import { nativeFetch } from "./_native_fetch.ts";
import { clearImmediate, setImmediate } from "node:timers";
import tracer from "dd-trace";
import { applyFastPaths } from "./_dd_deno.ts";

/** Default propagation styles of the contract: W3C first, then Datadog headers. */
export const DEFAULT_PROPAGATION_STYLE = "tracecontext,datadog";

let initialised = false;

/** How often spans are sent to the Agent unless `DD_TRACE_FLUSH_INTERVAL` is set (ms). */
const DEFAULT_FLUSH_INTERVAL_MS = 500;

/** The Agent's trace format unless `DD_TRACE_AGENT_PROTOCOL_VERSION` is set. */
const DEFAULT_PROTOCOL_VERSION = "0.5";

/**
 * Whether the kit may pick v0.5: not when a format is asked for, not when OTLP export is (dd-trace
 * reads an explicit version as a wish to leave it), and not with a feature whose data v0.5 has
 * no slot for: AppSec, IAST and AI Guard write `meta_struct`, and native span events need v0.4.
 */
export function v05Fits(env: Record<string, string | undefined>): boolean {
  if (env.DD_TRACE_AGENT_PROTOCOL_VERSION?.trim()) return false;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === "otlp") return false;
  return ![
    "DD_APPSEC_ENABLED",
    "DD_IAST_ENABLED",
    "DD_AI_GUARD_ENABLED",
    "DD_TRACE_NATIVE_SPAN_EVENTS",
  ]
    .some((name) => flag(env[name], false));
}

/** Whether an environment flag is on: `true`, `1` or `yes`; unset or empty means `fallback`. */
function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === "") return fallback;
  return /^(true|1|yes)$/i.test(value.trim());
}

/** The request headers dd-trace reads for each extract style. */
const STYLE_HEADERS: Record<string, readonly string[]> = {
  datadog: [
    "x-datadog-trace-id",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
    "x-datadog-origin",
    "x-datadog-tags",
  ],
  tracecontext: ["traceparent", "tracestate"],
  b3: ["x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-flags"],
  b3multi: ["x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-flags"],
  "b3 single header": ["b3"],
  baggage: ["baggage"],
  none: [],
};

/** Which request headers the server middleware hands to `tracer.extract`. */
export interface ExtractPlan {
  names: readonly string[];
  /** Copy every header: an extract style reads headers by prefix (`ot-baggage-*`) or is unknown. */
  copyAll: boolean;
}

let extractPlan: ExtractPlan = { names: [], copyAll: true };

/** Builds the plan from the extract styles; exported for tests. */
export function planExtract(styles: readonly string[], legacyBaggage: boolean): ExtractPlan {
  const names = new Set<string>();
  let copyAll = legacyBaggage;
  for (const style of styles) {
    const headers = STYLE_HEADERS[style.toLowerCase()];
    if (headers) headers.forEach((name) => names.add(name));
    else copyAll = true;
  }
  return { names: [...names], copyAll };
}

/**
 * The carrier `tracer.extract("http_headers", …)` needs from a request: only the headers of
 * the configured propagation styles, read one by one (copying every header costs more under
 * Deno), or undefined when the request carries none, so there is nothing to extract.
 */
export function extractionCarrier(
  headers: Headers,
  plan: ExtractPlan = extractPlan,
): Record<string, string> | undefined {
  let carrier: Record<string, string> | undefined;
  if (plan.copyAll) {
    carrier = {};
    headers.forEach((value, key) => (carrier![key] = value));
    return carrier;
  }
  for (const name of plan.names) {
    const value = headers.get(name);
    if (value !== null) (carrier ??= {})[name] = value;
  }
  return carrier;
}

/** Status ranges such as `400-499` or `500-599,404`, as `DD_TRACE_HTTP_CLIENT_ERROR_STATUSES`. */
export function parseStatusRanges(text: string | undefined): [number, number][] | undefined {
  if (!text || !/^\s*\d{3}(\s*-\s*\d{3})?(\s*,\s*\d{3}(\s*-\s*\d{3})?)*\s*$/.test(text)) {
    return undefined;
  }
  return text.split(",").map((part) => {
    const [from, to = from] = part.split("-").map((n) => Number(n.trim()));
    return [from, to];
  });
}

const DEFAULT_CLIENT_ERROR_STATUSES: [number, number][] = [[400, 499]];
let clientErrorStatuses = DEFAULT_CLIENT_ERROR_STATUSES;

/**
 * Whether a peer's answer marks the client span as an error: 4xx by default, as dd-trace's
 * own HTTP client spans do, or the ranges of `DD_TRACE_HTTP_CLIENT_ERROR_STATUSES`.
 */
export function isClientErrorStatus(status: number): boolean {
  return clientErrorStatuses.some(([from, to]) => status >= from && status <= to);
}

/** The runtime's `fetch` without dd-trace's wrapper; the kit's client spans its own calls. */
export const untracedFetch: typeof fetch = nativeFetch;

/**
 * Initialises dd-trace once from the `DD_*` environment. dd-trace reads most variables
 * itself; this only sets the defaults that the project's contract differs on.
 *
 * Left at dd-trace's defaults on purpose, after measuring them under load: telemetry,
 * remote configuration, 128-bit trace ids, stats computation and the span attribute schema
 * cost too little per span to be worth what turning them off hides in Datadog.
 *
 * Changed: spans go to the Agent as v0.5 (`/v0.5/traces`) instead of v0.4 unless
 * `DD_TRACE_AGENT_PROTOCOL_VERSION` says otherwise. v0.5 writes each string once per payload
 * and refers to it by index, so the repeated service, env, version and tag names of every
 * span are encoded and copied once; in `deno task bench:tracer` that took 18-19 µs (about
 * 8%) off a traced payment's CPU in three interleaved pairs. The Datadog Agent takes it on
 * the same port. Span links and (by default) span events travel as meta tags in both formats;
 * the features v0.5 cannot carry keep v0.4 ({@linkcode v05Fits}).
 *
 * Changed: spans are sent every 500 ms instead of every 2 s unless `DD_TRACE_FLUSH_INTERVAL`
 * says otherwise. A busy service held up to 2 s of encoded spans (and their garbage) and
 * then copied and posted them in one go; in `deno task bench` the shorter interval took
 * payment-service from 125-154 to 92 MiB after load and the stack from 570-606 to 511 MiB,
 * with p99 no worse. Four small posts a second to the node's Agent cost it nothing.
 */
export function initTracer(
  env: Record<string, string | undefined> = Deno.env.toObject(),
  overrides: { url?: string; flushInterval?: number } = {},
) {
  if (initialised) return tracer;
  initialised = true;
  const propagation = (env.DD_TRACE_PROPAGATION_STYLE ?? DEFAULT_PROPAGATION_STYLE)
    .split(",").map((s) => s.trim()).filter(Boolean);
  const llmobsEnabled = /^(true|1|yes)$/i.test(env.DD_LLMOBS_ENABLED ?? "false");
  // OpenTracing's `ot-baggage-*` headers: nothing here sends them, and reading them makes
  // every extraction walk all request headers.
  const legacyBaggage = flag(env.DD_TRACE_LEGACY_BAGGAGE_ENABLED, false);
  // With tracing off there is nothing to continue: requests skip reading trace headers.
  extractPlan = flag(env.DD_TRACE_ENABLED, true)
    ? planExtract(propagation, legacyBaggage)
    : { names: [], copyAll: false };
  clientErrorStatuses = parseStatusRanges(env.DD_TRACE_HTTP_CLIENT_ERROR_STATUSES) ??
    DEFAULT_CLIENT_ERROR_STATUSES;
  tracer.init({
    service: env.DD_SERVICE || serviceFromEntryPoint(),
    env: env.DD_ENV ?? "dev",
    version: env.DD_VERSION ?? "0.1.0",
    logInjection: !/^(false|0|no)$/i.test(env.DD_LOGS_INJECTION ?? "true"),
    // The native runtime-metrics module crashes under Deno; the JS one is fine but noisy.
    runtimeMetrics: false,
    startupLogs: false,
    // Keep integration names out of service names so the service map shows six services.
    spanRemoveIntegrationFromService: true,
    tracePropagationStyle: { inject: propagation, extract: propagation },
    legacyBaggageEnabled: legacyBaggage,
    ...(env.DD_TRACE_FLUSH_INTERVAL ? {} : { flushInterval: DEFAULT_FLUSH_INTERVAL_MS }),
    ...(v05Fits(env) ? { protocolVersion: DEFAULT_PROTOCOL_VERSION } : {}),
    ...overrides,
    ...(llmobsEnabled
      ? { llmobs: { mlApp: env.DD_LLMOBS_ML_APP ?? "payments-assistant", agentlessEnabled: false } }
      : {}),
  });
  // Before any span starts: dd-trace's async context and id conversions without the costs
  // they have under Deno (see _dd_deno.ts). OBSERVABILITY_DENO_FAST_PATHS=false turns it off.
  applyFastPaths(flag(env.OBSERVABILITY_DENO_FAST_PATHS, true));
  // One tracer owner: `@opentelemetry/api` spans go through dd-trace's bridge.
  new tracer.TracerProvider().register();
  // hot-shots resolves the Agent host per flush; those lookups are not part of any request.
  for (const plugin of ["dns", "net"] as const) tracer.use(plugin, { enabled: false });
  return tracer;
}

/**
 * The service name when `DD_SERVICE` is unset: the folder of the entry point, since every
 * service lives in `services/<service-name>/main.ts`.
 */
export function serviceFromEntryPoint(mainModule: string = Deno.mainModule): string | undefined {
  const parts = new URL(mainModule).pathname.split("/");
  return parts.length >= 2 ? parts[parts.length - 2] || undefined : undefined;
}

type FinishableSpan = { finish(end?: number): void };
type Deferred = { span: FinishableSpan; end: number | undefined };
let deferred: Deferred[] = [];
let deferredTimer: ReturnType<typeof setImmediate> | undefined;

/**
 * Finishes a server span after its response has gone out, timed at this call. The server
 * span is the last of its trace to finish in this process, so finishing it makes dd-trace
 * format and encode every span of the request; done inline, that work delayed every
 * response. The end time is read now from dd-trace's own clock, so the duration is the same.
 *
 * The spans are finished from `setImmediate`, which runs once the turn's responses have been
 * handed to their connections. `setTimeout(…, 0)` waits at least a millisecond, so a quiet
 * service went to sleep and woke once more per request, and on this project's benchmark
 * machine a wake-up costs more than the work: with every payment suspected of fraud at 150
 * payments a second, the stack spent 5–6% less CPU per payment with `setImmediate` here and
 * in the log buffer, in two interleaved pairs of probe runs.
 */
export function finishAfterResponse(span: FinishableSpan): void {
  const clock = (span as unknown as { _getTime?: () => number })._getTime;
  deferred.push({ span, end: typeof clock === "function" ? clock.call(span) : undefined });
  deferredTimer ??= setImmediate(finishDeferredSpans);
}

/** Finishes every server span still waiting for its response to go out (before a flush). */
function finishDeferredSpans(): void {
  if (deferredTimer !== undefined) clearImmediate(deferredTimer);
  deferredTimer = undefined;
  const due = deferred;
  deferred = [];
  for (const { span, end } of due) span.finish(end);
}

/**
 * Sends every buffered span to the Agent and resolves when the Agent has answered, or after
 * `timeoutMs` at the latest.
 */
export function flushTracer(timeoutMs = 2000): Promise<void> {
  finishDeferredSpans();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    // The trace exporter first, with `done`: its beforeExit handler (run below) flushes too,
    // and run first it would take the buffered spans, leaving this call nothing to wait for,
    // so a process exiting right after would cut the send short.
    // deno-lint-ignore no-explicit-any
    const exporter = (tracer as any)._tracer?._exporter;
    if (exporter?.flush) exporter.flush(done);
    else done();
    // dd-trace flushes from its beforeExit handlers, which Deno's exit path does not run
    // after a signal, so they are run here explicitly (metrics, telemetry, …).
    const state = (globalThis as Record<symbol, { beforeExitHandlers?: Set<() => void> }>)[
      Symbol.for("dd-trace")
    ];
    for (const handler of state?.beforeExitHandlers ?? []) {
      try {
        handler();
      } catch { /* a flush failure must not block shutdown */ }
    }
  });
}

export { tracer };

/**
 * dd-trace's LLM Observability SDK (`llmobs.trace`, `llmobs.annotate`, …). `tracer.init()`
 * replaces `tracer.llmobs` with the real SDK, after this module has loaded, so every access
 * is forwarded to the current one instead of keeping the no-op seen before initialisation.
 */
export const llmobs: typeof tracer.llmobs = new Proxy({} as typeof tracer.llmobs, {
  get(_target, property) {
    const current = tracer.llmobs;
    const value = Reflect.get(current, property, current);
    return typeof value === "function" ? value.bind(current) : value;
  },
});
