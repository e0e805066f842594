/**
 * `deno task compose:<command>`: the Docker Compose target.
 *
 *   up       check prerequisites, pick the mode, build once, start, wait for health, print URLs
 *   down     stop everything (--volumes also removes the Agent's state)
 *   logs     follow the logs of every service or one
 *   status   state and health of every container
 *
 * Planning is in `compose/plan.ts` (pure, unit-tested); this file gathers facts, runs plans
 * through `lib/plan.ts` and prints what happened. Every command is safe to run twice.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { probe, runPlan, type Step, StepFailedError } from "./lib/plan.ts";
import { findTool, REPO_ROOT } from "./lib/tools.ts";
import { environmentWithDotenv } from "./lib/dotenv.ts";
import {
  agentHealthHint,
  ALL_SERVICES,
  chooseMode,
  compose,
  type DockerFacts,
  expectedServices,
  missingPrerequisites,
  type Mode,
  parseComposePs,
  planDown,
  planLogs,
  planStatus,
  planUp,
  planWatch,
  unhealthy,
  upSummary,
  type Vars,
} from "./compose/plan.ts";

interface Command {
  description: string;
  help: string;
  run(args: string[]): Promise<number>;
}

const log = (line: string) => console.error(line);

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(join(REPO_ROOT, path));
  } catch {
    return undefined;
  }
}

async function dockerFacts(): Promise<DockerFacts> {
  const docker = findTool("docker");
  if (!docker) return { docker, daemonRunning: false, composeVersion: undefined };
  const info = await probe(["docker", "info", "--format", "{{.ServerVersion}}"]);
  const version = await probe(["docker", "compose", "version", "--short"]);
  return {
    docker,
    daemonRunning: info.code === 0,
    composeVersion: version.code === 0 && version.stdout.trim() ? version.stdout.trim() : undefined,
  };
}

/** Checks prerequisites; prints every problem and returns false when one is missing. */
async function prerequisitesMet(dryRun: boolean): Promise<boolean> {
  const problems = missingPrerequisites(await dockerFacts());
  for (const problem of problems) log(`${dryRun ? "Warning" : "Missing"}: ${problem}`);
  return problems.length === 0 || dryRun;
}

async function running(): Promise<ReturnType<typeof parseComposePs>> {
  const ps = await probe([...compose(["*"]), "ps", "--format", "json"]);
  if (ps.code !== 0) return [];
  try {
    return parseComposePs(ps.stdout);
  } catch {
    return [];
  }
}

/**
 * The session key web-frontend signs cookies with: the one set by the user, else the one
 * the running container already has (so a second `up` recreates nothing and keeps sessions),
 * else a new random one. It is passed in the environment only, never written anywhere.
 */
async function sessionSecret(vars: Vars, webRunning: boolean): Promise<string> {
  if (vars.SESSION_SECRET) return vars.SESSION_SECRET;
  if (webRunning) {
    const current = await probe([
      ...compose(["*"]),
      "exec",
      "-T",
      "web-frontend",
      "printenv",
      "SESSION_SECRET",
    ]);
    const value = current.stdout.trim();
    if (current.code === 0 && value.length >= 32) return value;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function execute(plan: Step[], dryRun: boolean): Promise<number> {
  try {
    await runPlan(plan, { dryRun });
    return 0;
  } catch (error) {
    if (error instanceof StepFailedError) {
      log(error.message);
      return 1;
    }
    throw error;
  }
}

const up: Command = {
  description: "Build and start the stack with the Datadog Agent or the local stand-ins",
  help: `Usage: deno task compose:up [--dry-run] [--no-build] [--watch]

Checks that docker, its daemon and Compose v2 are there, then picks the mode:
  - DD_API_KEY or DATADOG_API_KEY set (environment or .env): the Datadog Agent container
  - otherwise: the local Agent stand-in (page on http://localhost:8126) and the Jira stand-in
Builds the image once, starts every container, waits until all are healthy and prints the
URLs. SESSION_SECRET is generated when not set. Safe to run again.

Options:
  --dry-run    print the plan instead of running it
  --no-build   start with the image already built
  --watch      then sync code edits into the containers and restart them (docker compose
               watch; containers get a writable root for it)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        "dry-run": { type: "boolean" },
        "no-build": { type: "boolean" },
        watch: { type: "boolean" },
      },
    });
    const dryRun = values["dry-run"] ?? false;
    log("Checking prerequisites: docker, its daemon, Compose v2");
    if (!(await prerequisitesMet(dryRun))) return 1;
    // What Compose will see: `.env` beside compose.yaml, overridden by the environment.
    const vars: Vars = await environmentWithDotenv();
    const { mode, reason } = chooseMode(vars);
    log(reason);
    const containers = dryRun ? [] : await running();
    const webRunning = containers.some((c) =>
      c.service === "web-frontend" && c.state === "running"
    );
    const facts = {
      mode,
      version: ((await readText("VERSION")) ?? "0.1.0").trim(),
      denoVersion: ((await readText(".deno-version")) ?? "").trim(),
      running: containers,
      sessionSecret: dryRun ? "<generated>" : await sessionSecret(vars, webRunning),
      noBuild: values["no-build"],
      watch: values.watch,
    };
    const plan = [...planUp(facts), ...(dryRun && facts.watch ? planWatch(facts) : [])];
    const code = await execute(plan, dryRun);
    if (dryRun) return code;
    if (code !== 0) {
      await reportUnhealthy(mode, vars);
      return 1;
    }
    const health = await reportHealth(mode, vars);
    return health === 0 && facts.watch ? await execute(planWatch(facts), false) : health;
  },
};

async function reportHealth(mode: Mode, vars: Vars): Promise<number> {
  if (await reportUnhealthy(mode, vars)) return 1;
  console.log(`All ${expectedServices(mode).length} containers are healthy (${mode} mode).`);
  for (const line of upSummary(mode, vars)) console.log(line);
  return 0;
}

/** Names the containers that are not healthy, with a hint for the Agent; true if any. */
async function reportUnhealthy(mode: Mode, vars: Vars): Promise<boolean> {
  const containers = await running();
  const bad = unhealthy(containers, expectedServices(mode));
  if (bad.length === 0) return false;
  log(`Not healthy: ${bad.join(", ")}. See: deno task compose:logs ${bad[0]}`);
  // Only an Agent whose own check failed (not one still starting) points at its key.
  const failedChecks = containers.filter((c) => c.health === "unhealthy").map((c) => c.service);
  const hint = agentHealthHint(failedChecks, vars);
  if (hint) log(hint);
  return true;
}

const down: Command = {
  description: "Stop the stack (--volumes also removes volumes)",
  help: `Usage: deno task compose:down [--volumes] [--dry-run]

Stops and removes every container of the stack, in either mode. Safe to run again.

Options:
  --volumes    also remove the volumes (the Agent's log positions)
  --dry-run    print the plan instead of running it`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { volumes: { type: "boolean" }, "dry-run": { type: "boolean" } },
    });
    const dryRun = values["dry-run"] ?? false;
    if (!(await prerequisitesMet(dryRun))) return 1;
    return await execute(planDown({ volumes: values.volumes }), dryRun);
  },
};

const logs: Command = {
  description: "Follow the logs of the stack or of one service",
  help: `Usage: deno task compose:logs [service] [--no-follow] [--tail N] [--dry-run]

Services: ${ALL_SERVICES.join(", ")}

Options:
  --no-follow  print and exit instead of following
  --tail N     lines of history per container (default 100)
  --dry-run    print the plan instead of running it`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        "no-follow": { type: "boolean" },
        tail: { type: "string", default: "100" },
        "dry-run": { type: "boolean" },
      },
    });
    if (positionals.length > 1) {
      log("Expected at most one service name. See --help.");
      return 1;
    }
    const tail = Number(values.tail);
    if (!Number.isInteger(tail) || tail < 0) {
      log(`--tail expects a whole number, got '${values.tail}'`);
      return 1;
    }
    let plan: Step[];
    try {
      plan = planLogs(positionals[0], { follow: !values["no-follow"], tail });
    } catch (error) {
      log((error as Error).message);
      return 1;
    }
    const dryRun = values["dry-run"] ?? false;
    if (!(await prerequisitesMet(dryRun))) return 1;
    return await execute(plan, dryRun);
  },
};

const status: Command = {
  description: "Show the state and health of the Compose services",
  help: `Usage: deno task compose:status [--dry-run]

Lists every container of the stack with its state and health.`,
  async run(args) {
    const { values } = parseArgs({ args, options: { "dry-run": { type: "boolean" } } });
    const dryRun = values["dry-run"] ?? false;
    if (!(await prerequisitesMet(dryRun))) return 1;
    return await execute(planStatus(), dryRun);
  },
};

/** The commands of `deno task compose:*`. */
export const COMMANDS: Record<string, Command> = { up, down, logs, status };

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    "Usage: deno task compose:<command> [options]   (each command has --help)",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.description}`),
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  // compose.yaml, .env, VERSION are found from the repository root wherever this is started.
  Deno.chdir(REPO_ROOT);
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    log(`Unknown command '${name}'.\n${usage()}`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    log(`compose ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
