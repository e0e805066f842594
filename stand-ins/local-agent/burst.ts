/**
 * Measures the local Agent stand-in under a synthetic burst shaped like the system at full
 * load: per simulated request a trace of several spans across services, a handful of
 * DogStatsD lines and a few log lines (sent as the dev stack forwards them: `text/plain` per
 * service). The stand-in runs as its own process (as in `deno task dev`), so the resident
 * memory and CPU time reported are its own. Nothing reads its data during the run (memory is
 * sampled from /proc), so the CPU time is what ingestion costs; reading at the end, which
 * decodes what was queued, is reported apart.
 *
 *   deno run -A stand-ins/local-agent/burst.ts [--seconds 10] [--rate 1500] [--spans 4] [--json]
 *     [--v8-flags=--max-old-space-size=128]
 *
 * Traffic goes to 127.0.0.1 only.
 */
import dgram from "node:dgram";
import { parseArgs } from "node:util";
import { encode } from "@msgpack/msgpack";

const SERVICES = ["web-frontend", "auth-service", "payment-service", "fraud-service"];
const BANKS = ["FNB", "ABN", "RABO", "HSBC", "JPMC", "ING", "BARC", "CITI"];
/** hot-shots' buffer size in the services: lines are packed into packets up to this. */
export const MAX_PACKET_BYTES = 1400;

/** A small deterministic generator, so two runs send the same traffic. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one simulated request produces. */
export interface SyntheticRequest {
  /** Spans by the service that reports them. */
  spans: Map<string, Record<string, unknown>[]>;
  statsd: string[];
  logs: { service: string; message: string }[];
}

/** Builds the telemetry of one request: `spanCount` spans, 5 metric lines, 3 log lines. */
export function syntheticRequest(
  random: () => number,
  spanCount: number,
  nowNs: bigint,
): SyntheticRequest {
  const traceId = BigInt(Math.floor(random() * 2 ** 52)) * 4096n + 1n;
  const bank = BANKS[Math.floor(random() * BANKS.length)];
  const spans = new Map<string, Record<string, unknown>[]>();
  let parent = 0n;
  for (let i = 0; i < spanCount; i++) {
    const service = SERVICES[Math.min(i, SERVICES.length - 1)];
    const spanId = traceId + BigInt(i + 1);
    const span = {
      trace_id: traceId,
      span_id: spanId,
      parent_id: parent,
      name: i === 0 ? "web.request" : `${service}.request`,
      resource: i === 0 ? "POST /api/pay" : "POST /pay",
      service,
      type: "web",
      error: random() < 0.05 ? 1 : 0,
      start: nowNs + BigInt(i * 1_000_000),
      duration: 50_000_000 - i * 5_000_000,
      meta: {
        env: "dev",
        version: "0.1.0",
        "http.method": "POST",
        "http.status_code": "200",
        bank,
        "_dd.p.tid": "6925a1b200000000",
      },
      metrics: { _sampling_priority_v1: 1, _dd_top_level: 1 },
    };
    parent = spanId;
    const list = spans.get(service) ?? [];
    list.push(span);
    spans.set(service, list);
  }
  const tags = `#service:payment-service,env:dev,version:0.1.0,bank:${bank}`;
  const statsd = [
    `payment.created:1|c|${tags}`,
    `payment.settled:1|c|${tags}`,
    `payment.settlement_latency_ms:${Math.round(50 + random() * 200)}|d|${tags}`,
    `web.payment.ok:1|c|#service:web-frontend,env:dev,version:0.1.0,bank:${bank}`,
    `auth.ok:1|c|#service:auth-service,env:dev,version:0.1.0`,
  ];
  const hex = `6925a1b200000000${traceId.toString(16).padStart(16, "0")}`;
  const logs = ["payment_created", "payment_settled", "payment_ok"].map((message, i) => ({
    service: i === 2 ? "web-frontend" : "payment-service",
    message: JSON.stringify({
      timestamp: new Date().toISOString(),
      level: "info",
      message,
      service: i === 2 ? "web-frontend" : "payment-service",
      bank,
      amount: 42.5,
      dd: { trace_id: hex, span_id: String(traceId + 1n), env: "dev", version: "0.1.0" },
    }),
  }));
  return { spans, statsd, logs };
}

/** Packs DogStatsD lines into newline-joined packets of at most `max` bytes. */
export function packLines(lines: readonly string[], max = MAX_PACKET_BYTES): string[] {
  const packets: string[] = [];
  let current = "";
  for (const line of lines) {
    if (current && current.length + 1 + line.length > max) {
      packets.push(current);
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) packets.push(current);
  return packets;
}

interface Sent {
  requests: number;
  trace_chunks: number;
  spans: number;
  trace_requests: number;
  statsd_lines: number;
  statsd_packets: number;
  logs: number;
  log_requests: number;
  http_errors: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "10" },
      rate: { type: "string", default: "1500" },
      spans: { type: "string", default: "4" },
      json: { type: "boolean", default: false },
      "v8-flags": { type: "string", default: "" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno run -A stand-ins/local-agent/burst.ts [--seconds 10] [--rate 1500] [--spans 4] [--json] [--v8-flags=…]",
    );
    return;
  }
  const seconds = positiveInt(values.seconds, "--seconds", 600);
  const rate = positiveInt(values.rate, "--rate", 100_000);
  const spanCount = positiveInt(values.spans, "--spans", 50);

  const agent = await startAgentProcess(values["v8-flags"]);
  const sent: Sent = {
    requests: 0,
    trace_chunks: 0,
    spans: 0,
    trace_requests: 0,
    statsd_lines: 0,
    statsd_packets: 0,
    logs: 0,
    log_requests: 0,
    http_errors: 0,
  };
  const socket = dgram.createSocket("udp4");
  const random = createRandom(1);
  const rssSamples: number[] = [];
  try {
    const pendingSpans = new Map<string, Record<string, unknown>[][]>();
    let pendingLogs: { service: string; message: string }[] = [];
    const inFlight = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
    };
    const post = (path: string, init: RequestInit) =>
      track(
        fetch(`${agent.url}${path}`, init).then(async (response) => {
          await response.body?.cancel();
          if (!response.ok) sent.http_errors++;
        }, () => void sent.http_errors++),
      );

    const flushTraces = () => {
      for (const [, traces] of pendingSpans) {
        sent.trace_chunks += traces.length;
        sent.spans += traces.reduce((n, t) => n + t.length, 0);
        sent.trace_requests++;
        post("/v0.4/traces", {
          method: "PUT",
          headers: { "content-type": "application/msgpack" },
          body: encode(traces, { useBigInt64: true }) as Uint8Array<ArrayBuffer>,
        });
      }
      pendingSpans.clear();
    };
    const flushLogs = () => {
      const byService = new Map<string, string[]>();
      for (const log of pendingLogs) {
        const lines = byService.get(log.service) ?? [];
        lines.push(log.message);
        byService.set(log.service, lines);
      }
      pendingLogs = [];
      for (const [service, lines] of byService) {
        sent.logs += lines.length;
        sent.log_requests++;
        post(`/api/v2/logs?service=${service}&ddsource=deno&hostname=localhost`, {
          method: "POST",
          headers: { "content-type": "text/plain; charset=utf-8" },
          body: `${lines.join("\n")}\n`,
        });
      }
    };

    const tickMs = 50;
    const start = performance.now();
    let tick = 0;
    let lastTraceFlush = start;
    let lastLogFlush = start;
    let lastSample = start;
    while (performance.now() - start < seconds * 1000) {
      tick++;
      const due = Math.floor((rate * tick * tickMs) / 1000) - sent.requests;
      const lines: string[] = [];
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      for (let i = 0; i < due; i++) {
        const request = syntheticRequest(random, spanCount, nowNs);
        sent.requests++;
        for (const [service, spans] of request.spans) {
          const list = pendingSpans.get(service) ?? [];
          list.push(spans);
          pendingSpans.set(service, list);
        }
        lines.push(...request.statsd);
        pendingLogs.push(...request.logs);
      }
      for (const packet of packLines(lines)) {
        socket.send(packet, agent.statsdPort, "127.0.0.1");
        sent.statsd_packets++;
      }
      sent.statsd_lines += lines.length;

      const now = performance.now();
      // dd-trace flushes each process's traces on an interval; one payload per service here.
      if (now - lastTraceFlush >= 1000) {
        lastTraceFlush = now;
        flushTraces();
      }
      // Log lines go every 250 ms, one request per service, like the dev task's forwarder.
      if (now - lastLogFlush >= 250) {
        lastLogFlush = now;
        flushLogs();
      }
      if (now - lastSample >= 1000) {
        lastSample = now;
        const rss = await agent.rss();
        if (rss !== undefined) rssSamples.push(rss);
      }
      const next = start + tick * tickMs;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
    flushTraces();
    flushLogs();
    await Promise.all(inFlight);
    // Let the last datagrams and requests be processed before reading the counts.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const cpuSeconds = await agent.cpuSeconds();
    const rssBeforeRead = await agent.rss();
    if (rssBeforeRead !== undefined) rssSamples.push(rssBeforeRead);
    const stats = await agent.stats();
    const readCpuSeconds = (await agent.cpuSeconds() ?? NaN) - (cpuSeconds ?? NaN);
    const report = {
      seconds,
      rate,
      spans_per_request: spanCount,
      sent,
      received: {
        trace_chunks: stats.traces.received,
        spans: stats.traces.spans,
        statsd_packets: stats.dogstatsd.packets,
        statsd_lines: stats.dogstatsd.lines,
        logs: stats.logs.received,
      },
      evicted: {
        traces: stats.traces.dropped,
        logs: stats.logs.dropped,
        metric_series: stats.dogstatsd.series_dropped,
      },
      udp_lines_lost: sent.statsd_lines - stats.dogstatsd.lines,
      held: stats.held,
      rss_mb: {
        idle: Math.round(agent.idleRss / 1e5) / 10,
        peak: Math.round(Math.max(...rssSamples) / 1e5) / 10,
        before_read: Math.round((rssBeforeRead ?? NaN) / 1e5) / 10,
        after_read: Math.round(stats.memory.rss / 1e5) / 10,
      },
      heap_used_mb_after_read: Math.round(stats.memory.heap_used / 1e5) / 10,
      heap_total_mb_end: Math.round(stats.memory.heap_total / 1e5) / 10,
      external_mb_end: Math.round(stats.memory.external / 1e5) / 10,
      agent_cpu_seconds: cpuSeconds,
      agent_cpu_percent: cpuSeconds === undefined
        ? undefined
        : Math.round((cpuSeconds / seconds) * 1000) / 10,
      agent_cpu_us_per_request: cpuSeconds === undefined
        ? undefined
        : Math.round((cpuSeconds * 1e6) / sent.requests * 10) / 10,
      /** Decoding what was queued, when the counts were read at the end. */
      read_cpu_seconds: Number.isNaN(readCpuSeconds) ? undefined : readCpuSeconds,
    };
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
  } finally {
    socket.close();
    await agent.stop();
  }
}

function positiveInt(raw: string | undefined, name: string, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`Cannot run the burst: ${name} must be a whole number from 1 to ${max}`);
    Deno.exit(1);
  }
  return n;
}

// deno-lint-ignore no-explicit-any
type Stats = any;

async function startAgentProcess(v8Flags: string) {
  const main = new URL("./main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []),
      main,
    ],
    env: {
      LOCAL_AGENT_HTTP_PORT: "0",
      LOCAL_AGENT_STATSD_PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // The first line is `local_agent_started` with the ports it picked; later lines are drained.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const deadline = Date.now() + 15_000;
  while (!buffered.includes("\n")) {
    const { done, value } = await reader.read();
    if (done || Date.now() > deadline) throw new Error("Cannot start the local Agent stand-in");
    buffered += value;
  }
  const started = JSON.parse(buffered.slice(0, buffered.indexOf("\n")));
  const drain = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const url = started.url as string;
  const stats = async (): Promise<Stats> => await (await fetch(`${url}/local/stats`)).json();
  const idleRss = (await stats()).memory.rss as number;
  return {
    url,
    statsdPort: started.statsd_port as number,
    idleRss,
    stats,
    /** Resident memory of the stand-in in bytes, from /proc (Linux only). */
    async rss(): Promise<number | undefined> {
      try {
        const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
        const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
        return kib === undefined ? undefined : Number(kib) * 1024;
      } catch {
        return undefined;
      }
    },
    /** User + system CPU time of the stand-in so far, from /proc (Linux only). */
    async cpuSeconds(): Promise<number | undefined> {
      try {
        const fields = (await Deno.readTextFile(`/proc/${child.pid}/stat`)).split(") ")[1].split(
          " ",
        );
        return (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        return undefined;
      }
    },
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drain;
    },
  };
}

function printReport(report: Record<string, unknown>): void {
  const flat = (value: unknown, prefix: string, out: [string, string][]) => {
    if (typeof value === "object" && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        flat(inner, prefix ? `${prefix}.${key}` : key, out);
      }
    } else out.push([prefix, String(value)]);
    return out;
  };
  const rows = flat(report, "", []);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) console.log(`${key.padEnd(width)}  ${value}`);
}

if (import.meta.main) await main();
