/**
 * A relay between web-frontend's RUM proxy and the local Agent stand-in's browser intake that
 * keeps a readable copy of every batch: RUM and Logs batches as text (inflated when deflated)
 * and Session Replay uploads with their deflated segment inflated. The stand-in keeps only a
 * replay's metadata, so this is where a test can read everything the browser sent.
 */

/** One batch the browser SDKs sent, as text. */
export interface RecordedBatch {
  /** The intake path the SDK named in `ddforward`, e.g. `/api/v2/rum`. */
  path: string;
  /** The batch, decompressed; a replay upload's parts joined by newlines. */
  text: string;
  /** Compressed parts that did not inflate (their raw bytes are in `text`). */
  unreadableParts: number;
  /** The status the stand-in answered (0 when it could not be reached). */
  forwardedStatus: number;
}

/** A running relay. */
export interface IntakeRecorder {
  /** Set as web-frontend's `RUM_PROXY_URL`. */
  url: string;
  batches: RecordedBatch[];
  close(): Promise<void>;
}

/** Starts a relay on a free loopback port that forwards every request to `target`. */
export function startIntakeRecorder(target: string): IntakeRecorder {
  const batches: RecordedBatch[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      const ddforward = url.searchParams.get("ddforward") ?? "";
      const body = new Uint8Array(await request.arrayBuffer());
      const contentType = request.headers.get("content-type") ?? "text/plain";
      let forwardedStatus = 0;
      try {
        const response = await fetch(`${target}${url.search}`, {
          method: "POST",
          headers: { "content-type": contentType },
          body,
          signal: AbortSignal.timeout(5000),
        });
        await response.body?.cancel();
        forwardedStatus = response.status;
      } catch { /* recorded as 0 */ }
      const forward = new URL(ddforward, "http://intake.invalid");
      const read = await readable(body, contentType, forward.searchParams.get("dd-evp-encoding"));
      batches.push({ path: forward.pathname, ...read, forwardedStatus });
      return Response.json({}, { status: forwardedStatus === 0 ? 502 : forwardedStatus });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/browser-intake`,
    batches,
    close: () => server.shutdown(),
  };
}

type Readable = { text: string; unreadableParts: number };

async function readable(
  body: Uint8Array<ArrayBuffer>,
  contentType: string,
  encoding: string | null,
): Promise<Readable> {
  if (/^multipart\/form-data\b/i.test(contentType)) {
    const form = await new Response(body, { headers: { "content-type": contentType } })
      .formData();
    const parts: Readable[] = [];
    for (const [, value] of form) {
      parts.push(
        typeof value === "string"
          ? { text: value, unreadableParts: 0 }
          : await readPart(new Uint8Array(await value.arrayBuffer())),
      );
    }
    return {
      text: parts.map((part) => part.text).join("\n"),
      unreadableParts: parts.reduce((sum, part) => sum + part.unreadableParts, 0),
    };
  }
  return encoding === "deflate"
    ? await inflate(body)
    : { text: new TextDecoder().decode(body), unreadableParts: 0 };
}

/** The inflated text of zlib data; data that does not inflate is kept as text and counted. */
async function inflate(bytes: Uint8Array<ArrayBuffer>): Promise<Readable> {
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return { text: await new Response(stream).text(), unreadableParts: 0 };
  } catch {
    return { text: new TextDecoder().decode(bytes), unreadableParts: 1 };
  }
}

/** A multipart file part: inflated when it starts with a zlib header, else read as text. */
function readPart(bytes: Uint8Array<ArrayBuffer>): Promise<Readable> | Readable {
  const zlib = bytes.length >= 2 && (bytes[0] & 0x0f) === 8 &&
    ((bytes[0] << 8) | bytes[1]) % 31 === 0;
  return zlib ? inflate(bytes) : { text: new TextDecoder().decode(bytes), unreadableParts: 0 };
}
