/**
 * The stand-in's HTTP surface: the Agent intakes the Datadog libraries call, the JSON query
 * API and the page. `createAgentApp` opens no port, so tests drive it with `app.request()`.
 */
import { Decoder } from "@msgpack/msgpack";
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import { parseJson, readBody, utf8Text } from "./_body.ts";
import { AgentError, errorBody, invalid } from "./_errors.ts";
import { type AgentLog, createThrottle } from "./_log.ts";
import { parseForward, readBrowserBatch, readReplay } from "./browser.ts";
import {
  linkEvaluations,
  llmObsKindOf,
  parseLlmObsEvaluations,
  parseLlmObsSpans,
} from "./llmobs.ts";
import {
  jsonLogBatch,
  LOG_ENVELOPE_KEYS,
  type LogEnvelope,
  normalizeTraceId,
  textLogBatch,
} from "./logs.ts";
import type { PageAssets } from "./page.ts";
import type { AgentStore, TraceEntry } from "./store.ts";
import { skimTraces } from "./trace_skim.ts";
import { MAX_ARRAY_LENGTH, MAX_MAP_LENGTH, type TraceVersion } from "./traces.ts";

/** The largest body each intake reads, in bytes (after decompression too). */
export interface BodyLimits {
  traces: number;
  stats: number;
  logs: number;
  browser: number;
  evp: number;
  dogstatsd: number;
  telemetry: number;
}

/** The header naming the Datadog intake an EVP proxy request is for. */
const EVP_SUBDOMAIN_HEADER = "X-Datadog-EVP-Subdomain";

/** Limits like the Agent's own (25 MB traces) and Datadog's intakes (5 MB logs and EVP). */
export const DEFAULT_BODY_LIMITS: BodyLimits = {
  traces: 25 * 1024 * 1024,
  stats: 10 * 1024 * 1024,
  logs: 5 * 1024 * 1024,
  browser: 5 * 1024 * 1024,
  evp: 6 * 1024 * 1024,
  dogstatsd: 4 * 1024 * 1024,
  telemetry: 5 * 1024 * 1024,
};

/** What the app is built from. */
export interface AgentAppOptions {
  store: AgentStore;
  log: AgentLog;
  page: PageAssets;
  /** The ports `/info` reports; read per request because they are known only after binding. */
  ports: () => { http: number; statsd: number };
  bodyLimits?: Partial<BodyLimits>;
  /** The clock, for uptime in `/local/stats`. */
  now?: () => number;
}

/** The version `/info` reports: a real Agent's, with build metadata naming the stand-in. */
export const AGENT_VERSION = "7.64.0+local-agent";

/** The answer every trace intake gives: sample everything, as an Agent with no rates does. */
export const RATE_BY_SERVICE = { rate_by_service: { "service:,env:": 1 } };
const RATE_BY_SERVICE_JSON = JSON.stringify(RATE_BY_SERVICE);
const JSON_HEADERS = { "content-type": "application/json" };

/** Endpoints `/info` advertises: exactly those this app serves. */
export const ENDPOINTS = [
  "/v0.4/traces",
  "/v0.5/traces",
  "/v0.6/stats",
  "/telemetry/proxy/",
  "/dogstatsd/v2/proxy",
  "/evp_proxy/v2/",
  "/info",
];

const DEFAULT_QUERY_LIMIT = 100;
const statsDecoder = new Decoder({
  maxArrayLength: MAX_ARRAY_LENGTH,
  maxMapLength: MAX_MAP_LENGTH,
});

/** Builds the stand-in's Hono app. */
export function createAgentApp(options: AgentAppOptions): Hono {
  const { store, log } = options;
  const limits = { ...DEFAULT_BODY_LIMITS, ...options.bodyLimits };
  const now = options.now ?? Date.now;
  const startedAt = now();
  const allowLog = createThrottle(10_000, now);
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof AgentError) {
      store.reject(error.status);
      const key = `${c.req.path}|${error.code}`;
      const gate = allowLog(key);
      if (gate.ok) {
        log.warn("intake_rejected", {
          path: c.req.path,
          status: error.status,
          code: error.code,
          field: error.field,
          suppressed: gate.suppressed,
        });
      }
      return c.json(errorBody(error), error.status);
    }
    log.error("unhandled_error", {
      path: c.req.path,
      error: { kind: error.name, message: error.message },
    });
    return c.json({ ok: false, error: { code: "internal_error", message: "Internal error" } }, 500);
  });
  app.notFound((c) =>
    c.json(
      errorBody(new AgentError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`)),
      404,
    )
  );

  // ---- Agent intakes -------------------------------------------------------------------

  app.get("/info", (c) => {
    const ports = options.ports();
    return c.json({
      version: AGENT_VERSION,
      git_commit: "local-agent",
      endpoints: ENDPOINTS,
      feature_flags: [],
      // Traces are never dropped client-side: the stand-in wants to show all of them.
      client_drop_p0s: false,
      span_meta_structs: true,
      long_running_spans: false,
      // Span events stay in `meta.events`, the tracer's default path.
      span_events: false,
      evp_proxy_allowed_headers: [
        "Content-Type",
        "Accept-Encoding",
        "Content-Encoding",
        "User-Agent",
      ],
      peer_tags: [],
      span_kinds_stats_computed: [],
      obfuscation_version: 0,
      config: {
        default_env: "none",
        target_tps: 10,
        max_eps: 200,
        receiver_port: ports.http,
        receiver_socket: "",
        connection_limit: 0,
        receiver_timeout: 0,
        max_request_bytes: limits.traces,
        statsd_port: ports.statsd,
        max_memory: 0,
        max_cpu: 0,
        analyzed_spans_by_service: {},
      },
    });
  });

  // Checked and queued, not decoded: decoding waits until something reads traces.
  const traceIntake = (version: TraceVersion) => async (c: Context) => {
    const bytes = await readBody(c.req.raw, limits.traces);
    store.queueTraces(bytes, version, skimTraces(bytes, version));
    return new Response(RATE_BY_SERVICE_JSON, { headers: JSON_HEADERS });
  };
  app.on(["PUT", "POST"], "/v0.4/traces", traceIntake("0.4"));
  app.on(["PUT", "POST"], "/v0.5/traces", traceIntake("0.5"));

  // Client-computed stats: only checked to be msgpack and counted; the page has no use for them.
  app.on(["PUT", "POST"], "/v0.6/stats", async (c) => {
    const bytes = await readBody(c.req.raw, limits.stats);
    let payload: unknown;
    try {
      payload = statsDecoder.decode(bytes);
    } catch {
      payload = undefined;
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      throw invalid("body", "Cannot read stats: expected a msgpack map");
    }
    store.counters.stats_payloads.received++;
    return c.body(null, 200);
  });

  // An Agent with remote configuration off answers 404, which the tracer treats as "no RC".
  app.all("/v0.7/config", (c) =>
    c.json(
      errorBody(new AgentError(404, "not_found", "Remote configuration is not enabled")),
      404,
    ));

  app.post("/telemetry/proxy/*", async (c) => {
    const body = parseJson(utf8Text(await readBody(c.req.raw, limits.telemetry)), "telemetry");
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw invalid("body", "Cannot read telemetry: expected a JSON object");
    }
    store.counters.telemetry.received++;
    return c.body(null, 202);
  });

  app.post("/dogstatsd/v2/proxy", async (c) => {
    store.addDogStatsD(utf8Text(await readBody(c.req.raw, limits.dogstatsd)), "http");
    return c.body(null, 200);
  });

  app.post("/evp_proxy/:version{v[1-4]}/*", async (c) => {
    // The Agent forwards to https://<subdomain>.<site>, so it refuses a request that does not
    // name one; dd-trace sends llmobs-intake for spans and api for evaluations.
    const subdomain = c.req.header(EVP_SUBDOMAIN_HEADER);
    if (!subdomain || !/^[A-Za-z0-9-]+$/.test(subdomain)) {
      throw new AgentError(
        400,
        "invalid_request",
        `Cannot forward: ${EVP_SUBDOMAIN_HEADER} must name the intake's subdomain`,
        EVP_SUBDOMAIN_HEADER,
      );
    }
    const sub = c.req.path.replace(/^\/evp_proxy\/v[1-4]/, "");
    const kind = llmObsKindOf(sub);
    if (!kind) {
      throw new AgentError(404, "not_found", `No EVP intake for ${sub}`, "path");
    }
    const body = parseJson(
      utf8Text(await readBody(c.req.raw, limits.evp)),
      "LLM Observability data",
    );
    store.addLlmObs(kind === "span" ? parseLlmObsSpans(body) : parseLlmObsEvaluations(body));
    return c.json({}, 202);
  });

  // Datadog's browser intake answers any origin; so does this, for a page that sends here
  // directly instead of through web-frontend's proxy.
  app.use("/browser-intake", cors({ origin: "*", allowMethods: ["POST"] }));
  app.post("/browser-intake", async (c) => {
    const target = parseForward(c.req.query("ddforward") ?? null);
    const bytes = await readBody(c.req.raw, limits.browser);
    if (target.track === "other") {
      store.counters.rum.not_kept++;
    } else if (target.track === "replay") {
      store.addBrowser([await readReplay(bytes, c.req.header("content-type") ?? null)]);
    } else {
      const batch = await readBrowserBatch(bytes, target, limits.browser);
      store.addBrowser(batch.entries, batch.invalid);
    }
    return c.json({}, 202);
  });

  // Datadog's HTTP logs intake: a JSON array, or text/plain with one log per line and the
  // envelope in the query string. Checked and queued; lines become records when read.
  app.post("/api/v2/logs", async (c) => {
    const bytes = await readBody(c.req.raw, limits.logs);
    const type = c.req.header("content-type") ?? "";
    if (/^\s*text\/plain\b/i.test(type)) {
      const envelope: LogEnvelope = {};
      for (const key of LOG_ENVELOPE_KEYS) {
        const value = c.req.query(key);
        if (value !== undefined) envelope[key] = value;
      }
      store.queueLogs(textLogBatch(bytes, envelope));
    } else {
      store.queueLogs(jsonLogBatch(parseJson(utf8Text(bytes), "logs"), bytes.byteLength));
    }
    return c.json({}, 202);
  });

  // ---- Query API -----------------------------------------------------------------------

  app.get("/local/traces", (c) => {
    const service = c.req.query("service");
    const text = searchText(c.req.query("q"));
    const limit = queryLimit(c.req.query("limit"), store.limits.maxTraces);
    const out = [];
    for (const trace of store.traces.newestFirst()) {
      if (out.length >= limit) break;
      if (service && !trace.spans.some((span) => span.service === service)) continue;
      if (text && !traceSearchText(trace).includes(text)) continue;
      out.push(traceView(trace));
    }
    return c.json(out);
  });

  app.get("/local/traces/:traceId", (c) => {
    const id = queryTraceId(c.req.param("traceId"));
    const trace = id === undefined ? undefined : store.traces.get(id);
    if (!trace) throw new AgentError(404, "not_found", "No trace held with that id", "trace_id");
    return c.json(traceView(trace));
  });

  app.get("/local/metrics", (c) => {
    const name = c.req.query("name");
    const tags = c.req.queries("tag");
    return c.json(store.metrics.list({ name: name || undefined, tags }));
  });

  app.get("/local/events", (c) => {
    const limit = queryLimit(c.req.query("limit"), store.limits.maxEvents);
    return c.json(take(store.events.newestFirst(), limit, () => true));
  });

  app.get("/local/logs", (c) => {
    const service = c.req.query("service");
    const level = c.req.query("level");
    const rawTraceId = c.req.query("trace_id");
    const traceId = rawTraceId === undefined ? undefined : queryTraceId(rawTraceId);
    const text = searchText(c.req.query("q"));
    const limit = queryLimit(c.req.query("limit"), store.limits.maxLogs);
    return c.json(
      take(store.logs.newestFirst(), limit, (record) =>
        (!service || record.service === service) &&
        (!level || record.level === level) &&
        (traceId === undefined || record.trace_id === traceId) &&
        (!text || jsonText(record).includes(text))),
    );
  });

  app.get("/local/rum", (c) => {
    const kind = c.req.query("kind");
    const type = c.req.query("type");
    const text = searchText(c.req.query("q"));
    const limit = queryLimit(c.req.query("limit"), store.limits.maxRumEvents);
    return c.json(
      take(
        store.browser.newestFirst(),
        limit,
        (entry) =>
          (!kind || entry.kind === kind) && (!type || entry.type === type) &&
          (!text || jsonText(entry).includes(text)),
      ),
    );
  });

  app.get("/local/llmobs", (c) => {
    const limit = queryLimit(c.req.query("limit"), store.limits.maxLlmObs);
    const text = searchText(c.req.query("q"));
    const linked = linkEvaluations(Array.from(store.llmobs.newestFirst()));
    const all = text ? linked.filter((r) => jsonText(r).includes(text)) : linked;
    return c.json({
      spans: all.filter((r) => r.kind === "span").slice(0, limit),
      evaluations: all.filter((r) => r.kind === "evaluation").slice(0, limit),
    });
  });

  app.get("/local/stats", (c) => {
    // Decoding what is queued settles the counts of what the stores had to drop.
    store.settle();
    const memory = Deno.memoryUsage();
    return c.json({
      ...store.counters,
      held: {
        traces: store.traces.size,
        spans: store.traces.spanCount,
        metric_series: store.metrics.size,
        logs: store.logs.size,
        rum: store.browser.size,
        llmobs: store.llmobs.size,
        events: store.events.size,
      },
      limits: store.limits,
      memory: {
        rss: memory.rss,
        heap_total: memory.heapTotal,
        heap_used: memory.heapUsed,
        external: memory.external,
      },
      uptime_seconds: Math.round((now() - startedAt) / 1000),
    });
  });

  app.delete("/local/session", (c) => {
    store.clear();
    log.info("session_cleared");
    return c.json({ ok: true });
  });

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/readyz", (c) => c.json({ ok: true }));

  // ---- Page ----------------------------------------------------------------------------

  const page = (body: string, type: string) => (c: Context) =>
    c.body(body, 200, { "content-type": type, "cache-control": "no-cache" });
  app.get("/", page(options.page.html, "text/html; charset=utf-8"));
  app.get("/app.js", page(options.page.js, "text/javascript; charset=utf-8"));
  app.get("/style.css", page(options.page.css, "text/css; charset=utf-8"));
  // Browsers ask for it; an empty answer keeps a 404 out of the page's console.
  app.get("/favicon.ico", (c) => c.body(null, 204));

  return app;
}

function traceView(trace: TraceEntry) {
  return {
    trace_id: trace.trace_id,
    received_at: trace.received_at,
    spans: trace.spans.slice().sort((a, b) => a.start - b.start),
  };
}

function queryLimit(raw: string | undefined, max: number): number {
  if (raw === undefined || raw === "") return Math.min(DEFAULT_QUERY_LIMIT, max);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw invalid("limit", "Cannot read limit: expected a whole number of at least 1");
  }
  return Math.min(n, max);
}

function queryTraceId(raw: string): string {
  const id = normalizeTraceId(raw);
  if (id === undefined) {
    throw invalid("trace_id", "Cannot read trace_id: expected a decimal or 32-hex-digit trace id");
  }
  return id;
}

function take<T>(items: Iterable<T>, limit: number, keep: (item: T) => boolean): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= limit) break;
    if (keep(item)) out.push(item);
  }
  return out;
}

/** A `q` search as matched: trimmed and lower-cased; empty means no search. */
function searchText(q: string | undefined): string | undefined {
  return q?.trim().toLowerCase() || undefined;
}

/**
 * What `q` searches in a trace: its id and each span's service, name, resource and tag
 * values (a payment id, a bank, a failure reason, an error message).
 */
function traceSearchText(trace: TraceEntry): string {
  let text = trace.trace_id;
  for (const span of trace.spans) {
    text += ` ${span.service} ${span.name} ${span.resource}`;
    for (const key in span.meta) text += ` ${span.meta[key]}`;
  }
  return text.toLowerCase();
}

/** What `q` searches in a log, browser event or LLM Observability record: all of it. */
function jsonText(item: unknown): string {
  return JSON.stringify(item).toLowerCase();
}
