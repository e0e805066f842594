/**
 * A small HTTP/1.1 keep-alive client over plain TCP, for calls between the services on a
 * private network and for the load generator. Deno's `fetch` costs about as much CPU per
 * call as the handler it calls (measured: an empty server answers 6,000 req/s to a `fetch`
 * loop and 49,000 to this client on the same core), which on a small machine halves what a
 * chain of services can serve. One connection carries one request at a time (like a
 * browser tab or wrk); {@linkcode Http1Pool} keeps several per peer.
 *
 * Plain `http:` only: anything else (TLS, proxies, redirects) goes through `fetch`.
 *
 * @module
 */

/** A parsed response. */
export interface Http1Response {
  status: number;
  /** Header names are lower case; `set-cookie` values are joined with "\n". */
  headers: Map<string, string>;
  body: string;
}

/** The largest response body read by default; a bigger one fails the call. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** The response was larger than the caller accepts. */
export class ResponseTooLarge extends Error {
  constructor(limit: number) {
    super(`Response body over ${limit} bytes`);
    this.name = "ResponseTooLarge";
  }
}

// A header name is a token; a value has no line breaks (they would start a new header).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LINE_BREAK = /[\r\n]/;

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
  #buf = new Uint8Array(16 * 1024);
  #start = 0;
  #end = 0;
  #generation = 0;
  readonly hostname: string;
  readonly port: number;
  readonly #hostHeader: string;
  readonly #maxBodyBytes: number;

  constructor(hostname: string, port: number, options: { maxBodyBytes?: number } = {}) {
    this.hostname = hostname;
    this.port = port;
    this.#hostHeader = `${hostname}:${port}`;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** Whether a TCP connection is open (it is opened by the first request). */
  get open(): boolean {
    return this.#conn !== undefined;
  }

  close(): void {
    this.#generation++;
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
    this.#conn = undefined;
    this.#start = this.#end = 0;
  }

  /**
   * Sends one request and reads its response; rejects on timeout (a `TimeoutError`), when
   * `signal` aborts (its reason), or on a broken connection.
   */
  async request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Http1Response> {
    signal?.throwIfAborted();
    const bytes = this.#encode(method, path, headers, body);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.close();
        reject(new DOMException("Request timed out", "TimeoutError"));
      }, timeoutMs);
      if (signal) {
        onAbort = () => {
          this.close();
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([this.#exchange(method, bytes), stop]);
    } catch (error) {
      this.close();
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal!.removeEventListener("abort", onAbort);
    }
  }

  /** The request's bytes; a TypeError, before anything is sent, for a malformed line or header. */
  #encode(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Uint8Array {
    const payload = body === undefined ? undefined : encoder.encode(body);
    if (!HEADER_NAME.test(method) || LINE_BREAK.test(path) || path[0] !== "/") {
      throw new TypeError("Invalid request line");
    }
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n`;
    for (const k in headers) {
      const v = headers[k];
      if (!HEADER_NAME.test(k) || LINE_BREAK.test(v)) {
        throw new TypeError(`Invalid header: ${JSON.stringify(k)}`);
      }
      head += `${k}: ${v}\r\n`;
    }
    if (payload) head += `content-length: ${payload.byteLength}\r\n`;
    head += "\r\n";
    return payload ? concat(encoder.encode(head), payload) : encoder.encode(head);
  }

  async #exchange(method: string, bytes: Uint8Array): Promise<Http1Response> {
    const fresh = !this.#conn;
    if (fresh) {
      const generation = this.#generation;
      const conn = await Deno.connect({ hostname: this.hostname, port: this.port });
      // Closed (timed out) while connecting: the request must not be sent after all.
      if (generation !== this.#generation || this.#conn) {
        conn.close();
        throw new ConnectionClosed();
      }
      conn.setNoDelay(true);
      this.#conn = conn;
    }
    try {
      await writeAll(this.#conn!, bytes);
      return await this.#readResponse(method);
    } catch (error) {
      // A kept-alive connection the server closed meanwhile: retry once on a new one.
      if (!fresh && error instanceof ConnectionClosed) {
        this.close();
        return await this.#exchange(method, bytes);
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
    const conn = this.#conn;
    if (!conn) throw new ConnectionClosed();
    const n = await conn.read(this.#buf.subarray(this.#end));
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
        if (!Number.isSafeInteger(length) || length < 0) throw new TypeError("Bad content-length");
        if (length > this.#maxBodyBytes) throw new ResponseTooLarge(this.#maxBodyBytes);
        while (this.#end - this.#start < length) await this.#fill();
        body = decoder.decode(this.#buf.subarray(this.#start, this.#start + length));
        this.#start += length;
      } else {
        // Body until close: read everything, then drop the connection.
        try {
          while (true) {
            await this.#fill();
            if (this.#end - this.#start > this.#maxBodyBytes) break;
          }
        } catch { /* closed */ }
        if (this.#end - this.#start > this.#maxBodyBytes) {
          throw new ResponseTooLarge(this.#maxBodyBytes);
        }
        body = decoder.decode(this.#buf.subarray(this.#start, this.#end));
        this.close();
      }
    }
    if (headers.get("connection")?.toLowerCase() === "close") this.close();
    return { status, headers, body };
  }

  async #readChunked(): Promise<string> {
    const parts: Uint8Array[] = [];
    let total = 0;
    while (true) {
      let lineEnd: number;
      while ((lineEnd = indexOfSeq(this.#buf, this.#start, this.#end, [13, 10])) < 0) {
        await this.#fill();
      }
      const size = parseInt(decoder.decode(this.#buf.subarray(this.#start, lineEnd)), 16);
      if (!Number.isSafeInteger(size) || size < 0) throw new TypeError("Bad chunk size");
      total += size;
      if (total > this.#maxBodyBytes) throw new ResponseTooLarge(this.#maxBodyBytes);
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

/** The server closed the connection before the whole response arrived. */
export class ConnectionClosed extends Error {
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

/** Options of {@linkcode Http1Pool}. */
export interface Http1PoolOptions {
  /** Connections open at most; further requests wait for one (within their timeout). */
  maxConnections?: number;
  maxBodyBytes?: number;
}

/**
 * Keep-alive connections to one `hostname:port`, reused across requests: a request takes an
 * idle connection, opens a new one below `maxConnections`, or waits for one to come back.
 */
export class Http1Pool {
  readonly hostname: string;
  readonly port: number;
  readonly #max: number;
  readonly #maxBodyBytes: number | undefined;
  #idle: Http1Connection[] = [];
  #open = 0;
  #waiters: ((conn: Http1Connection) => void)[] = [];
  #closed = false;

  constructor(hostname: string, port: number, options: Http1PoolOptions = {}) {
    this.hostname = hostname;
    this.port = port;
    this.#max = options.maxConnections ?? 128;
    this.#maxBodyBytes = options.maxBodyBytes;
  }

  /** Connections counted against `maxConnections` (busy or idle). */
  get size(): number {
    return this.#open;
  }

  /**
   * Sends one request on a pooled connection; rejects with a TimeoutError after `timeoutMs`,
   * or with the signal's reason when `signal` aborts.
   */
  async request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Http1Response> {
    signal?.throwIfAborted();
    const started = performance.now();
    const conn = await this.#acquire(timeoutMs);
    let reusable = false;
    try {
      const left = Math.max(1, timeoutMs - (performance.now() - started));
      const response = await conn.request(method, path, headers, body, left, signal);
      reusable = conn.open;
      return response;
    } finally {
      this.#release(conn, reusable);
    }
  }

  /** Closes idle connections now and busy ones when their request ends. */
  close(): void {
    this.#closed = true;
    for (const conn of this.#idle) conn.close();
    this.#open -= this.#idle.length;
    this.#idle = [];
  }

  #acquire(timeoutMs: number): Promise<Http1Connection> {
    if (this.#closed) return Promise.reject(new Error("Pool closed"));
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#open < this.#max) {
      this.#open++;
      return Promise.resolve(
        new Http1Connection(this.hostname, this.port, { maxBodyBytes: this.#maxBodyBytes }),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter = (conn: Http1Connection) => {
        clearTimeout(timer);
        resolve(conn);
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(new DOMException("No connection free in time", "TimeoutError"));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  #release(conn: Http1Connection, reusable: boolean): void {
    if (!reusable) conn.close();
    const waiter = this.#waiters.shift();
    if (waiter && !this.#closed) {
      // A broken connection is replaced: a timed-out exchange may still hold the old one.
      return waiter(
        reusable
          ? conn
          : new Http1Connection(this.hostname, this.port, { maxBodyBytes: this.#maxBodyBytes }),
      );
    }
    if (reusable && !this.#closed) {
      this.#idle.push(conn);
      return;
    }
    conn.close();
    this.#open--;
  }
}
