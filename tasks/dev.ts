/**
 * `deno task dev`: the whole system on this machine. Starts the local Agent stand-in (or
 * uses the Agent named by DD_AGENT_HOST), the Jira stand-in and the six services, prefixes
 * their output, forwards their log lines to the local Agent, waits until all are ready and
 * prints the URLs. Ctrl-C (or SIGTERM) stops everything it started.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { type AgentAddress, startStack } from "./lib/stack.ts";
import { LOCAL_PORTS, type ProcessName } from "./lib/topology.ts";
import { REPO_ROOT } from "./lib/tools.ts";

const HELP = `Usage: deno task dev [options]

Runs the whole system locally: the UI on http://localhost:8080, the local Agent stand-in's
page on http://localhost:8126. With DD_AGENT_HOST set, telemetry goes to that Agent instead
and no stand-in is started.

Options:
  --seed N       RANDOM_SEED for every service (reproducible outcomes)
  --raw          print log lines as the services write them (JSON)
  --quiet        print only warnings and errors of the services
  --no-build     do not bundle the web UI first
  -h, --help     show this help`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string" },
    raw: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
if (values.seed !== undefined && !/^\d+$/.test(values.seed)) {
  console.error("Cannot start: --seed expects a whole number");
  Deno.exit(2);
}

const COLORS = [36, 32, 33, 35, 34, 31, 96, 92];
const WIDTH = 16;
const colorOf = new Map<ProcessName, number>();
function prefix(name: ProcessName): string {
  if (!colorOf.has(name)) colorOf.set(name, COLORS[colorOf.size % COLORS.length]);
  const label = name.padEnd(WIDTH);
  return Deno.noColor ? `${label}| ` : `\x1b[${colorOf.get(name)}m${label}\x1b[0m| `;
}

/** A compact, readable form of a JSON log line: time, level, event, fields, short trace id. */
export function formatLogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== "object" || record === null) return line;
  const { timestamp, level, message, service: _s, dd, ...fields } = record as Record<
    string,
    unknown
  >;
  const time = typeof timestamp === "string" ? timestamp.slice(11, 23) : "";
  const trace = (dd as { trace_id?: string } | undefined)?.trace_id;
  const rest = Object.entries(fields)
    .filter(([k]) => k !== "request_id")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${time} ${String(level ?? "").padEnd(5)} ${message ?? ""}${rest ? ` ${rest}` : ""}${
    trace ? ` trace=${trace}` : ""
  }`;
}

function realAgent(): AgentAddress | undefined {
  const host = Deno.env.get("DD_AGENT_HOST");
  if (!host) return undefined;
  return {
    host,
    tracePort: Number(Deno.env.get("DD_TRACE_AGENT_PORT") ?? 8126),
    statsdPort: Number(Deno.env.get("DD_DOGSTATSD_PORT") ?? 8125),
  };
}

if (!values["no-build"]) {
  console.error("Bundling the web UI (deno task web:build)…");
  const build = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "tasks/web_build.ts")],
    cwd: REPO_ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!build.success) {
    console.error("Cannot start: the web UI did not build (see above).");
    Deno.exit(1);
  }
}

const agent = realAgent();
console.error(
  agent
    ? `Sending telemetry to the Datadog Agent at ${agent.host}:${agent.tracePort} (DD_AGENT_HOST); no stand-in started.`
    : "Starting the local Agent stand-in (set DD_AGENT_HOST to use a real Agent).",
);
const quietLevels = new Set(["warn", "error"]);
let stack;
try {
  stack = await startStack({
    agent,
    env: values.seed !== undefined ? { RANDOM_SEED: values.seed } : {},
    onProgress: (m) => console.error(m),
    onLine: (name, line) => {
      if (values.quiet) {
        const level = /"level":"(\w+)"/.exec(line)?.[1];
        if (level && !quietLevels.has(level)) return;
      }
      console.log(prefix(name) + (values.raw ? line : formatLogLine(line)));
    },
  });
} catch (error) {
  console.error((error as Error).message);
  Deno.exit(1);
}

const host = (port: number) => `http://localhost:${port}`;
console.error(`
All processes are ready (${stack.readyAfterMs} ms).
  UI and API            ${host(stack.ports["web-frontend"])}
  ${
  stack.agentUrl
    ? `Local Agent page      ${host(stack.ports["local-agent"])}`
    : "Datadog Agent         " + agent?.host
}
  Jira stand-in         ${host(stack.ports["jira-stand-in"])}/stand-in/issues
Press Ctrl-C to stop.
`);
if (stack.ports["web-frontend"] !== LOCAL_PORTS["web-frontend"]) {
  console.error("Note: web-frontend is not on its usual port 8080.");
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.error("\nStopping every process…");
    await stack.stop();
    console.error("Stopped.");
    Deno.exit(0);
  });
}
