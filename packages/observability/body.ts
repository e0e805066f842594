/**
 * Reading a request body with a size cap. It imports nothing, so code that must not load
 * the tracer (the local Agent stand-in) can use it through `@demo/observability/body`.
 *
 * @module
 */

/**
 * Reads a raw body stream of at most `limit` bytes and throws what `tooLarge()` returns as
 * soon as the bytes read pass it, instead of buffering whatever a client sends.
 */
export async function readStreamCapped(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
