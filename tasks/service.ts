/**
 * `deno task service <name>`: runs one service (or stand-in) alone in the foreground with the
 * same defaults as `deno task dev` (local ports, peers on localhost, the Agent on localhost).
 * Any variable already set in the environment wins.
 */
import { join } from "node:path";
import { serviceEnvironment } from "./lib/stack.ts";
import { ENTRY_POINTS, LOCAL_PORTS, type ProcessName } from "./lib/topology.ts";
import { REPO_ROOT } from "./lib/tools.ts";

const names = Object.keys(ENTRY_POINTS) as ProcessName[];
const [name] = Deno.args;
if (!name || name === "--help" || name === "-h") {
  console.log(`Usage: deno task service <name>\n\nNames: ${names.join(", ")}`);
  Deno.exit(name ? 0 : 2);
}
if (!names.includes(name as ProcessName)) {
  console.error(`Unknown service '${name}'. Choose one of: ${names.join(", ")}`);
  Deno.exit(2);
}
const defaults = serviceEnvironment(
  name as ProcessName,
  LOCAL_PORTS,
  { host: "127.0.0.1", tracePort: LOCAL_PORTS["local-agent"], statsdPort: LOCAL_PORTS.statsd },
  {},
  Deno.env.get("SESSION_SECRET") ?? crypto.randomUUID() + crypto.randomUUID(),
);
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-env",
    "--allow-read",
    "--allow-sys",
    "--allow-net",
    join(REPO_ROOT, ENTRY_POINTS[name as ProcessName]),
  ],
  cwd: REPO_ROOT,
  env: { ...defaults, ...Deno.env.toObject() },
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => child.kill(signal));
}
Deno.exit((await child.status).code);
