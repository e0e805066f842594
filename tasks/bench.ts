/**
 * `deno task bench`: measures the pay path through the gateway on the dev stack with
 * simulated latency removed, with tracing on and off, plus a run with the simulated latency
 * at 200 clients; reports throughput, p50/p99, the tracing overhead, the memory of every
 * process idle and after a minute of load, the CPU each process spends per payment, and the
 * time to all-ready. Prints a table, writes JSON, and exits 1 when a target is missed. Each
 * load phase starts with a warm-up it leaves out. Traced and untraced stacks are
 * measured in pairs, one after the other, and the tracing cost is the median over the pairs:
 * the host's speed drifts too much between minutes for one pair to tell.
 *
 * Memory is read from /proc/<pid>/smaps_rollup as RSS and PSS. The stack's footprint is the
 * sum of PSS: the seven processes share the pages of one Deno executable (about 42 MiB
 * resident), which summed RSS would count seven times; PSS counts them once, split among the
 * sharers, as a container runtime charges them. Summed RSS is reported beside it.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { median } from "./lib/histogram.ts";
import { type LoadReport, runLoad } from "./lib/load.ts";
import { type Stack, startStack } from "./lib/stack.ts";
import { type ProcessName, SERVICES } from "./lib/topology.ts";
import { REPO_ROOT } from "./lib/tools.ts";

const HELP = `Usage: deno task bench [options]

Options:
  --quick           short phases (a smoke run; targets are reported but not enforced)
  --out FILE        where to write the JSON (default bench-results/bench.json)
  --rate N          the fixed rate for the latency measurement (default 700 req/s)
  --pairs N         traced and untraced stacks measured in turn (default 3, 2 with --quick)
  -h, --help        show this help`;

/** The targets the project promises. */
export const TARGETS = {
  tracingOverheadMax: 0.10,
  stackMemoryMaxMiB: 600,
  readyMaxMs: 5000,
  saturationMinRps: 1400,
  saturationP99MaxMs: 100,
  latencyRunMinRps: 1000,
  latencyRunP99MaxMs: 350,
};

/** The processes counted in the memory target: the six services and the Agent stand-in. */
export const COUNTED: ProcessName[] = [...SERVICES, "local-agent"];

/** Resident memory of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** A process's memory in MiB: resident, and resident with shared pages split among sharers. */
export interface ProcessMemory {
  /** Resident set: every page in RAM, shared ones (the Deno executable) included in full. */
  rss: number;
  /** Proportional set: each shared page divided by the processes sharing it. */
  pss: number;
}

/** {@linkcode ProcessMemory} of a process, from /proc/<pid>/smaps_rollup (Linux). */
export function memoryOf(pid: number): ProcessMemory {
  const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
  return { rss: round(kb("Rss") / 1024), pss: round(kb("Pss") / 1024) };
}

/** CPU time (user + system) a process has used so far, in milliseconds (Linux). */
export function cpuMs(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const round = (n: number) => Math.round(n * 10) / 10;

function memoryOfStack(stack: Stack): Record<string, ProcessMemory> {
  const out: Record<string, ProcessMemory> = {};
  for (const [name, pid] of Object.entries(stack.pids)) if (pid) out[name] = memoryOf(pid);
  return out;
}

/** Totals over the counted processes: summed RSS, and their real footprint (summed PSS). */
function totals(memory: Record<string, ProcessMemory>): ProcessMemory {
  let rss = 0, pss = 0;
  for (const name of COUNTED) {
    rss += memory[name]?.rss ?? 0;
    pss += memory[name]?.pss ?? 0;
  }
  return { rss: round(rss), pss: round(pss) };
}

/** CPU used so far by every process of the stack and by this one (load generator, log pipe). */
function cpuOfStack(stack: Stack): Record<string, number> {
  const out: Record<string, number> = { "bench (load + log pipe)": cpuMs("self") };
  for (const [name, pid] of Object.entries(stack.pids)) if (pid) out[name] = cpuMs(pid);
  return out;
}

/** CPU microseconds per payment of each process between two readings. */
function cpuPerPay(
  before: Record<string, number>,
  after: Record<string, number>,
  payments: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  let sum = 0;
  for (const name of Object.keys(before)) {
    const us = ((after[name] - before[name]) * 1000) / Math.max(1, payments);
    out[name] = Math.round(us);
    sum += us;
  }
  out.total = Math.round(sum);
  return out;
}

interface PhaseResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  failed: number;
}

function payPhase(report: LoadReport): PhaseResult {
  const pay = report.scenarios.pay ?? { requests: 0, p50: 0, p99: 0 };
  return {
    rps: Math.round(pay.requests / (report.durationMs / 1000)),
    p50: round(pay.p50),
    p99: round(pay.p99),
    requests: pay.requests,
    failed: report.failed,
  };
}

async function withStack<T>(
  label: string,
  env: Record<string, string>,
  fn: (stack: Stack) => Promise<T>,
): Promise<T> {
  console.error(`\n== ${label}: starting the stack`);
  const stack = await startStack({
    ports: "auto",
    env: { RANDOM_SEED: "1", ...env },
    onProgress: () => {},
  });
  console.error(`   ready in ${stack.readyAfterMs} ms`);
  try {
    return await fn(stack);
  } finally {
    await stack.stop();
  }
}

/** A saturation run of one stack of a pair. */
interface PairRun {
  readyMs: number;
  saturation: PhaseResult;
  cpuPerPayUs: Record<string, number>;
}

/** A traced and an untraced stack measured one after the other. */
interface Pair {
  on: PairRun;
  off: PairRun;
  /** 1 − traced / untraced throughput. */
  throughputCost: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** What one load phase measured: the load generator's report and the CPU per payment. */
interface PhaseReport {
  report: LoadReport;
  /** CPU microseconds per measured payment of each process, this one's included. */
  cpuPerPayUs: Record<string, number>;
}

const PAY_ONLY = { pay: 1, history: 0, assistant: 0, banks: 0 };

/**
 * Runs one load phase in this process, after a warm-up it leaves out, and reads the CPU
 * every process spent on the measured part. The generator runs here, beside the log pipe,
 * rather than as `deno task load` in a process of its own: on two cores that extra process
 * cost 6–9% of the throughput and 12–21 ms of p99 in three interleaved pairs of probe runs.
 */
async function load(
  stack: Stack,
  name: string,
  seconds: number,
  concurrency: number,
  warmUpSeconds: number,
  rate?: number,
): Promise<PhaseReport> {
  console.error(
    `   ${name}: ${concurrency} clients, ${seconds} s${
      rate ? ` at ${rate} req/s` : ", saturating"
    } after ${warmUpSeconds} s of warm-up`,
  );
  const options = { target: stack.webUrl, concurrency, rate, mix: PAY_ONLY };
  if (warmUpSeconds > 0) await runLoad({ ...options, durationMs: warmUpSeconds * 1000 });
  const cpuBefore = cpuOfStack(stack);
  const report = await runLoad({ ...options, durationMs: seconds * 1000 });
  const cpuPerPayUs = cpuPerPay(cpuBefore, cpuOfStack(stack), report.scenarios.pay?.requests ?? 0);
  const pay = payPhase(report);
  console.error(
    `     → ${pay.rps} req/s, p50 ${pay.p50} ms, p99 ${pay.p99} ms, failed ${pay.failed}`,
  );
  return { report, cpuPerPayUs };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string", default: join(REPO_ROOT, "bench-results", "bench.json") },
      rate: { type: "string", default: "700" },
      pairs: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate < 1) {
    console.error("Cannot parse --rate: expected a number of requests per second ≥ 1");
    Deno.exit(2);
  }
  const q = values.quick;
  const pairCount = Number(values.pairs ?? (q ? 2 : 3));
  if (!Number.isInteger(pairCount) || pairCount < 1 || pairCount > 20) {
    console.error("Cannot parse --pairs: expected a whole number from 1 to 20");
    Deno.exit(2);
  }
  const s = (full: number) => (q ? Math.max(2, Math.round(full / 10)) : full);
  const noLatency = {
    PAYMENT_LATENCY_MIN_MS: "0",
    PAYMENT_LATENCY_MAX_MS: "0",
    LLM_LATENCY_MIN_MS: "0",
    LLM_LATENCY_MAX_MS: "0",
  };

  // The host's speed drifts by a third over minutes, so a traced and an untraced stack
  // measured minutes apart can differ by that much for no reason of their own. Stacks are
  // started in pairs, one after the other (on, off, on, off, …), each pair measures the
  // saturation of both, and the tracing cost is the median of the pairs' costs. The first pair
  // also measures the fixed rate and the memory after a minute of load.
  const pairs: Pair[] = [];
  const runs: Record<string, unknown> = {};
  for (let index = 0; index < pairCount; index++) {
    const pair: Partial<Pair> = {};
    for (const tracing of [true, false]) {
      const label = `tracing ${tracing ? "on" : "off"}, simulated latency 0, pair ${
        index + 1
      } of ${pairCount}`;
      const env = { ...noLatency, DD_TRACE_ENABLED: String(tracing) };
      const run = await withStack(label, env, async (stack) => {
        if (index > 0) {
          const { report, cpuPerPayUs } = await load(stack, "saturation", s(15), 50, s(5));
          return { readyMs: stack.readyAfterMs, saturation: payPhase(report), cpuPerPayUs };
        }
        await new Promise((r) => setTimeout(r, q ? 500 : 3000));
        const idle = memoryOfStack(stack);
        const { report, cpuPerPayUs } = await load(stack, "saturation", s(25), 50, s(5));
        const saturation = payPhase(report);
        const fixed = payPhase((await load(stack, "fixed rate", s(30), 50, s(3), rate)).report);
        const afterLoad = memoryOfStack(stack);
        runs[tracing ? "tracingOn" : "tracingOff"] = {
          readyMs: stack.readyAfterMs,
          saturation,
          fixedRate: { rate, ...fixed },
          cpuPerPayUs,
          memoryMiB: {
            idle,
            afterLoad,
            idleTotal: totals(idle),
            afterLoadTotal: totals(afterLoad),
          },
          droppedLogLines: stack.droppedLogLines(),
        };
        return { readyMs: stack.readyAfterMs, saturation, cpuPerPayUs };
      });
      pair[tracing ? "on" : "off"] = run;
    }
    const { on, off } = pair as Pair;
    pairs.push({ on, off, throughputCost: round3(1 - on.saturation.rps / off.saturation.rps) });
  }
  runs.pairs = pairs;
  runs.withLatency = await withStack(
    "tracing on, simulated latency 50–250 ms",
    { DD_TRACE_ENABLED: "true" },
    async (stack) => {
      const saturation = payPhase((await load(stack, "saturation", s(20), 200, s(5))).report);
      return { saturation, memoryAfterMiB: totals(memoryOfStack(stack)) };
    },
  );

  // deno-lint-ignore no-explicit-any
  const on = runs.tracingOn as any, off = runs.tracingOff as any, lat = runs.withLatency as any;
  const throughputCost = median(pairs.map((p) => p.throughputCost));
  const onRps = Math.round(median(pairs.map((p) => p.on.saturation.rps)));
  const onP99 = round(median(pairs.map((p) => p.on.saturation.p99)));
  const p50Cost = on.fixedRate.p50 / off.fixedRate.p50 - 1;
  const checks = [
    [
      `tracing cost on throughput (median of ${pairCount} pair${pairCount > 1 ? "s" : ""})`,
      `${(throughputCost * 100).toFixed(1)} %`,
      throughputCost <= TARGETS.tracingOverheadMax,
      "≤ 10 %",
    ],
    [
      "tracing cost on p50 at fixed rate (first pair)",
      `${(p50Cost * 100).toFixed(1)} %`,
      p50Cost <= TARGETS.tracingOverheadMax,
      "≤ 10 %",
    ],
    [
      "pay, 50 clients, no latency (tracing on; medians of the pairs)",
      `${onRps} req/s, p99 ${onP99} ms`,
      onRps >= TARGETS.saturationMinRps && onP99 <= TARGETS.saturationP99MaxMs,
      "≥ 1400 req/s, p99 ≤ 100 ms",
    ],
    [
      "pay, 200 clients, 50–250 ms latency (tracing on)",
      `${lat.saturation.rps} req/s, p99 ${lat.saturation.p99} ms`,
      lat.saturation.rps >= TARGETS.latencyRunMinRps &&
      lat.saturation.p99 <= TARGETS.latencyRunP99MaxMs,
      "≥ 1000 req/s, p99 ≤ 350 ms",
    ],
    [
      "memory of 6 services + Agent stand-in after load (resident, shared pages once)",
      `${on.memoryMiB.afterLoadTotal.pss} MiB`,
      on.memoryMiB.afterLoadTotal.pss < TARGETS.stackMemoryMaxMiB,
      "< 600 MiB",
    ],
    ["start to all-ready", `${on.readyMs} ms`, on.readyMs < TARGETS.readyMaxMs, "< 5000 ms"],
  ] as const;

  console.log(
    "\n| pair | tracing on: req/s, p50 / p99 | tracing off: req/s, p50 / p99 | cost |\n|---|---|---|---|",
  );
  pairs.forEach((p, i) => {
    const cell = (r: PhaseResult) => `${r.rps}, ${r.p50} / ${r.p99} ms`;
    console.log(
      `| ${i + 1} | ${cell(p.on.saturation)} | ${cell(p.off.saturation)} | ${
        (p.throughputCost * 100).toFixed(1)
      } % |`,
    );
  });
  console.log("\n| measurement (first pair) | tracing on | tracing off |\n|---|---|---|");
  console.log(
    `| pay throughput at saturation (50 clients) | ${on.saturation.rps} req/s | ${off.saturation.rps} req/s |`,
  );
  console.log(
    `| pay p50 / p99 at saturation | ${on.saturation.p50} / ${on.saturation.p99} ms | ${off.saturation.p50} / ${off.saturation.p99} ms |`,
  );
  console.log(
    `| pay p50 / p99 at ${rate} req/s | ${on.fixedRate.p50} / ${on.fixedRate.p99} ms | ${off.fixedRate.p50} / ${off.fixedRate.p99} ms |`,
  );
  const mem = (m: ProcessMemory) => `${m.pss} MiB (summed RSS ${m.rss} MiB)`;
  console.log(
    `| memory idle, 6 services + stand-in | ${mem(on.memoryMiB.idleTotal)} | ${
      mem(off.memoryMiB.idleTotal)
    } |`,
  );
  console.log(
    `| memory after load | ${mem(on.memoryMiB.afterLoadTotal)} | ${
      mem(off.memoryMiB.afterLoadTotal)
    } |`,
  );
  console.log(`| start to all-ready | ${on.readyMs} ms | ${off.readyMs} ms |`);
  console.log(
    `| CPU per payment, all processes | ${on.cpuPerPayUs.total} µs | ${off.cpuPerPayUs.total} µs |`,
  );
  console.log(
    "\n| process (tracing on) | PSS / RSS idle | PSS / RSS after load | CPU per payment |" +
      "\n|---|---|---|---|",
  );
  for (const name of Object.keys(on.cpuPerPayUs)) {
    if (name === "total") continue;
    const idle = on.memoryMiB.idle[name], after = on.memoryMiB.afterLoad[name];
    console.log(
      `| ${name} | ${idle ? `${idle.pss} / ${idle.rss} MiB` : "–"} | ${
        after ? `${after.pss} / ${after.rss} MiB` : "–"
      } | ${on.cpuPerPayUs[name]} µs |`,
    );
  }
  console.log("\n| target | measured | required | met |\n|---|---|---|---|");
  for (const [name, measured, ok, required] of checks) {
    console.log(`| ${name} | ${measured} | ${required} | ${ok ? "yes" : "NO"} |`);
  }
  const result = {
    date: new Date().toISOString(),
    machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
    quick: q,
    runs,
    targets: Object.fromEntries(checks.map(([name, measured, ok]) => [name, { measured, ok }])),
  };
  await Deno.mkdir(join(values.out!, ".."), { recursive: true });
  await Deno.writeTextFile(values.out!, JSON.stringify(result, null, 2) + "\n");
  console.log(`\nWrote ${values.out}`);
  Deno.exit(q || checks.every(([, , ok]) => ok) ? 0 : 1);
}
