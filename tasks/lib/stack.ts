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

/**
 * V8 settings of every process: a small young generation (V8 grows it to 3 × 16 MiB under
 * load by default, per process) keeps eight processes within the memory budget for a
 * modest cost in scavenges. `DENO_V8_FLAGS` overrides it.
 */
export const V8_FLAGS = Deno.env.get("DENO_V8_FLAGS") ?? "--max-semi-space-size=2";

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
    env.JIRA_EMAIL = "demo@example.com";
    env.JIRA_API_TOKEN = "stand-in-token";
    env.JIRA_POLL_INTERVAL_SECONDS = "60";
  }
  if (name === "jira-stand-in") {
    env.JIRA_EMAIL = "demo@example.com";
    env.JIRA_API_TOKEN = "stand-in-token";
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

/**
 * Forwards log lines to the local Agent's HTTP logs intake in batches, the way the real
 * Agent ships container logs. Its queue is bounded: when the Agent is down, the oldest lines
 * are dropped and counted, so the caller's memory never grows.
 */
export class LogForwarder {
  #queue: { service: string; message: string }[] = [];
  #dropped = 0;
  #inFlight = false;
  #timer: ReturnType<typeof setInterval>;
  readonly #url: string;
  readonly #max: number;

  constructor(agentUrl: string, options: { maxQueued?: number; intervalMs?: number } = {}) {
    this.#url = `${agentUrl}/api/v2/logs`;
    this.#max = options.maxQueued ?? 20_000;
    this.#timer = setInterval(() => this.flush(), options.intervalMs ?? 250);
  }

  get dropped(): number {
    return this.#dropped;
  }

  push(service: string, message: string): void {
    if (this.#queue.length >= this.#max) {
      this.#queue.shift();
      this.#dropped++;
    }
    this.#queue.push({ service, message });
  }

  async flush(): Promise<void> {
    if (this.#inFlight || this.#queue.length === 0) return;
    this.#inFlight = true;
    const batch = this.#queue.splice(0, 1000);
    try {
      const res = await fetch(this.#url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          batch.map((l) => ({
            service: l.service,
            ddsource: "deno",
            hostname: "localhost",
            message: l.message,
          })),
        ),
        signal: AbortSignal.timeout(2000),
      });
      await res.body?.cancel();
      if (!res.ok) this.#dropped += batch.length;
    } catch {
      this.#dropped += batch.length;
    } finally {
      this.#inFlight = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (let i = 0; i < 50 && this.#queue.length > 0; i++) {
      if (this.#inFlight) await new Promise((r) => setTimeout(r, 20));
      else await this.flush();
    }
  }
}

async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line) onLine(line);
    }
  }
  if (rest) onLine(rest);
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
  const pumps: Promise<void>[] = [];
  const recent = new Map<ProcessName, string[]>();
  const started = performance.now();

  const stop = async () => {
    await forwarder?.close();
    for (const [name, child] of children) {
      if (!exitedNames.has(name)) {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
      }
    }
    const killAfter = setTimeout(() => {
      for (const [name, child] of children) {
        if (!exitedNames.has(name)) {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
        }
      }
    }, 10_000);
    await Promise.all([...children.values()].map((c) => c.status));
    clearTimeout(killAfter);
    await Promise.all(pumps);
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
        `--v8-flags=${V8_FLAGS}`,
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
    const keep = (line: string) => {
      const lines = recent.get(name) ?? [];
      lines.push(line);
      if (lines.length > 20) lines.shift();
      recent.set(name, lines);
    };
    const forward = forwarder && name !== "local-agent";
    pumps.push(pumpLines(child.stdout, (line) => {
      keep(line);
      options.onLine?.(name, line, "stdout");
      if (forward && line.startsWith("{")) forwarder.push(name, line);
    }));
    pumps.push(pumpLines(child.stderr, (line) => {
      keep(line);
      options.onLine?.(name, line, "stderr");
    }));
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
      (recent.get(f.name) ?? []).map((l) => `    ${l}`).join("\n")
    ).join("\n");
    throw new Error(`Cannot start the stack: ${detail}`);
  }
  const readyAfterMs = Math.round(performance.now() - started);
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
