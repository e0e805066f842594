/**
 * Reading a request body with a size cap. It imports nothing, so code that must not load
 * the tracer (the local Agent stand-in) can use it through `@demo/observability/body`.
 *
 * @module
 */

/** A deadline for a whole body, and how to make the errors of a late or broken one. */
export interface BodyReadLimits {
  /** Milliseconds the whole body may take to arrive. */
  timeoutMs: number;
  /**
   * Makes the error to throw, the message written here so every reader says the same: 408
   * `request_timeout` when the body did not arrive in time, 400 `incomplete_body` when its
   * connection closed before its end. Both name the field `body`.
   */
  error: (status: 400 | 408, code: string, message: string) => Error;
}

/**
 * Reads a raw body stream of at most `limit` bytes and throws what `tooLarge()` returns as
 * soon as the bytes read pass it, instead of buffering whatever a client sends. With
 * `limits`, a body still incomplete after `timeoutMs` (a client that declared more than it
 * sends, or sends a byte at a time) or whose connection goes away is given up with
 * `limits.error()`; without, a failed read rethrows its own error.
 */
export async function readStreamCapped(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  tooLarge: () => Error,
  limits?: BodyReadLimits,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // The deadline cancels the reader, which ends a pending read: no race per chunk.
  let timedOut = false;
  const timer = limits && setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, Math.max(0, limits.timeoutMs));
  const late = () =>
    limits!.error(
      408,
      "request_timeout",
      `Cannot read body: it did not arrive within ${Math.round(limits!.timeoutMs)} ms`,
    );
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (!limits) throw error;
        if (timedOut) throw late();
        throw limits.error(
          400,
          "incomplete_body",
          "Cannot read body: the connection closed before the body ended",
        );
      }
      if (timedOut) throw late();
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
