/**
 * The Browser SDK's proxy intake. With `proxy` set, the RUM and Logs SDKs post to
 * `<proxy>?ddforward=<url-encoded intake path and query>`: newline-delimited JSON events for
 * `/api/v2/rum` and `/api/v2/logs` (deflated when the query says `dd-evp-encoding=deflate`),
 * and multipart session replay segments for `/api/v2/replay`, of which only the metadata is
 * kept. The query also carries the client token: it is read for nothing and never stored.
 */
import { decompress, utf8Text } from "./_body.ts";
import { AgentError, invalid } from "./_errors.ts";

/** What a stored browser entry is. */
export type BrowserKind = "rum" | "browser_log" | "replay";

/** A stored browser entry. */
export interface BrowserEntry {
  kind: BrowserKind;
  received_at: number;
  /** The RUM event type (`view`, `action`, `resource`, `error`, …), `log` or `segment`. */
  type: string;
  event: Record<string, unknown>;
}

/** Intake tracks the stand-in keeps; the rest of the SDK's tracks are accepted and counted. */
export type BrowserTrack = "rum" | "logs" | "replay" | "other";

/** Where a browser request was meant to go. */
export interface ForwardTarget {
  track: BrowserTrack;
  /** The intake path, e.g. `/api/v2/rum`. */
  path: string;
  /** Set when the body is deflated (`dd-evp-encoding=deflate`). */
  encoding?: "deflate";
}

const OTHER_TRACKS = new Set(["profile", "exposures", "flagevaluation", "debugger"]);

/** The largest single event kept; the SDK's own batches are far smaller. */
export const MAX_EVENT_CHARS = 256 * 1024;

/** Reads the `ddforward` query parameter; 400 when it is missing or not an intake path. */
export function parseForward(ddforward: string | null): ForwardTarget {
  if (!ddforward) {
    throw invalid("ddforward", "Cannot route browser data: missing the ddforward parameter");
  }
  let url: URL;
  try {
    if (!ddforward.startsWith("/")) throw new Error("not a path");
    url = new URL(ddforward, "http://intake.invalid");
  } catch {
    throw invalid("ddforward", "Cannot route browser data: ddforward must be an intake path");
  }
  const match = /^\/api\/v2\/([a-z]+)$/.exec(url.pathname);
  const name = match?.[1] ?? "";
  const track: BrowserTrack | undefined = name === "rum" || name === "logs" || name === "replay"
    ? name
    : OTHER_TRACKS.has(name)
    ? "other"
    : undefined;
  if (!track) {
    throw invalid(
      "ddforward",
      "Cannot route browser data: ddforward must name /api/v2/rum, /api/v2/logs or /api/v2/replay",
    );
  }
  const encoding = url.searchParams.get("dd-evp-encoding");
  if (encoding !== null && encoding !== "deflate") {
    throw new AgentError(
      415,
      "unsupported_encoding",
      "Cannot read browser data: dd-evp-encoding must be deflate",
      "ddforward",
    );
  }
  return { track, path: url.pathname, ...(encoding ? { encoding } : {}) };
}

/** The result of reading a batch: its entries and how many lines did not parse. */
export interface BrowserBatch {
  entries: BrowserEntry[];
  invalid: number;
}

/**
 * Reads a RUM or browser-logs batch. Lines that are not JSON objects are counted and
 * skipped; a batch in which no line parses is a 400.
 */
export async function readBrowserBatch(
  bytes: Uint8Array,
  target: ForwardTarget,
  limit: number,
  now = Date.now(),
): Promise<BrowserBatch> {
  const plain = target.encoding ? await decompress(bytes, target.encoding, limit) : bytes;
  const kind: BrowserKind = target.track === "logs" ? "browser_log" : "rum";
  const batch = parseNdjson(utf8Text(plain), kind, now);
  if (batch.entries.length === 0) {
    throw invalid("body", "Cannot read browser data: expected newline-delimited JSON events");
  }
  return batch;
}

/** Splits newline-delimited JSON into entries of `kind`. */
export function parseNdjson(text: string, kind: BrowserKind, now = Date.now()): BrowserBatch {
  const entries: BrowserEntry[] = [];
  let invalidLines = 0;
  for (const line of text.split("\n")) {
    if (line.trim().length === 0) continue;
    const event = line.length <= MAX_EVENT_CHARS ? parseObject(line) : undefined;
    if (!event) {
      invalidLines++;
      continue;
    }
    const type = kind === "browser_log"
      ? "log"
      : typeof event.type === "string"
      ? event.type
      : "unknown";
    entries.push({ kind, received_at: now, type, event });
  }
  return { entries, invalid: invalidLines };
}

/**
 * Reads a session replay upload (multipart: a deflated `segment` and an `event` JSON part)
 * and keeps the metadata only, with the segment's size.
 */
export async function readReplay(
  bytes: Uint8Array,
  contentType: string | null,
  now = Date.now(),
): Promise<BrowserEntry> {
  if (!/^multipart\/form-data\b/i.test(contentType ?? "")) {
    throw new AgentError(
      415,
      "unsupported_media_type",
      "Cannot read a replay upload: expected multipart/form-data",
      "content-type",
    );
  }
  let form: FormData;
  try {
    form = await new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": contentType as string },
    }).formData();
  } catch {
    throw invalid("body", "Cannot read a replay upload: the multipart body does not parse");
  }
  const part = form.get("event");
  const text = typeof part === "string" ? part : part ? await part.text() : undefined;
  const event = text !== undefined && text.length <= MAX_EVENT_CHARS
    ? parseObject(text)
    : undefined;
  if (!event) {
    throw invalid("event", "Cannot read a replay upload: the event part must be a JSON object");
  }
  const segment = form.get("segment");
  const segmentBytes = segment instanceof Blob ? segment.size : 0;
  return {
    kind: "replay",
    received_at: now,
    type: "segment",
    event: { ...event, segment_bytes: segmentBytes },
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
