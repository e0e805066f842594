/**
 * A parser for the DogStatsD datagram format: metrics (`name:value[:value…]|type|@rate|#tags`),
 * events (`_e{title_len,text_len}:title|text|…`) and service checks (`_sc|name|status|…`),
 * several per packet separated by newlines. It never throws on bad input: a line that does
 * not parse is reported to the visitor with the reason and skipped.
 */

/** DogStatsD metric types by their wire letter. */
export const METRIC_TYPES = {
  c: "count",
  g: "gauge",
  h: "histogram",
  d: "distribution",
  ms: "timing",
  s: "set",
} as const;

/** A metric type as the stand-in names it. */
export type MetricType = (typeof METRIC_TYPES)[keyof typeof METRIC_TYPES];

/** One metric line. Sets carry their members in `members`, every other type in `values`. */
export interface MetricSample {
  name: string;
  type: MetricType;
  values: number[];
  members: string[];
  sampleRate: number;
  /** The tags as sent (`key:value` or bare), in wire order. */
  tags: string[];
  /** The raw text of the tag field, a cheap aggregation key for repeated lines. */
  rawTags: string;
  /** Client-side timestamp (`|T…`), in seconds. */
  timestamp?: number;
}

/** A DogStatsD event. */
export interface DogStatsDEvent {
  title: string;
  text: string;
  timestamp?: number;
  hostname?: string;
  aggregation_key?: string;
  priority?: string;
  source_type_name?: string;
  alert_type?: string;
  tags: string[];
}

/** A DogStatsD service check; status 0 OK, 1 warning, 2 critical, 3 unknown. */
export interface ServiceCheck {
  name: string;
  status: number;
  timestamp?: number;
  hostname?: string;
  message?: string;
  tags: string[];
}

/** Receives what {@linkcode parseDogStatsD} finds, line by line. */
export interface DogStatsDVisitor {
  metric(sample: MetricSample): void;
  event(event: DogStatsDEvent): void;
  serviceCheck(check: ServiceCheck): void;
  invalid(line: string, reason: string): void;
}

/** Parses a DogStatsD payload (one datagram, or the body of `/dogstatsd/v2/proxy`). */
export function parseDogStatsD(payload: string, visitor: DogStatsDVisitor): void {
  let start = 0;
  while (start < payload.length) {
    let end = payload.indexOf("\n", start);
    if (end === -1) end = payload.length;
    let line = payload.slice(start, end);
    start = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length === 0) continue;
    const error = line.startsWith("_e{")
      ? parseEvent(line, visitor)
      : line.startsWith("_sc|")
      ? parseServiceCheck(line, visitor)
      : parseMetric(line, visitor);
    if (error) visitor.invalid(line, error);
  }
}

/** Everything {@linkcode parseDogStatsD} found in a payload, for tests and small callers. */
export interface ParsedDogStatsD {
  metrics: MetricSample[];
  events: DogStatsDEvent[];
  serviceChecks: ServiceCheck[];
  invalid: { line: string; reason: string }[];
}

/** Parses `payload` into lists. */
export function parseDogStatsDToLists(payload: string): ParsedDogStatsD {
  const parsed: ParsedDogStatsD = { metrics: [], events: [], serviceChecks: [], invalid: [] };
  parseDogStatsD(payload, {
    metric: (m) => parsed.metrics.push(m),
    event: (e) => parsed.events.push(e),
    serviceCheck: (c) => parsed.serviceChecks.push(c),
    invalid: (line, reason) => parsed.invalid.push({ line, reason }),
  });
  return parsed;
}

function parseMetric(line: string, visitor: DogStatsDVisitor): string | undefined {
  const colon = line.indexOf(":");
  const firstPipe = line.indexOf("|");
  if (colon <= 0 || firstPipe === -1 || firstPipe < colon) {
    return "expected name:value|type";
  }
  const name = line.slice(0, colon);
  if (/\s/.test(name)) return "metric name contains whitespace";
  const rawValues = line.slice(colon + 1, firstPipe);
  const typeEnd = line.indexOf("|", firstPipe + 1);
  const letter = line.slice(firstPipe + 1, typeEnd === -1 ? line.length : typeEnd);
  const type = METRIC_TYPES[letter as keyof typeof METRIC_TYPES];
  if (type === undefined) return `unknown metric type '${letter}'`;
  if (rawValues.length === 0) return "missing value";

  const values: number[] = [];
  const members: string[] = [];
  if (type === "set") {
    members.push(rawValues);
  } else {
    for (const raw of rawValues.split(":")) {
      const value = raw.length === 0 ? NaN : Number(raw);
      if (!Number.isFinite(value)) return `value '${raw}' is not a number`;
      values.push(value);
    }
  }

  let sampleRate = 1;
  let tags: string[] = [];
  let rawTags = "";
  let timestamp: number | undefined;
  let at = typeEnd;
  while (at !== -1) {
    const next = line.indexOf("|", at + 1);
    const field = line.slice(at + 1, next === -1 ? line.length : next);
    at = next;
    if (field.startsWith("@")) {
      sampleRate = Number(field.slice(1));
      if (!(sampleRate > 0 && sampleRate <= 1)) return `sample rate '${field}' is not in (0, 1]`;
    } else if (field.startsWith("#")) {
      rawTags = field.slice(1);
      tags = splitTags(rawTags);
    } else if (field.startsWith("T")) {
      timestamp = Number(field.slice(1));
      if (!Number.isInteger(timestamp) || timestamp < 0) return `timestamp '${field}' is invalid`;
    }
    // Container ids (c:), external data (e:) and cardinality (card:) do not change the value.
  }
  visitor.metric({ name, type, values, members, sampleRate, tags, rawTags, timestamp });
  return undefined;
}

function splitTags(raw: string): string[] {
  if (raw.length === 0) return [];
  const tags = raw.split(",");
  return tags.includes("") ? tags.filter((tag) => tag.length > 0) : tags;
}

const EVENT_HEAD = /^_e\{(\d{1,6}),(\d{1,6})\}:/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parseEvent(line: string, visitor: DogStatsDVisitor): string | undefined {
  const head = EVENT_HEAD.exec(line);
  if (!head) return "expected _e{title_length,text_length}:title|text";
  const titleLength = Number(head[1]);
  const textLength = Number(head[2]);
  const body = line.slice(head[0].length);
  // The Agent counts UTF-8 bytes; some clients (hot-shots) count UTF-16 code units. Both are
  // tried: the right reading is the one whose title is followed by the separator.
  const split = splitByUnits(body, titleLength, textLength) ??
    splitByBytes(body, titleLength, textLength);
  if (!split) return "title and text do not match their declared lengths";
  const [title, text, rest] = split;
  if (title.length === 0) return "event title is empty";
  const event: DogStatsDEvent = { title, text: text.replaceAll("\\n", "\n"), tags: [] };
  for (const field of rest.length ? rest.split("|") : []) {
    if (field.length === 0) continue;
    const value = field.slice(2);
    if (field.startsWith("#")) event.tags = splitTags(field.slice(1));
    else if (field.startsWith("d:")) {
      event.timestamp = Number(value);
      if (!Number.isInteger(event.timestamp)) return `timestamp '${field}' is invalid`;
    } else if (field.startsWith("h:")) event.hostname = value;
    else if (field.startsWith("k:")) event.aggregation_key = value;
    else if (field.startsWith("p:")) event.priority = value;
    else if (field.startsWith("s:")) event.source_type_name = value;
    else if (field.startsWith("t:")) event.alert_type = value;
  }
  visitor.event(event);
  return undefined;
}

function splitByUnits(
  body: string,
  titleLength: number,
  textLength: number,
): [string, string, string] | undefined {
  if (body.length < titleLength + 1 + textLength || body[titleLength] !== "|") return undefined;
  const textEnd = titleLength + 1 + textLength;
  if (textEnd < body.length && body[textEnd] !== "|") return undefined;
  return [
    body.slice(0, titleLength),
    body.slice(titleLength + 1, textEnd),
    body.slice(textEnd + 1),
  ];
}

function splitByBytes(
  body: string,
  titleLength: number,
  textLength: number,
): [string, string, string] | undefined {
  const bytes = encoder.encode(body);
  const textEnd = titleLength + 1 + textLength;
  if (bytes.length < textEnd || bytes[titleLength] !== 0x7c) return undefined;
  if (textEnd < bytes.length && bytes[textEnd] !== 0x7c) return undefined;
  return [
    decoder.decode(bytes.subarray(0, titleLength)),
    decoder.decode(bytes.subarray(titleLength + 1, textEnd)),
    decoder.decode(bytes.subarray(textEnd + 1)),
  ];
}

function parseServiceCheck(line: string, visitor: DogStatsDVisitor): string | undefined {
  const fields = line.split("|");
  const name = fields[1];
  const status = Number(fields[2]);
  if (!name) return "expected _sc|name|status";
  if (fields[2] === undefined || !Number.isInteger(status) || status < 0 || status > 3) {
    return "service check status must be 0, 1, 2 or 3";
  }
  const check: ServiceCheck = { name, status, tags: [] };
  for (let i = 3; i < fields.length; i++) {
    const field = fields[i];
    if (field.startsWith("m:")) {
      // The message comes last and may itself contain the separator.
      check.message = fields.slice(i).join("|").slice(2).replaceAll("\\n", "\n");
      break;
    }
    if (field.startsWith("#")) check.tags = splitTags(field.slice(1));
    else if (field.startsWith("d:")) {
      check.timestamp = Number(field.slice(2));
      if (!Number.isInteger(check.timestamp)) return `timestamp '${field}' is invalid`;
    } else if (field.startsWith("h:")) check.hostname = field.slice(2);
  }
  visitor.serviceCheck(check);
  return undefined;
}
