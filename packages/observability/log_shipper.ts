/**
 * Sends a service's log lines to the local Agent stand-in's logs intake over HTTP. A real
 * Datadog Agent reads them from the container's output; the stand-in cannot (in `deno task
 * dev` the dev task's log pipe does it), so in the Compose and kind local modes each service
 * sends its own, with `LOCAL_AGENT_LOGS=true`. Never set it with a real Agent.
 *
 * Lines go as they were written to stdout, in one `text/plain` request at most every
 * `intervalMs` while there are any, one request at a time, with the same envelope (service, source, host) the log pipe sends.
 * The queue is bounded in bytes: when the stand-in is down or slow, the oldest lines go and
 * are counted, so neither memory nor the request path ever waits on it.
 *
 * @module
 */
import { copyLogsTo } from "./logger.ts";
import { untracedFetch } from "./tracer.ts";

/** Options of {@linkcode LogShipper}. */
export interface LogShipperOptions {
  /** The intake, e.g. `http://dd-agent:8126/api/v2/logs`. */
  intakeUrl: string;
  service: string;
  hostname: string;
  /** How often queued lines are sent. Default 250 ms. */
  intervalMs?: number;
  /** Bytes (UTF-16 units) of lines kept waiting at most. Default 1 MiB. */
  maxQueued?: number;
  /** How long one send may take. Default 2 s. */
  timeoutMs?: number;
  /** The `fetch` to send with (tests pass a fake). */
  fetch?: typeof fetch;
  /** Told how many lines were just dropped (a full queue, a refused or failed send). */
  onDropped?: (lines: number) => void;
}

function countLines(text: string): number {
  let lines = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  return lines;
}

/** Batches whole log lines and posts them to the stand-in's intake. */
export class LogShipper {
  #queue: string[] = [];
  #queued = 0;
  #dropped = 0;
  #sending: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  readonly #url: string;
  readonly #intervalMs: number;
  readonly #maxQueued: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #onDropped?: (lines: number) => void;

  constructor(options: LogShipperOptions) {
    const url = new URL(options.intakeUrl);
    url.searchParams.set("service", options.service);
    url.searchParams.set("ddsource", "deno");
    url.searchParams.set("hostname", options.hostname);
    this.#url = url.href;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#maxQueued = options.maxQueued ?? 1024 * 1024;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#fetch = options.fetch ?? untracedFetch;
    this.#onDropped = options.onDropped;
  }

  /** Lines dropped so far: pushed out of a full queue, or refused or lost in a send. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Queues whole lines, each ending with a newline, as they were written to stdout. The
   * first line into an empty queue sets a timer for the next send: an idle service is not
   * woken up to send nothing.
   */
  push(text: string): void {
    if (text === "" || this.#stopped) return;
    this.#queue.push(text);
    this.#queued += text.length;
    let dropped = 0;
    while (this.#queued > this.#maxQueued && this.#queue.length > 0) {
      const oldest = this.#queue.shift()!;
      this.#queued -= oldest.length;
      dropped += countLines(oldest);
    }
    if (dropped > 0) this.#drop(dropped);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#intervalMs);
      // Shipping logs is no reason to stay alive (Deno's timer ids are numbers).
      Deno.unrefTimer(this.#timer as unknown as number);
    }
  }

  /** Sends what is queued, after any send still running; never rejects. */
  flush(): Promise<void> {
    this.#sending = (this.#sending ?? Promise.resolve()).then(() => this.#send());
    return this.#sending;
  }

  /** Sends what is left (bounded by the send timeout) and takes no more lines. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #drop(lines: number): void {
    this.#dropped += lines;
    this.#onDropped?.(lines);
  }

  async #send(): Promise<void> {
    if (this.#queue.length === 0) return;
    const body = this.#queue.join("");
    this.#queue = [];
    this.#queued = 0;
    try {
      const response = await this.#fetch(this.#url, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.body?.cancel();
      if (!response.ok) this.#drop(countLines(body));
    } catch {
      // The stand-in is down or slow: these lines are gone, and counted.
      this.#drop(countLines(body));
    }
  }
}

let active: LogShipper | undefined;

/** Starts copying every log line written to stdout to the stand-in's intake. */
export function startLogShipping(options: LogShipperOptions): LogShipper {
  const shipper = new LogShipper(options);
  void active?.stop();
  active = shipper;
  copyLogsTo((text) => shipper.push(text));
  return shipper;
}

/** Stops copying and sends what is left; does nothing when shipping is off. */
export async function stopLogShipping(): Promise<void> {
  const shipper = active;
  active = undefined;
  copyLogsTo(undefined);
  await shipper?.stop();
}
