/**
 * Starts the whole system as separate local processes: the local Agent stand-in (unless a
 * real Agent is given), the Jira stand-in and the six services, wired to each other on
 * localhost. Used by `deno task dev`, the stack tests, the browser tests and the benchmark.
 */
import dgram from "node:dgram";
import { join } from "node:path";
import { REPO_ROOT } from "./tools.ts";
import {
  ENTRY_POINTS,
  LOCAL_PORTS,
  PEERS,
  type Ports,
  type ProcessName,
  type ServiceName,
  SERVICES,
  STAND_IN_JIRA_ACCOUNT,
} from "./topology.ts";

/** A real Datadog Agent to send to instead of starting the stand-in. */
export interface AgentAddress {
  host: string;
  tracePort: number;
  statsdPort: number;
}

/** Options of {@linkcode startStack}. */
export interface StackOptions {
  /** Fixed ports, or "auto" for free ones (tests). Default: the documented local ports. */
  ports?: Ports | "auto";
  /** Environment for every service (e.g. `RANDOM_SEED`, latency knobs, `DD_TRACE_ENABLED`). */
  env?: Record<string, string>;
  /** Environment for one process. */
  processEnv?: Partial<Record<ProcessName, Record<string, string>>>;
  /** Send to this Agent and start no stand-in. */
  agent?: AgentAddress;
  /** Called with every output line of every process. */
  onLine?: (name: ProcessName, line: string, stream: "stdout" | "stderr") => void;
  /** Progress messages (starting, waiting, ready). */
  onProgress?: (message: string) => void;
  /** Forward services' stdout log lines to the local Agent stand-in. Default true. */
  forwardLogs?: boolean;
  readyTimeoutMs?: number;
}

/** A running stack. */
export interface Stack {
  ports: Ports;
  /** The UI and API gateway. */
  webUrl: string;
  /** The local Agent stand-in's HTTP URL (undefined with a real Agent). */
  agentUrl?: string;
  jiraUrl: string;
  /** Process ids by name. */
  pids: Partial<Record<ProcessName, number>>;
  /** Milliseconds from the first spawn until every process answered `/readyz`. */
  readyAfterMs: number;
  /** Log lines that could not be forwarded to the local Agent (it was down or slow). */
  droppedLogLines(): number;
  /** Stops every process it started (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/**
 * The RUM application id and client token web-frontend gets when its RUM proxy is set and
 * the caller gave neither: the SDKs then report to the local Agent stand-in.
 */
export const LOCAL_RUM_PLACEHOLDERS = {
  DD_RUM_APPLICATION_ID: "00000000-0000-4000-8000-000000000000",
  DD_RUM_CLIENT_TOKEN: "publocalstandin00000000000000000",
} as const;

/** The processes every payment passes through, and so the ones busy under load. */
export const HOT_PATH: readonly ProcessName[] = ["web-frontend", "payment-service"];

/**
 * V8 settings of one process of the dev stack; `DENO_V8_FLAGS` replaces them for all.
 *
 * - Young generation: V8 grows it to 3 × 16 MiB per process under load. A 2 MiB semi-space
 *   keeps the quiet processes small. The two on the hot path get 8 MiB: with 2 they spent a
 *   fifth of their time in scavenges that copied the same in-flight requests again and again.
 *   `--trace-gc` over 20 s of saturation: 4.5 s of scavenges in web-frontend and 2.6 s in
 *   payment-service with 2 MiB, 1.8 s and 1.1 s with 8 MiB.
 * - Old generation: `--heap-growing-percent=50` lets the heap grow by half its live size
 *   between full collections instead of up to four times it, and `--initial-old-space-size`
 *   starts that rule early. These processes keep little alive (a bounded payment store,
 *   sessions), so the collections stay short. After 20 s of saturation the stack's summed PSS
 *   was about 480 MiB with these settings and about 580 MiB without.
 */
export function v8FlagsFor(name: ProcessName): string {
  const override = Deno.env.get("DENO_V8_FLAGS");
  if (override) return override;
  const semiSpaceMiB = HOT_PATH.includes(name) ? 8 : 2;
  return `--max-semi-space-size=${semiSpaceMiB},--initial-old-space-size=16,--heap-growing-percent=50`;
}

/** Development defaults of every service; a variable set by the caller wins. */
export function serviceEnvironment(
  name: ProcessName,
  ports: Ports,
  agent: AgentAddress,
  extra: Record<string, string>,
  sessionSecret: string,
): Record<string, string> {
  const url = (service: ProcessName) => `http://127.0.0.1:${ports[service]}`;
  const env: Record<string, string> = {
    DD_ENV: "dev",
    DD_VERSION: readVersion(),
    DD_AGENT_HOST: agent.host,
    DD_TRACE_AGENT_PORT: String(agent.tracePort),
    DD_DOGSTATSD_PORT: String(agent.statsdPort),
    DD_RUNTIME_METRICS_NATIVE: "false",
    DD_REMOTE_CONFIGURATION_ENABLED: "false",
    HOST: "127.0.0.1",
    PORT: String(ports[name]),
    NO_COLOR: "1",
  };
  if ((SERVICES as readonly string[]).includes(name)) {
    env.DD_SERVICE = name;
    for (const [variable, peer] of Object.entries(PEERS[name as ServiceName])) {
      env[variable] = url(peer);
    }
  }
  if (name === "web-frontend") {
    env.SESSION_SECRET = sessionSecret;
    // Through the RUM proxy the browser SDKs reach only the local Agent stand-in, which never
    // checks the ids: placeholders turn RUM and browser logs on without a Datadog account.
    if (extra.RUM_PROXY_URL && !extra.DD_RUM_APPLICATION_ID && !extra.DD_RUM_CLIENT_TOKEN) {
      Object.assign(env, LOCAL_RUM_PLACEHOLDERS);
    }
  }
  if (name === "jira-poller") {
    env.JIRA_BASE_URL = url("jira-stand-in");
    env.JIRA_EMAIL = STAND_IN_JIRA_ACCOUNT.JIRA_EMAIL;
    env.JIRA_API_TOKEN = STAND_IN_JIRA_ACCOUNT.JIRA_API_TOKEN;
    env.JIRA_POLL_INTERVAL_SECONDS = "60";
  }
  if (name === "jira-stand-in") {
    env.JIRA_EMAIL = STAND_IN_JIRA_ACCOUNT.JIRA_EMAIL;
    env.JIRA_API_TOKEN = STAND_IN_JIRA_ACCOUNT.JIRA_API_TOKEN;
  }
  if (name === "llm-service") {
    env.DD_LLMOBS_ENABLED = "true";
    env.DD_LLMOBS_ML_APP = "payments-assistant";
  }
  if (name === "local-agent") {
    env.LOCAL_AGENT_HTTP_PORT = String(ports["local-agent"]);
    env.LOCAL_AGENT_STATSD_PORT = String(ports.statsd);
  }
  return { ...env, ...extra };
}

let version: string | undefined;
function readVersion(): string {
  version ??= (() => {
    try {
      return Deno.readTextFileSync(join(REPO_ROOT, "VERSION")).trim();
    } catch {
      return "0.1.0";
    }
  })();
  return version;
}

/** Picks free ports for every process (TCP) and for DogStatsD (UDP). */
export async function freePorts(): Promise<Ports> {
  const tcp = () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    return port;
  };
  const udp = await new Promise<number>((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      const port = socket.address().port;
      socket.close(() => resolve(port));
    });
  });
  return {
    "web-frontend": tcp(),
    "auth-service": tcp(),
    "payment-service": tcp(),
    "fraud-service": tcp(),
    "jira-poller": tcp(),
    "llm-service": tcp(),
    "jira-stand-in": tcp(),
    "local-agent": tcp(),
    statsd: udp,
  };
}

const LF = 0x0a;
const CR = 0x0d;
const OPEN_BRACE = 0x7b;

/**
 * Splits a byte stream into lines without decoding it: chunks go to `push` as they come and
 * `end` gives a last line that has no newline. Lines reach `onLine` without their LF or CRLF;
 * empty lines are skipped. The array given to `onLine` is valid only during the call (it is a
 * view of the chunk or of the splitter's own buffer). A line longer than `maxLineBytes` is
 * given in pieces of that size, so one runaway line cannot take the memory.
 */
export class LineSplitter {
  readonly #onLine: (line: Uint8Array) => void;
  readonly #maxLineBytes: number;
  #carry = new Uint8Array(256);
  #carried = 0;

  constructor(onLine: (line: Uint8Array) => void, maxLineBytes = 1024 * 1024) {
    this.#onLine = onLine;
    this.#maxLineBytes = maxLineBytes;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(LF, start)) >= 0) {
      if (this.#carried > 0) {
        this.#keep(chunk, start, nl);
        this.#emit(this.#carry, 0, this.#carried);
        this.#carried = 0;
      } else {
        this.#emit(chunk, start, nl);
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.#keep(chunk, start, chunk.length);
  }

  end(): void {
    if (this.#carried > 0) this.#emit(this.#carry, 0, this.#carried);
    this.#carried = 0;
  }

  /** Adds chunk[start, end) to the partial line, giving it away in pieces past the limit. */
  #keep(chunk: Uint8Array, start: number, end: number): void {
    while (start < end) {
      const room = this.#maxLineBytes - this.#carried;
      const take = Math.min(room, end - start);
      const needed = this.#carried + take;
      if (needed > this.#carry.length) {
        const grown = new Uint8Array(
          Math.min(this.#maxLineBytes, Math.max(needed, 2 * this.#carry.length)),
        );
        grown.set(this.#carry.subarray(0, this.#carried));
        this.#carry = grown;
      }
      this.#carry.set(chunk.subarray(start, start + take), this.#carried);
      this.#carried += take;
      start += take;
      if (this.#carried === this.#maxLineBytes) {
        this.#emit(this.#carry, 0, this.#carried);
        this.#carried = 0;
      }
    }
  }

  #emit(bytes: Uint8Array, start: number, end: number): void {
    if (end > start && bytes[end - 1] === CR) end--;
    if (end > start) this.#onLine(bytes.subarray(start, end));
  }
}

/**
 * The last `capacity` bytes of a process's output, kept raw and decoded only for an error
 * message when the process fails to start.
 */
export class ByteTail {
  readonly #bytes: Uint8Array;
  #end = 0;
  #length = 0;

  constructor(capacity = 8 * 1024) {
    this.#bytes = new Uint8Array(capacity);
  }

  push(chunk: Uint8Array): void {
    const bytes = this.#bytes;
    const capacity = bytes.length;
    if (chunk.length >= capacity) {
      bytes.set(chunk.subarray(chunk.length - capacity));
      this.#end = 0;
      this.#length = capacity;
      return;
    }
    const first = Math.min(chunk.length, capacity - this.#end);
    bytes.set(chunk.subarray(0, first), this.#end);
    if (first < chunk.length) bytes.set(chunk.subarray(first), 0);
    this.#end = (this.#end + chunk.length) % capacity;
    this.#length = Math.min(capacity, this.#length + chunk.length);
  }

  /** The last `maxLines` complete lines held, decoded (a line cut by the bound is left out). */
  lines(maxLines = 20): string[] {
    const bytes = this.#bytes;
    let held = bytes.subarray(0, this.#length);
    if (this.#length === bytes.length && this.#end > 0) {
      held = new Uint8Array(bytes.length);
      held.set(bytes.subarray(this.#end));
      held.set(bytes.subarray(0, this.#end), bytes.length - this.#end);
    }
    let text = new TextDecoder().decode(held);
    if (this.#length === bytes.length) text = text.slice(text.indexOf("\n") + 1);
    return text.split("\n").map((line) => line.replace(/\r$/, "")).filter(Boolean)
      .slice(-maxLines);
  }
}

/** Options of {@linkcode LogForwarder}. */
export interface LogForwarderOptions {
  /** Bytes of lines waiting to be sent; past it the oldest go. Default 4 MiB. */
  maxQueuedBytes?: number;
  /** How often queued lines are sent. Default 250 ms. */
  intervalMs?: number;
  /** The most bytes of one service's lines in one request. Default 256 KiB. */
  batchBytes?: number;
}

/** Lines of one service ready to send. */
interface Batch {
  service: string;
  body: Uint8Array<ArrayBuffer>;
  lines: number;
}

/** A service's lines still being gathered, in a buffer kept from batch to batch. */
interface Gathering {
  service: string;
  buffer: Uint8Array<ArrayBuffer>;
  length: number;
  lines: number;
  /** Order of its first line among all gathered, to drop the oldest first. */
  since: number;
}

/**
 * Forwards log lines to the local Agent's HTTP logs intake, the way the real Agent ships
 * container logs: raw bytes, one `text/plain` request per service and batch, the envelope in
 * the query string. Its queue is bounded in bytes: when the Agent is down or slow, the oldest
 * lines are dropped and counted, so the caller's memory never grows.
 */
export class LogForwarder {
  /** Full batches, oldest first. */
  #ready: Batch[] = [];
  #gathering = new Map<string, Gathering>();
  #order = 0;
  #queuedBytes = 0;
  #dropped = 0;
  #inFlight = false;
  #timer: ReturnType<typeof setInterval>;
  #urls = new Map<string, string>();
  readonly #agentUrl: string;
  readonly #maxBytes: number;
  readonly #batchBytes: number;

  constructor(agentUrl: string, options: LogForwarderOptions = {}) {
    this.#agentUrl = agentUrl;
    this.#maxBytes = options.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.#batchBytes = options.batchBytes ?? 256 * 1024;
    this.#timer = setInterval(() => this.flush(), options.intervalMs ?? 250);
  }

  /** Lines that could not be delivered: dropped from the queue or refused. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes of lines waiting to be sent. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Queues one line (without its newline) of `service`; the bytes are copied. */
  push(service: string, line: Uint8Array | string): void {
    const bytes = typeof line === "string" ? encoder.encode(line) : line;
    const size = bytes.length + 1;
    let gathering = this.#gathering.get(service);
    if (gathering === undefined) {
      const capacity = Math.min(this.#batchBytes, Math.max(16 * 1024, size));
      gathering = { service, buffer: new Uint8Array(capacity), length: 0, lines: 0, since: 0 };
      this.#gathering.set(service, gathering);
    }
    if (gathering.length + size > gathering.buffer.length) {
      if (gathering.length + size > this.#batchBytes) this.#seal(gathering);
      const needed = gathering.length + size;
      if (needed > gathering.buffer.length) {
        const grown = new Uint8Array(
          Math.max(needed, Math.min(this.#batchBytes, 2 * gathering.buffer.length)),
        );
        grown.set(gathering.buffer.subarray(0, gathering.length));
        gathering.buffer = grown;
      }
    }
    if (gathering.lines === 0) gathering.since = ++this.#order;
    gathering.buffer.set(bytes, gathering.length);
    gathering.length += size;
    gathering.buffer[gathering.length - 1] = LF;
    gathering.lines++;
    this.#queuedBytes += size;
    if (this.#queuedBytes > this.#maxBytes) this.#dropOldest();
  }

  /** Moves a service's gathered lines to a batch of their own, keeping the buffer. */
  #seal(gathering: Gathering): void {
    if (gathering.lines === 0) return;
    this.#ready.push({
      service: gathering.service,
      body: gathering.buffer.slice(0, gathering.length),
      lines: gathering.lines,
    });
    gathering.length = 0;
    gathering.lines = 0;
  }

  #dropOldest(): void {
    while (this.#queuedBytes > this.#maxBytes) {
      const batch = this.#ready.shift();
      if (batch !== undefined) {
        this.#queuedBytes -= batch.body.length;
        this.#dropped += batch.lines;
        continue;
      }
      let oldest: Gathering | undefined;
      for (const gathering of this.#gathering.values()) {
        if (gathering.lines > 0 && (!oldest || gathering.since < oldest.since)) {
          oldest = gathering;
        }
      }
      if (!oldest) return;
      this.#queuedBytes -= oldest.length;
      this.#dropped += oldest.lines;
      oldest.length = 0;
      oldest.lines = 0;
    }
  }

  /** Sends what is queued, one request per batch; lines of a failed request are dropped. */
  async flush(): Promise<void> {
    if (this.#inFlight || this.#queuedBytes === 0) return;
    this.#inFlight = true;
    for (const gathering of this.#gathering.values()) this.#seal(gathering);
    const batches = this.#ready;
    this.#ready = [];
    this.#queuedBytes = 0;
    let failed = false;
    try {
      for (const batch of batches) {
        if (failed) {
          this.#dropped += batch.lines;
          continue;
        }
        try {
          const res = await fetch(this.#url(batch.service), {
            method: "POST",
            headers: { "content-type": "text/plain; charset=utf-8" },
            body: batch.body,
            signal: AbortSignal.timeout(2000),
          });
          await res.body?.cancel();
          if (!res.ok) throw new Error(`status ${res.status}`);
        } catch {
          // The Agent is down or refuses: drop this flush's lines rather than wait.
          failed = true;
          this.#dropped += batch.lines;
        }
      }
    } finally {
      this.#inFlight = false;
    }
  }

  #url(service: string): string {
    let url = this.#urls.get(service);
    if (url === undefined) {
      url = `${this.#agentUrl}/api/v2/logs?service=${
        encodeURIComponent(service)
      }&ddsource=deno&hostname=localhost`;
      this.#urls.set(service, url);
    }
    return url;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (let i = 0; i < 50 && (this.#queuedBytes > 0 || this.#inFlight); i++) {
      if (this.#inFlight) await new Promise((r) => setTimeout(r, 20));
      else await this.flush();
    }
  }
}

const encoder = new TextEncoder();
const lineDecoder = new TextDecoder();

/** Options of {@linkcode pumpOutput}. */
export interface PumpOptions {
  /**
   * After a read smaller than `pauseBelowBytes`, wait this long before the next one, so that
   * output written line by line is read in a few large chunks instead of one read per line.
   * 0 reads at once. Default 10 ms (a process writing under 1.6 MB/s never fills the pipe).
   */
  pauseMs?: number;
  pauseBelowBytes?: number;
}

/**
 * Reads a process's output stream as bytes into one reused buffer: every chunk goes to
 * `tail` (while it returns one), and, when `onLine` is given, every line, split without
 * decoding.
 */
export async function pumpOutput(
  stream: ReadableStream<Uint8Array>,
  onLine: ((line: Uint8Array) => void) | undefined,
  tail: () => ByteTail | undefined,
  options: PumpOptions = {},
): Promise<void> {
  const pauseMs = options.pauseMs ?? 10;
  const pauseBelow = options.pauseBelowBytes ?? 16 * 1024;
  const splitter = onLine ? new LineSplitter(onLine) : undefined;
  const take = (chunk: Uint8Array) => {
    tail()?.push(chunk);
    splitter?.push(chunk);
  };
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream: read it chunk by chunk.
  }
  if (byob) {
    let buffer = new Uint8Array(64 * 1024);
    while (true) {
      const { done, value } = await byob.read(buffer);
      if (done || !value) break;
      take(value);
      buffer = new Uint8Array(value.buffer);
      if (pauseMs > 0 && value.byteLength < pauseBelow) {
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
  } else {
    for await (const chunk of stream) take(chunk);
  }
  splitter?.end();
}

async function waitReady(url: string, deadline: number, exited: () => boolean): Promise<boolean> {
  while (Date.now() < deadline && !exited()) {
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(500) });
      await res.body?.cancel();
      if (res.ok) return true;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Starts every process, waits until each answers `/readyz`, and returns the stack. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const ports = options.ports === "auto" ? await freePorts() : options.ports ?? LOCAL_PORTS;
  const progress = options.onProgress ?? (() => {});
  const useStandIn = !options.agent;
  const agent: AgentAddress = options.agent ??
    { host: "127.0.0.1", tracePort: ports["local-agent"], statsdPort: ports.statsd };
  const agentUrl = useStandIn ? `http://127.0.0.1:${ports["local-agent"]}` : undefined;
  const forwarder = agentUrl && options.forwardLogs !== false
    ? new LogForwarder(agentUrl)
    : undefined;
  const sessionSecret = Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");

  const names: ProcessName[] = [
    ...(useStandIn ? ["local-agent" as const] : []),
    "jira-stand-in",
    ...SERVICES,
  ];
  const children = new Map<ProcessName, Deno.ChildProcess>();
  const exitedNames = new Set<ProcessName>();
  // Each process's stdout and stderr, read until it closes them.
  const pumps = new Map<ProcessName, Promise<unknown>>();
  // The last output of each process, raw, for the error message when one fails to start.
  let tails: Map<ProcessName, ByteTail> | undefined = new Map();
  const started = performance.now();

  // Stops `group` with SIGTERM, then SIGKILL after a grace period, and waits for it.
  const stopGroup = async (group: [ProcessName, Deno.ChildProcess][]) => {
    const signal = (sig: Deno.Signal) => {
      for (const [name, child] of group) {
        if (!exitedNames.has(name)) {
          try {
            child.kill(sig);
          } catch { /* already gone */ }
        }
      }
    };
    signal("SIGTERM");
    const killAfter = setTimeout(() => signal("SIGKILL"), 10_000);
    await Promise.all(group.map(([, child]) => child.status));
    clearTimeout(killAfter);
  };
  // The services first, so what they send on the way out (last spans, metrics, log lines)
  // still reaches the local Agent; their output drained and forwarded; the Agent last.
  const stop = async () => {
    const all = [...children];
    const services = all.filter(([name]) => name !== "local-agent");
    await stopGroup(services);
    await Promise.all(services.map(([name]) => pumps.get(name)));
    await forwarder?.close();
    await stopGroup(all.filter(([name]) => name === "local-agent"));
    await Promise.all(pumps.values());
  };

  for (const name of names) {
    const env = serviceEnvironment(name, ports, agent, {
      ...(name === "web-frontend" && agentUrl
        ? { RUM_PROXY_URL: `${agentUrl}/browser-intake` }
        : {}),
      ...options.env,
      ...options.processEnv?.[name],
    }, sessionSecret);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        "--allow-net",
        `--v8-flags=${v8FlagsFor(name)}`,
        join(REPO_ROOT, ENTRY_POINTS[name]),
      ],
      cwd: REPO_ROOT,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    children.set(name, child);
    child.status.then(() => exitedNames.add(name));
    tails.set(name, new ByteTail());
    const tail = () => tails?.get(name);
    const onLine = options.onLine;
    const forward = name !== "local-agent" ? forwarder : undefined;
    // Lines are decoded only for onLine; JSON lines go to the forwarder as bytes.
    const stdoutLine = onLine || forward
      ? (line: Uint8Array) => {
        onLine?.(name, lineDecoder.decode(line), "stdout");
        if (forward && line[0] === OPEN_BRACE) forward.push(name, line);
      }
      : undefined;
    const stderrLine = onLine
      ? (line: Uint8Array) => onLine(name, lineDecoder.decode(line), "stderr")
      : undefined;
    pumps.set(
      name,
      Promise.all([
        pumpOutput(child.stdout, stdoutLine, tail),
        pumpOutput(child.stderr, stderrLine, tail),
      ]),
    );
  }

  progress(`Started ${names.length} processes; waiting until each answers /readyz`);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const results = await Promise.all(names.map(async (name) => {
    const port = name === "local-agent" ? ports["local-agent"] : ports[name];
    const ok = await waitReady(`http://127.0.0.1:${port}`, deadline, () => exitedNames.has(name));
    if (ok) progress(`  ready: ${name} (${Math.round(performance.now() - started)} ms)`);
    return { name, ok };
  }));
  const failed = results.filter((r) => !r.ok);
  if (failed.length) {
    await stop();
    const detail = failed.map((f) =>
      `${f.name} ${exitedNames.has(f.name) ? "exited" : "did not become ready"}; last output:\n` +
      (tails?.get(f.name)?.lines() ?? []).map((l) => `    ${l}`).join("\n")
    ).join("\n");
    throw new Error(`Cannot start the stack: ${detail}`);
  }
  const readyAfterMs = Math.round(performance.now() - started);
  tails = undefined; // only needed to explain a failed start
  return {
    ports,
    webUrl: `http://127.0.0.1:${ports["web-frontend"]}`,
    agentUrl,
    jiraUrl: `http://127.0.0.1:${ports["jira-stand-in"]}`,
    pids: Object.fromEntries([...children].map(([n, c]) => [n, c.pid])),
    readyAfterMs,
    droppedLogLines: () => forwarder?.dropped ?? 0,
    stop,
  };
}
