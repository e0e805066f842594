/**
 * A minimal HTTP/1.1 keep-alive client over a TCP connection, for the load generator.
 * Deno's `fetch` costs about as much CPU per request as the services it would measure, so
 * on a 2-core machine a `fetch`-based generator would benchmark itself; this one costs a
 * fraction of that. One connection carries one request at a time (like a browser tab or wrk).
 */

/** A parsed response. */
export interface Http1Response {
  status: number;
  /** Header names are lower case; `set-cookie` values are joined with "\n". */
  headers: Map<string, string>;
  body: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLFCRLF = [13, 10, 13, 10];

function indexOfSeq(buf: Uint8Array, start: number, end: number, seq: number[]): number {
  outer: for (let i = start; i <= end - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) if (buf[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

/** One keep-alive connection to `hostname:port`, reconnecting when the server closes it. */
export class Http1Connection {
  #conn: Deno.TcpConn | undefined;
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  readonly hostname: string;
  readonly port: number;
  readonly #hostHeader: string;

  constructor(hostname: string, port: number) {
    this.hostname = hostname;
    this.port = port;
    this.#hostHeader = `${hostname}:${port}`;
  }

  close(): void {
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
    this.#conn = undefined;
    this.#start = this.#end = 0;
  }

  /** Sends one request and reads its response; rejects on timeout or a broken connection. */
  async request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<Http1Response> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.close();
        reject(new DOMException("Request timed out", "TimeoutError"));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.#exchange(method, path, headers, body), timeout]);
    } catch (error) {
      this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #exchange(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<Http1Response> {
    const fresh = !this.#conn;
    this.#conn ??= await Deno.connect({ hostname: this.hostname, port: this.port });
    const payload = body === undefined ? undefined : encoder.encode(body);
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    if (payload) head += `content-length: ${payload.byteLength}\r\n`;
    head += "\r\n";
    const bytes = payload ? concat(encoder.encode(head), payload) : encoder.encode(head);
    try {
      await writeAll(this.#conn, bytes);
      return await this.#readResponse(method);
    } catch (error) {
      // A kept-alive connection the server closed meanwhile: retry once on a new one.
      if (!fresh && error instanceof ConnectionClosed) {
        this.close();
        return await this.#exchange(method, path, headers, body);
      }
      throw error;
    }
  }

  async #fill(): Promise<void> {
    if (this.#start > 0 && this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
    }
    const n = await this.#conn!.read(this.#buf.subarray(this.#end));
    if (n === null) throw new ConnectionClosed();
    this.#end += n;
  }

  async #readResponse(method: string): Promise<Http1Response> {
    let headEnd: number;
    while ((headEnd = indexOfSeq(this.#buf, this.#start, this.#end, CRLFCRLF)) < 0) {
      await this.#fill();
    }
    const head = decoder.decode(this.#buf.subarray(this.#start, headEnd)).split("\r\n");
    this.#start = headEnd + 4;
    const status = Number(head[0].split(" ")[1]);
    const headers = new Map<string, string>();
    for (let i = 1; i < head.length; i++) {
      const colon = head[i].indexOf(":");
      if (colon < 0) continue;
      const name = head[i].slice(0, colon).trim().toLowerCase();
      const value = head[i].slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}\n${value}` : value);
    }
    let body = "";
    if (method !== "HEAD" && status !== 204 && status !== 304) {
      if (headers.get("transfer-encoding")?.includes("chunked")) {
        body = await this.#readChunked();
      } else if (headers.has("content-length")) {
        const length = Number(headers.get("content-length"));
        while (this.#end - this.#start < length) await this.#fill();
        body = decoder.decode(this.#buf.subarray(this.#start, this.#start + length));
        this.#start += length;
      } else {
        // Body until close: read everything, then drop the connection.
        try {
          while (true) await this.#fill();
        } catch { /* closed */ }
        body = decoder.decode(this.#buf.subarray(this.#start, this.#end));
        this.close();
      }
    }
    if (headers.get("connection")?.toLowerCase() === "close") this.close();
    return { status, headers, body };
  }

  async #readChunked(): Promise<string> {
    const parts: Uint8Array[] = [];
    while (true) {
      let lineEnd: number;
      while ((lineEnd = indexOfSeq(this.#buf, this.#start, this.#end, [13, 10])) < 0) {
        await this.#fill();
      }
      const size = parseInt(decoder.decode(this.#buf.subarray(this.#start, lineEnd)), 16);
      this.#start = lineEnd + 2;
      while (this.#end - this.#start < size + 2) await this.#fill();
      if (size === 0) {
        this.#start += 2;
        break;
      }
      parts.push(this.#buf.slice(this.#start, this.#start + size));
      this.#start += size + 2;
    }
    return decoder.decode(parts.length === 1 ? parts[0] : concat(...parts));
  }
}

class ConnectionClosed extends Error {
  constructor() {
    super("Connection closed by the server");
    this.name = "ConnectionClosed";
  }
}

function concat(...chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
}
