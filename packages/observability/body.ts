/**
 * Reading a request body with a size cap. It imports nothing, so code that must not load
 * the tracer (the local Agent stand-in) can use it through `@demo/observability/body`.
 *
 * @module
 */

/** What to throw when a body comes too slowly or its connection breaks. */
export interface BodyReadLimits {
  /** Milliseconds the whole body may take to arrive; unset: no limit. */
  timeoutMs?: number;
  /** The error for a body that did not arrive within `timeoutMs`. */
  timedOut?: () => Error;
  /** The error for a body whose connection broke or closed before its end. */
  broken?: (cause: unknown) => Error;
}

/**
 * Reads a raw body stream of at most `limit` bytes and throws what `tooLarge()` returns as
 * soon as the bytes read pass it, instead of buffering whatever a client sends. With
 * `limits.timeoutMs`, a body still incomplete after that long (a client that declared more
 * than it sends, or sends a byte at a time) is given up with `limits.timedOut()`; a read
 * that fails because the connection went away throws `limits.broken()`.
 */
export async function readStreamCapped(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  tooLarge: () => Error,
  limits: BodyReadLimits = {},
): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = limits.timeoutMs === undefined ? undefined : new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), Math.max(0, limits.timeoutMs!));
  });
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array> | "expired";
      try {
        chunk = await (expired ? Promise.race([reader.read(), expired]) : reader.read());
      } catch (error) {
        throw limits.broken ? limits.broken(error) : error;
      }
      if (chunk === "expired") {
        await reader.cancel().catch(() => {});
        throw limits.timedOut ? limits.timedOut() : new Error("Body read timed out");
      }
      const { done, value } = chunk;
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
