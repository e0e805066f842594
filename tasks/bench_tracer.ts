/**
 * `deno task bench:tracer`: what tracing itself costs per payment, without the network, the
 * Agent or the other processes of the stack in the way.
 *
 * A child process builds the gateway's and payment-service's pay routes with the kit (server
 * spans, `web.pay` and `payment.pay`, the client span and its trace headers, three log lines
 * with trace ids) and calls the gateway in memory, the payment call going straight into the
 * payment app; so a payment makes the same five spans as in the stack. It runs with
 * `DD_TRACE_ENABLED=false` and with tracing on, alternately, `--rounds` times each, sending
 * spans to a stub Agent in this process, and reports the child's CPU per payment (user + system, GC threads included, the
 * final flush to the stub included). The difference is dd-trace's own work for one payment:
 * in the stack a payment costs at least that much more CPU with tracing on, which bounds how
 * small tracing's share of throughput can be (`deno task bench` measures the real share).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { median } from "./lib/histogram.ts";
import { v8FlagsFor } from "./lib/stack.ts";
import { REPO_ROOT } from "./lib/tools.ts";

const HELP = `Usage: deno task bench:tracer [options]

Options:
  --pays N          payments measured per run (default 20000)
  --rounds N        runs of each mode; the median is reported (default 3)
  --out FILE        where to write the JSON (default bench-results/tracer.json)
  -h, --help        show this help`;

/** What one child run printed. */
export interface ChildResult {
  tracing: boolean;
  pays: number;
  /** Payments that did not answer 200. */
  failed: number;
  cpuUsPerPay: number;
  wallMs: number;
}

/** One mode's runs and the traces the stub Agent received during them. */
export interface ModeResult {
  runs: ChildResult[];
  medianCpuUsPerPay: number;
  /** Trace chunks received by the stub Agent (`X-Datadog-Trace-Count` summed). */
  tracesReceived: number;
}

export interface TracerBenchResult {
  pays: number;
  off: ModeResult;
  on: ModeResult;
  /** CPU per payment that tracing adds in the child (µs). */
  addedUsPerPay: number;
}

/** A stand-in for the Agent's trace intake: reads and counts, keeps nothing. */
function startStubAgent() {
  let traces = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      await request.arrayBuffer();
      if (/^\/v0\.[45]\/traces$/.test(url.pathname)) {
        traces += Number(request.headers.get("x-datadog-trace-count") ?? 0);
        return Response.json({ rate_by_service: {} });
      }
      if (url.pathname === "/info") return Response.json({ endpoints: ["/v0.4/traces"] });
      return new Response("not found", { status: 404 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    take(): number {
      const n = traces;
      traces = 0;
      return n;
    },
    stop: () => server.shutdown(),
  };
}

async function runChild(
  tracing: boolean,
  agentUrl: string,
  pays: number,
  warmUp: number,
): Promise<ChildResult> {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // The child runs the hot path's routes, so it gets the hot path's V8 settings.
      `--v8-flags=${v8FlagsFor("web-frontend")}`,
      new URL("./lib/tracer_cost_child.ts", import.meta.url).pathname,
      "--pays",
      String(pays),
      "--warm-up",
      String(warmUp),
    ],
    env: {
      DD_TRACE_ENABLED: String(tracing),
      DD_TRACE_AGENT_URL: agentUrl,
      DD_AGENT_HOST: "127.0.0.1",
      DD_SERVICE: "web-frontend",
      DD_ENV: "bench",
      DD_LLMOBS_ENABLED: "false",
      DD_REMOTE_CONFIGURATION_ENABLED: "false",
    },
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const text = new TextDecoder().decode(stdout).trim();
  if (code !== 0) {
    throw new Error(
      `The tracing-${tracing ? "on" : "off"} run exited with ${code}: ${
        new TextDecoder().decode(stderr).trim().split("\n").slice(-5).join("\n")
      }`,
    );
  }
  return JSON.parse(text.split("\n").at(-1)!) as ChildResult;
}

/** Runs both modes `rounds` times, alternating, against a stub Agent. */
export async function measureTracerCost(
  options: { pays: number; rounds: number; warmUp?: number; onRun?: (r: ChildResult) => void },
): Promise<TracerBenchResult> {
  const agent = startStubAgent();
  const warmUp = options.warmUp ?? Math.min(3000, options.pays);
  const modes = {
    off: { runs: [] as ChildResult[], traces: 0 },
    on: { runs: [] as ChildResult[], traces: 0 },
  };
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const tracing of [false, true]) {
        agent.take();
        const result = await runChild(tracing, agent.url, options.pays, warmUp);
        const mode = modes[tracing ? "on" : "off"];
        mode.runs.push(result);
        mode.traces += agent.take();
        options.onRun?.(result);
      }
    }
  } finally {
    await agent.stop();
  }
  const summary = (mode: { runs: ChildResult[]; traces: number }): ModeResult => ({
    runs: mode.runs,
    medianCpuUsPerPay: Math.round(median(mode.runs.map((r) => r.cpuUsPerPay))),
    tracesReceived: mode.traces,
  });
  const off = summary(modes.off), on = summary(modes.on);
  return {
    pays: options.pays,
    off,
    on,
    addedUsPerPay: on.medianCpuUsPerPay - off.medianCpuUsPerPay,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      pays: { type: "string", default: "20000" },
      rounds: { type: "string", default: "3" },
      out: { type: "string", default: join(REPO_ROOT, "bench-results", "tracer.json") },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const pays = Number(values.pays), rounds = Number(values.rounds);
  if (!Number.isSafeInteger(pays) || pays < 100 || !Number.isSafeInteger(rounds) || rounds < 1) {
    console.error("Cannot parse the options: --pays must be a whole number ≥ 100, --rounds ≥ 1");
    Deno.exit(2);
  }
  console.error(`Measuring ${rounds} × ${pays} in-memory payments per mode…`);
  const result = await measureTracerCost({
    pays,
    rounds,
    onRun: (r) =>
      console.error(
        `  tracing ${
          r.tracing ? "on " : "off"
        }: ${r.cpuUsPerPay} µs CPU per payment (${r.wallMs} ms)`,
      ),
  });
  console.log("\n| measurement | µs of CPU per payment |\n|---|---|");
  console.log(`| gateway + payment pay routes, tracing off | ${result.off.medianCpuUsPerPay} |`);
  console.log(
    `| the same, tracing on (5 spans, sent to a stub Agent) | ${result.on.medianCpuUsPerPay} |`,
  );
  console.log(`| added by tracing | ${result.addedUsPerPay} |`);
  console.log(
    `\nThe stub Agent received ${result.on.tracesReceived} trace chunks with tracing on and ${result.off.tracesReceived} with it off.`,
  );
  const failed = [...result.off.runs, ...result.on.runs].reduce((n, r) => n + r.failed, 0);
  if (failed > 0) {
    console.error(`${failed} payments did not answer 200: the numbers above are not valid.`);
    Deno.exit(1);
  }
  await Deno.mkdir(join(values.out, ".."), { recursive: true });
  await Deno.writeTextFile(values.out, JSON.stringify(result, null, 2) + "\n");
  console.log(`Wrote ${values.out}`);
}
