/**
 * `deno task load`: drives realistic user traffic against a running system (dev, compose or
 * kind) with a live progress line, then prints a summary. Stops cleanly on Ctrl-C.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { DEFAULT_MIX, type LoadReport, parseMix, runLoad, type Tick } from "./lib/load.ts";

const HELP = `Usage: deno task load [options]

Virtual users log in, pay, look at their history and ask the assistant over real HTTP.

Options:
  --target URL        system to drive (default http://localhost:8080)
  --rate N            total requests per second (default: as fast as it answers)
  --duration S        seconds to run (default 60)
  --warm-up S         seconds of the same load first, left out of the numbers (default 0)
  --concurrency N     virtual users (default 20)
  --mix SPEC          scenario weights (default pay=${DEFAULT_MIX.pay},history=${DEFAULT_MIX.history},assistant=${DEFAULT_MIX.assistant},banks=${DEFAULT_MIX.banks})
  --json              print the summary as JSON, with the generator's own CPU time (cpuMs)
                      over the measured part
  -h, --help          show this help`;

/** The CLI options, validated. */
export interface LoadCli {
  target: string;
  rate?: number;
  durationMs: number;
  warmUpMs: number;
  concurrency: number;
  mix: ReturnType<typeof parseMix>;
  json: boolean;
}

/** Parses and validates the command line; throws with a sentence naming the bad option. */
export function parseLoadArgs(args: string[]): LoadCli | "help" {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: "string", default: "http://localhost:8080" },
      rate: { type: "string" },
      duration: { type: "string", default: "60" },
      "warm-up": { type: "string", default: "0" },
      concurrency: { type: "string", default: "20" },
      mix: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const number = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new Error(`Cannot parse --${name}: expected a number from ${min} to ${max}`);
    }
    return n;
  };
  let target: URL;
  try {
    target = new URL(values.target!);
    if (!/^https?:$/.test(target.protocol)) throw new Error();
  } catch {
    throw new Error("Cannot parse --target: expected an http(s) URL");
  }
  return {
    target: target.origin,
    rate: values.rate === undefined ? undefined : number("rate", values.rate, 1, 100_000),
    durationMs: number("duration", values.duration!, 1, 86_400) * 1000,
    warmUpMs: number("warm-up", values["warm-up"]!, 0, 3_600) * 1000,
    concurrency: Math.floor(number("concurrency", values.concurrency!, 1, 5000)),
    mix: values.mix ? parseMix(values.mix) : DEFAULT_MIX,
    json: values.json!,
  };
}

/** One progress line: elapsed, rate, latency, outcome counts. */
export function formatTick(tick: Tick): string {
  const outcomes = Object.entries(tick.outcomes).map(([k, v]) => `${k}=${v}`).join(" ");
  return `${(tick.elapsedMs / 1000).toFixed(0).padStart(4)}s  ${
    tick.rps.toFixed(0).padStart(5)
  } req/s  ` +
    `p50 ${tick.p50.toFixed(1)} ms  p99 ${tick.p99.toFixed(1)} ms  ${outcomes}`;
}

/** A human summary of a run. */
export function formatReport(report: LoadReport): string {
  const lines = [
    `requests   ${report.requests} in ${(report.durationMs / 1000).toFixed(1)} s (${
      report.rps.toFixed(0)
    } req/s)`,
    `latency    p50 ${report.latencyMs.p50.toFixed(1)} ms  p90 ${
      report.latencyMs.p90.toFixed(1)
    } ms  p99 ${report.latencyMs.p99.toFixed(1)} ms  max ${report.latencyMs.max.toFixed(1)} ms`,
    `failed     ${report.failed} (network errors, timeouts, 5xx, unknown outcomes)`,
    "scenarios",
    ...Object.entries(report.scenarios).map(([name, s]) =>
      `  ${name.padEnd(10)} ${String(s.requests).padStart(8)}  p50 ${s.p50.toFixed(1)} ms  p99 ${
        s.p99.toFixed(1)
      } ms`
    ),
    "outcomes",
    ...Object.entries(report.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) =>
      `  ${k.padEnd(24)} ${v}`
    ),
    ...(report.failureSamples.length
      ? ["failure samples", ...report.failureSamples.map((s) => `  ${s}`)]
      : []),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  let cli: LoadCli | "help";
  try {
    cli = parseLoadArgs(Deno.args);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(2);
  }
  if (cli === "help") {
    console.log(HELP);
    Deno.exit(0);
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const interactive = Deno.stderr.isTerminal();
  console.error(
    `Driving ${cli.target} with ${cli.concurrency} users for ${cli.durationMs / 1000} s` +
      (cli.warmUpMs ? ` after ${cli.warmUpMs / 1000} s of warm-up` : "") +
      (cli.rate ? ` at ${cli.rate} req/s` : " as fast as it answers") + " (Ctrl-C stops)",
  );
  const run = (durationMs: number, label: string) =>
    runLoad({
      target: cli.target,
      concurrency: cli.concurrency,
      durationMs,
      rate: cli.rate,
      mix: cli.mix,
      signal: controller.signal,
      onTick: (tick) => {
        const line = `${label}${formatTick(tick)}`;
        if (interactive) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K${line}`));
        else console.error(line);
      },
    });
  // The warm-up lets the JIT compile this process's hot code and the system reach its steady
  // state; its numbers are dropped.
  if (cli.warmUpMs > 0) {
    await run(cli.warmUpMs, "warm-up ");
    console.error("Warm-up done; measuring.");
  }
  const cpuBefore = process.cpuUsage();
  const report = await run(cli.durationMs, "");
  if (interactive) console.error("");
  // With --json, the generator's own CPU time too: a load generator that used most of a core
  // measured itself as much as the system.
  const { user, system } = process.cpuUsage(cpuBefore);
  console.log(
    cli.json
      ? JSON.stringify({ ...report, cpuMs: Math.round((user + system) / 1000) }, null, 2)
      : formatReport(report),
  );
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  Deno.exit(report.requests > 0 ? 0 : 1);
}
