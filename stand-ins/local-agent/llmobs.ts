/**
 * LLM Observability through the Agent's EVP proxy: dd-trace posts spans to
 * `/evp_proxy/v2/api/v2/llmobs` (a JSON array of `{event_type: "span", spans: [...]}`) and
 * evaluation metrics to `/evp_proxy/v2/api/intake/llm-obs/v2/eval-metric`
 * (`{data: {type: "evaluation_metric", attributes: {metrics: [...]}}}`).
 */
import { invalid } from "./_errors.ts";
import { normalizeTraceId } from "./logs.ts";

/** What an LLM Observability record is. */
export type LlmObsKind = "span" | "evaluation";

/** A stored LLM Observability span or evaluation metric, as sent, with a few derived fields. */
export interface LlmObsRecord {
  kind: LlmObsKind;
  received_at: number;
  /** `llm`, `workflow`, `agent`, … for spans; undefined for evaluations. */
  span_kind?: string;
  ml_app?: string;
  /** Decimal lower 64 bits of the APM trace the span belongs to, as `/local/traces` shows it. */
  apm_trace_id?: string;
  event: Record<string, unknown>;
}

/** The EVP proxy sub-paths the stand-in understands, and what each carries. */
export function llmObsKindOf(path: string): LlmObsKind | undefined {
  if (path === "/api/v2/llmobs") return "span";
  if (/^\/api\/intake\/llm-obs\/v[12]\/eval-metric$/.test(path)) return "evaluation";
  return undefined;
}

/** The largest single event kept whole; bigger ones lose their input and output. */
export const MAX_EVENT_BYTES = 256 * 1024;

/** Reads a span payload; throws a 400 naming the first bad place. */
export function parseLlmObsSpans(body: unknown, now = Date.now()): LlmObsRecord[] {
  // Current tracers send an array of envelopes; older ones a single envelope.
  const envelopes = Array.isArray(body) ? body : [body];
  const records: LlmObsRecord[] = [];
  envelopes.forEach((envelope, e) => {
    const at = Array.isArray(body) ? `[${e}]` : "body";
    if (!isObject(envelope) || !Array.isArray(envelope.spans)) {
      throw invalid(at, `Cannot read LLM Observability ${at}: expected an object with spans`);
    }
    envelope.spans.forEach((span: unknown, s: number) => {
      const where = `${at}.spans[${s}]`;
      if (!isObject(span)) throw invalid(where, `Cannot read ${where}: expected an object`);
      for (const field of ["trace_id", "span_id", "name"]) {
        if (typeof span[field] !== "string" || span[field] === "") {
          throw invalid(`${where}.${field}`, `Cannot read ${where}.${field}: expected a string`);
        }
      }
      const meta = isObject(span.meta) ? span.meta : {};
      const dd = isObject(span._dd) ? span._dd : {};
      const tags = Array.isArray(span.tags) ? span.tags : [];
      const mlAppTag = tags.find((t): t is string =>
        typeof t === "string" && t.startsWith("ml_app:")
      );
      records.push({
        kind: "span",
        received_at: now,
        span_kind: typeof meta["span.kind"] === "string" ? meta["span.kind"] : undefined,
        ml_app: typeof envelope.ml_app === "string" ? envelope.ml_app : mlAppTag?.slice(7),
        apm_trace_id: normalizeTraceId(dd.apm_trace_id ?? span.trace_id),
        event: bounded(span),
      });
    });
  });
  return records;
}

/** Reads an evaluation metric payload; throws a 400 naming the first bad place. */
export function parseLlmObsEvaluations(body: unknown, now = Date.now()): LlmObsRecord[] {
  const data = isObject(body) ? body.data : undefined;
  const attributes = isObject(data) ? data.attributes : undefined;
  const metrics = isObject(attributes) ? attributes.metrics : undefined;
  if (!Array.isArray(metrics)) {
    throw invalid(
      "data.attributes.metrics",
      "Cannot read evaluations: expected data.attributes.metrics to be an array",
    );
  }
  return metrics.map((metric: unknown, i: number) => {
    const at = `data.attributes.metrics[${i}]`;
    if (!isObject(metric)) throw invalid(at, `Cannot read ${at}: expected an object`);
    for (const field of ["label", "metric_type"]) {
      if (typeof metric[field] !== "string") {
        throw invalid(`${at}.${field}`, `Cannot read ${at}.${field}: expected a string`);
      }
    }
    return {
      kind: "evaluation" as const,
      received_at: now,
      ml_app: typeof metric.ml_app === "string" ? metric.ml_app : undefined,
      event: bounded(metric),
    };
  });
}

function bounded(event: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(event).length <= MAX_EVENT_BYTES) return event;
  const meta = isObject(event.meta) ? event.meta : {};
  return {
    ...event,
    meta: {
      ...meta,
      input: { value: "[too large to keep]" },
      output: { value: "[too large to keep]" },
    },
    truncated: true,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Gives each evaluation the APM trace of the span it is joined to. An evaluation names its
 * span by LLM Observability trace id and span id; the span id is the APM span's, so the
 * link goes through the held span with that id (if it is still held).
 */
export function linkEvaluations(records: readonly LlmObsRecord[]): LlmObsRecord[] {
  const traceOfSpan = new Map<unknown, string | undefined>();
  for (const record of records) {
    if (record.kind === "span") traceOfSpan.set(record.event.span_id, record.apm_trace_id);
  }
  return records.map((record) => {
    if (record.kind !== "evaluation" || record.apm_trace_id !== undefined) return record;
    const joinOn = isObject(record.event.join_on) ? record.event.join_on : {};
    const span = isObject(joinOn.span) ? joinOn.span : {};
    const apmTraceId = traceOfSpan.get(span.span_id);
    return apmTraceId === undefined ? record : { ...record, apm_trace_id: apmTraceId };
  });
}
