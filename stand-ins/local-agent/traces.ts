/**
 * Decoding of the trace payloads tracers send to the Agent: `/v0.4/traces` (a msgpack array
 * of traces, each an array of span maps) and `/v0.5/traces` (a string table followed by
 * traces whose spans are 12-element arrays of string-table indexes).
 *
 * Ids are 64-bit unsigned integers on the wire; they are read as BigInt and kept as decimal
 * strings, the form Datadog shows and log correlation writes.
 */
import { Decoder } from "@msgpack/msgpack";
import { invalid } from "./_errors.ts";

/** A span as the stand-in keeps it: ids as decimal strings, times in nanoseconds. */
export interface AgentSpan {
  service: string;
  name: string;
  resource: string;
  type: string;
  trace_id: string;
  span_id: string;
  parent_id: string;
  error: number;
  /** Start, in nanoseconds since the Unix epoch. */
  start: number;
  /** Duration, in nanoseconds. */
  duration: number;
  meta: Record<string, string>;
  metrics: Record<string, number>;
  /** Span events sent in their native slot (most tracers put them in `meta.events`). */
  span_events?: unknown[];
}

/** The trace intake versions the stand-in decodes. */
export type TraceVersion = "0.4" | "0.5";

/** The longest array and map a payload may hold: a forged length must not allocate. */
export const MAX_ARRAY_LENGTH = 1_000_000;
export const MAX_MAP_LENGTH = 100_000;

// One decoder reused for every payload: it caches decoded map keys, which repeat in every
// span.
const decoder = new Decoder({
  useBigInt64: true,
  maxArrayLength: MAX_ARRAY_LENGTH,
  maxMapLength: MAX_MAP_LENGTH,
});

/** Decodes a trace payload of `version`; throws a 400 naming the first bad place. */
export function decodeTraces(bytes: Uint8Array, version: TraceVersion): AgentSpan[][] {
  let payload: unknown;
  try {
    payload = decoder.decode(bytes);
  } catch {
    throw invalid("body", `Cannot decode v${version} traces: expected msgpack`);
  }
  return version === "0.4" ? tracesV04(payload) : tracesV05(payload);
}

function tracesV04(payload: unknown): AgentSpan[][] {
  if (!Array.isArray(payload)) {
    throw invalid("traces", "Cannot read v0.4 traces: expected an array of traces");
  }
  const traces: AgentSpan[][] = new Array(payload.length);
  for (let t = 0; t < payload.length; t++) {
    const trace = payload[t];
    if (!Array.isArray(trace)) {
      throw invalid(`traces[${t}]`, `Cannot read traces[${t}]: expected an array of spans`);
    }
    const spans: AgentSpan[] = new Array(trace.length);
    for (let s = 0; s < trace.length; s++) spans[s] = spanV04(trace[s], `traces[${t}][${s}]`);
    traces[t] = spans;
  }
  return traces;
}

function spanV04(raw: unknown, at: string): AgentSpan {
  if (!isMap(raw)) throw invalid(at, `Cannot read ${at}: expected a span map`);
  const span: AgentSpan = {
    service: optionalString(raw.service, at, "service"),
    name: optionalString(raw.name, at, "name"),
    resource: optionalString(raw.resource, at, "resource"),
    type: optionalString(raw.type, at, "type"),
    trace_id: id(raw.trace_id, at, "trace_id", true),
    span_id: id(raw.span_id, at, "span_id", true),
    parent_id: id(raw.parent_id, at, "parent_id", false),
    error: integer(raw.error, at, "error"),
    start: integer(raw.start, at, "start"),
    duration: integer(raw.duration, at, "duration"),
    meta: stringMap(raw.meta, at, "meta"),
    metrics: numberMap(raw.metrics, at, "metrics"),
  };
  if (Array.isArray(raw.span_events)) span.span_events = jsonSafe(raw.span_events) as unknown[];
  return span;
}

function tracesV05(payload: unknown): AgentSpan[][] {
  if (!Array.isArray(payload) || payload.length !== 2 || !Array.isArray(payload[0])) {
    throw invalid("body", "Cannot read v0.5 traces: expected [string table, traces]");
  }
  const table = payload[0] as unknown[];
  for (let i = 0; i < table.length; i++) {
    if (typeof table[i] !== "string") {
      throw invalid(`strings[${i}]`, `Cannot read strings[${i}]: expected a string`);
    }
  }
  const strings = table as string[];
  const raw = payload[1];
  if (!Array.isArray(raw)) {
    throw invalid("traces", "Cannot read v0.5 traces: expected an array of traces");
  }
  const ref = (value: unknown, at: string, field: string): string => {
    if (
      typeof value === "number" && Number.isInteger(value) && value >= 0 && value < strings.length
    ) {
      return strings[value];
    }
    throw invalid(
      `${at}.${field}`,
      `Cannot read ${at}.${field}: expected an index into the string table`,
    );
  };
  const traces: AgentSpan[][] = new Array(raw.length);
  for (let t = 0; t < raw.length; t++) {
    const trace = raw[t];
    if (!Array.isArray(trace)) {
      throw invalid(`traces[${t}]`, `Cannot read traces[${t}]: expected an array of spans`);
    }
    const spans: AgentSpan[] = new Array(trace.length);
    for (let s = 0; s < trace.length; s++) {
      const at = `traces[${t}][${s}]`;
      const fields = trace[s];
      if (!Array.isArray(fields) || fields.length !== 12) {
        throw invalid(at, `Cannot read ${at}: expected a 12-element span array`);
      }
      const meta: Record<string, string> = {};
      if (!isMap(fields[9])) throw invalid(`${at}.meta`, `Cannot read ${at}.meta: expected a map`);
      for (const key in fields[9]) {
        meta[ref(Number(key), at, "meta")] = ref(fields[9][key], at, "meta");
      }
      if (!isMap(fields[10])) {
        throw invalid(`${at}.metrics`, `Cannot read ${at}.metrics: expected a map`);
      }
      const metrics: Record<string, number> = {};
      for (const key in fields[10]) {
        metrics[ref(Number(key), at, "metrics")] = number(fields[10][key], at, "metrics");
      }
      spans[s] = {
        service: ref(fields[0], at, "service"),
        name: ref(fields[1], at, "name"),
        resource: ref(fields[2], at, "resource"),
        trace_id: id(fields[3], at, "trace_id", true),
        span_id: id(fields[4], at, "span_id", true),
        parent_id: id(fields[5], at, "parent_id", false),
        start: integer(fields[6], at, "start"),
        duration: integer(fields[7], at, "duration"),
        error: integer(fields[8], at, "error"),
        meta,
        metrics,
        type: ref(fields[11], at, "type"),
      };
    }
    traces[t] = spans;
  }
  return traces;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Uint8Array);
}

function optionalString(value: unknown, at: string, field: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  throw invalid(`${at}.${field}`, `Cannot read ${at}.${field}: expected a string`);
}

const U64 = 64;

/** A 64-bit id as a decimal string; signed int64 encodings are read as their unsigned bits. */
function id(value: unknown, at: string, field: string, required: boolean): string {
  if (typeof value === "bigint") return BigInt.asUintN(U64, value).toString();
  if (typeof value === "number" && Number.isInteger(value)) {
    return value >= 0 ? String(value) : BigInt.asUintN(U64, BigInt(value)).toString();
  }
  if (!required && (value === undefined || value === null)) return "0";
  throw invalid(`${at}.${field}`, `Cannot read ${at}.${field}: expected a 64-bit integer id`);
}

function integer(value: unknown, at: string, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  throw invalid(`${at}.${field}`, `Cannot read ${at}.${field}: expected an integer`);
}

function number(value: unknown, at: string, field: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  throw invalid(`${at}.${field}`, `Cannot read ${at}.${field}: expected numbers`);
}

function stringMap(value: unknown, at: string, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isMap(value)) throw invalid(`${at}.${field}`, `Cannot read ${at}.${field}: expected a map`);
  for (const key in value) {
    const entry = value[key];
    if (typeof entry !== "string") {
      if (typeof entry === "object" && entry !== null) {
        throw invalid(`${at}.${field}`, `Cannot read ${at}.${field}.${key}: expected a string`);
      }
      value[key] = String(entry);
    }
  }
  return value as Record<string, string>;
}

function numberMap(value: unknown, at: string, field: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (!isMap(value)) throw invalid(`${at}.${field}`, `Cannot read ${at}.${field}: expected a map`);
  for (const key in value) {
    const entry = value[key];
    if (typeof entry === "bigint") value[key] = Number(entry);
    else if (typeof entry !== "number") {
      throw invalid(`${at}.${field}`, `Cannot read ${at}.${field}.${key}: expected a number`);
    }
  }
  return value as Record<string, number>;
}

/** Makes decoded msgpack JSON-serialisable: BigInt to number, bytes to their length. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) out[key] = jsonSafe(entry);
    return out;
  }
  return value;
}
