import { AgentError } from "./_errors.ts";
import { readStreamCapped } from "@demo/observability/body";

/** Compression formats the intakes accept, as `DecompressionStream` names them. */
export type Compression = "gzip" | "deflate";

function tooLarge(limit: number, what = "body"): AgentError {
  return new AgentError(
    413,
    "payload_too_large",
    `Cannot read ${what}: larger than ${limit} bytes`,
    "body",
  );
}

/** How long a body may take to arrive: a sender stuck mid-body does not hold a request open. */
const BODY_TIMEOUT_MS = 10_000;

/**
 * Reads a request body of at most `limit` bytes and undoes its `Content-Encoding` (gzip or
 * deflate), again capped at `limit` bytes so a small compressed body cannot expand without
 * bound. Answers 413 past the limit, 415 for an unknown encoding, 400 for a body that
 * does not decompress or whose connection closes early, and 408 for one still incomplete
 * after {@linkcode BODY_TIMEOUT_MS}.
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const encoding = compressionOf(request.headers.get("content-encoding"));
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  const bytes = await readStreamCapped(request.body, limit, () => tooLarge(limit), {
    timeoutMs: BODY_TIMEOUT_MS,
    error: (status, code, message) => new AgentError(status, code, message, "body"),
  });
  return encoding ? await decompress(bytes, encoding, limit) : bytes;
}

/** Maps a `Content-Encoding` header to a compression format; undefined means none. */
export function compressionOf(header: string | null): Compression | undefined {
  const value = (header ?? "").trim().toLowerCase();
  if (value === "" || value === "identity") return undefined;
  if (value === "gzip" || value === "x-gzip") return "gzip";
  if (value === "deflate") return "deflate";
  throw new AgentError(
    415,
    "unsupported_encoding",
    "Cannot read body: Content-Encoding must be gzip, deflate or identity",
    "content-encoding",
  );
}

/** Decompresses `bytes`; 400 when they are not valid `format` data, 413 past `limit`. */
export async function decompress(
  bytes: Uint8Array,
  format: Compression,
  limit: number,
): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream(format));
  try {
    return await readStreamCapped(stream, limit, () => tooLarge(limit, "decompressed body"));
  } catch (error) {
    if (error instanceof AgentError) throw error;
    throw new AgentError(
      400,
      "invalid_encoding",
      `Cannot decompress body: expected ${format} data`,
      "body",
    );
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes UTF-8 text, answering 400 for bytes that are not UTF-8. */
export function utf8Text(bytes: Uint8Array, field = "body"): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new AgentError(400, "invalid_payload", "Cannot read body: expected UTF-8 text", field);
  }
}

/** Parses JSON text, answering 400 when it does not parse. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AgentError(400, "invalid_json", `Cannot parse ${what}: expected JSON`, "body");
  }
}
