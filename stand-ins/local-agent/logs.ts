/**
 * Service log lines arriving in the two shapes of Datadog's HTTP logs intake: a JSON array of
 * `{service, ddsource, hostname, ddtags, message}` where `message` is the raw line, or
 * `text/plain` with one line per log and the envelope in the query string. JSON lines are
 * parsed so their fields can be queried, and the trace id they carry is normalised to the
 * decimal lower 64 bits that `/local/traces` uses, so every log links to its trace.
 *
 * An intake only checks a body and counts its lines ({@linkcode jsonLogBatch},
 * {@linkcode textLogBatch}); {@linkcode logRecords} makes the records when logs are read.
 */
import { invalid } from "./_errors.ts";

/** A stored log record: the intake envelope, the line's own fields and its trace link. */
export interface LogRecord {
  received_at: number;
  service: string;
  ddsource: string;
  hostname: string;
  /** The event name of a JSON line, or the raw line when it is not JSON. */
  message: string;
  /** Decimal lower 64 bits of the trace id, when the line was written inside a trace. */
  trace_id?: string;
  /** Decimal span id, when the line carries one. */
  span_id?: string;
  [field: string]: unknown;
}

/** The longest log line kept whole; longer lines are cut (Datadog cuts at 1 MB). */
export const MAX_LINE_CHARS = 64 * 1024;

const HEX32 = /^[0-9a-f]{32}$/i;
const HEX16 = /^[0-9a-f]{16}$/i;
const DECIMAL = /^\d{1,39}$/;
const U64 = 64;

/**
 * Normalises a trace id to the decimal string of its lower 64 bits. dd-trace writes
 * `dd.trace_id` as 32 hex characters for 128-bit ids and in decimal otherwise; 16 hex
 * characters with a letter (a W3C half) are read as hex. Anything else gives undefined.
 */
export function normalizeTraceId(value: unknown): string | undefined {
  if (typeof value === "bigint") return BigInt.asUintN(U64, value).toString();
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  }
  if (typeof value !== "string") return undefined;
  const id = value.trim();
  if (HEX32.test(id)) return BigInt(`0x${id.slice(16)}`).toString();
  if (DECIMAL.test(id)) return BigInt.asUintN(U64, BigInt(id)).toString();
  if (HEX16.test(id)) return BigInt(`0x${id}`).toString();
  return undefined;
}

/** Where a log line carries its trace id: nested `dd` (dd-trace), a dotted key, or plain. */
function traceIdOf(fields: Record<string, unknown>): unknown {
  const dd = fields.dd;
  if (typeof dd === "object" && dd !== null && "trace_id" in dd) {
    return (dd as Record<string, unknown>).trace_id;
  }
  return fields["dd.trace_id"] ?? fields.trace_id;
}

function spanIdOf(fields: Record<string, unknown>): unknown {
  const dd = fields.dd;
  if (typeof dd === "object" && dd !== null && "span_id" in dd) {
    return (dd as Record<string, unknown>).span_id;
  }
  return fields["dd.span_id"] ?? fields.span_id;
}

/** The envelope of a log line: where it comes from. */
export interface LogEnvelope {
  service?: string;
  ddsource?: string;
  hostname?: string;
  ddtags?: string;
}

/** The fields of {@linkcode LogEnvelope}, as both intake forms read them. */
export const LOG_ENVELOPE_KEYS = ["service", "ddsource", "hostname", "ddtags"] as const;

/** A checked logs intake body, made into records only when logs are read. */
export type LogBatch =
  | { kind: "json"; entries: readonly LogEntry[]; lines: number; bytes: number }
  | { kind: "text"; text: Uint8Array; envelope: LogEnvelope; lines: number; bytes: number };

/**
 * One entry of the JSON form: the envelope and the raw line, or, without a `message`, the
 * log's attributes themselves (Datadog's intake takes both).
 */
export interface LogEntry extends LogEnvelope {
  message?: string;
  [attribute: string]: unknown;
}

/**
 * Checks a parsed JSON logs intake body of `bytes` bytes; throws a 400 naming the first bad
 * entry. A single object is accepted as a batch of one, as Datadog's intake does.
 */
export function jsonLogBatch(body: unknown, bytes: number): LogBatch {
  const entries = Array.isArray(body) ? body : [body];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const at = Array.isArray(body) ? `[${i}]` : "body";
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw invalid(at, `Cannot read log ${at}: expected an object`);
    }
    const envelope = entry as Record<string, unknown>;
    if (envelope.message !== undefined && typeof envelope.message !== "string") {
      throw invalid(`${at}.message`, `Cannot read log ${at}.message: expected a string`);
    }
    for (const key of LOG_ENVELOPE_KEYS) {
      if (envelope[key] !== undefined && typeof envelope[key] !== "string") {
        throw invalid(`${at}.${key}`, `Cannot read log ${at}.${key}: expected a string`);
      }
    }
  }
  return { kind: "json", entries: entries as LogEntry[], lines: entries.length, bytes };
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * A `text/plain` body: one log per line (LF or CRLF), empty lines skipped, the envelope
 * given apart. Only counts the lines; any bytes are accepted (bad UTF-8 reads as U+FFFD).
 */
export function textLogBatch(text: Uint8Array, envelope: LogEnvelope): LogBatch {
  let lines = 0;
  forEachLine(text, () => lines++);
  return { kind: "text", text, envelope, lines, bytes: text.byteLength };
}

/**
 * Calls `onLine` with the bounds of every non-empty line of `text` (LF or CRLF ends a line,
 * the CR left out). LF and CR are ASCII and never part of a multi-byte character, so the
 * bounds are the same whether the bytes are valid UTF-8 or not.
 */
function forEachLine(text: Uint8Array, onLine: (start: number, stop: number) => void): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(LF, start);
    if (end < 0) end = text.length;
    const stop = end > start && text[end - 1] === CR ? end - 1 : end;
    if (stop > start) onLine(start, stop);
    start = end + 1;
  }
}

// Keeps a leading byte-order mark as a character: a line is its bytes, whatever they are.
const lenientUtf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** Makes the records of a checked batch, received at `now`. */
export function logRecords(batch: LogBatch, now = Date.now()): LogRecord[] {
  const records: LogRecord[] = [];
  if (batch.kind === "json") {
    for (const entry of batch.entries) {
      records.push(logRecord(entry.message ?? "", entry, now, attributesOf(entry)));
    }
    return records;
  }
  const { text, envelope } = batch;
  forEachLine(text, (start, stop) => {
    records.push(logRecord(lenientUtf8.decode(text.subarray(start, stop)), envelope, now));
  });
  return records;
}

const ENVELOPE_KEYS: ReadonlySet<string> = new Set(LOG_ENVELOPE_KEYS);

/**
 * What a JSON entry carries beside its envelope and `message`: Datadog keeps those keys as
 * the log's attributes, under the ones a JSON `message` holds.
 */
function attributesOf(entry: LogEntry): Record<string, unknown> | undefined {
  let attributes: Record<string, unknown> | undefined;
  for (const key in entry) {
    if (key === "message" || ENVELOPE_KEYS.has(key)) continue;
    (attributes ??= {})[key] = entry[key];
  }
  return attributes;
}

function logRecord(
  message: string,
  envelope: LogEnvelope,
  now: number,
  attributes?: Record<string, unknown>,
): LogRecord {
  let line = message;
  const truncated = line.length > MAX_LINE_CHARS;
  if (truncated) line = line.slice(0, MAX_LINE_CHARS);
  const parsed = truncated ? undefined : parseLine(line);
  const fields = attributes ? { ...attributes, ...parsed } : parsed;
  const record: LogRecord = {
    ...fields,
    received_at: now,
    ddsource: envelope.ddsource ?? "",
    hostname: envelope.hostname ?? "",
    ...(envelope.ddtags !== undefined ? { ddtags: envelope.ddtags } : {}),
    service: typeof fields?.service === "string" ? fields.service : envelope.service ?? "",
    message: typeof fields?.message === "string" ? fields.message : line,
  };
  if (truncated) record.truncated = true;
  const traceId = fields ? normalizeTraceId(traceIdOf(fields)) : undefined;
  if (traceId !== undefined) record.trace_id = traceId;
  else delete record.trace_id;
  const spanId = fields ? normalizeTraceId(spanIdOf(fields)) : undefined;
  if (spanId !== undefined) record.span_id = spanId;
  else delete record.span_id;
  return record;
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (line.charCodeAt(0) !== 0x7b /* { */) return undefined;
  try {
    const parsed = JSON.parse(line);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}
