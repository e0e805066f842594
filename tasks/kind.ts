/**
 * `deno task kind:<command>`: the kind cluster target. Each command gathers facts (does the
 * cluster exist, is a Datadog key set, …), asks a pure planner in `kind/plan.ts` for the
 * steps and runs them with progress lines; `--dry-run` prints the plan instead.
 *
 *   up        create the cluster if missing, install the Agent, build/load the image, deploy
 *   down      delete the cluster (asks first; --yes to skip)
 *   status    nodes, pods and recent Warning events
 *   logs      logs of one service's pods
 *   redeploy  rebuild and reload the image, restart one service
 *   validate  render the kustomizations and check them against the Kubernetes schemas
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { join } from "node:path";
import { probe, runPlan, StepFailedError } from "./lib/plan.ts";
import { findTool, REPO_ROOT, TOOLS_BIN } from "./lib/tools.ts";
import { environmentWithDotenv } from "./lib/dotenv.ts";
import {
  AGENT_NAMESPACE,
  APP_NAMESPACE,
  clusterNameFrom,
  DATADOG_CHART,
  KindTaskError,
  kubeContext,
  missingPrerequisites,
  parseService,
  planDown,
  planLogs,
  planRedeploy,
  planStatus,
  planUp,
  SECRETS,
  settingsFrom,
  WEB_URL,
} from "./kind/plan.ts";

interface Command {
  description: string;
  usage: string;
  help: string;
  run(args: string[], env: Env): Promise<number>;
}

/** The variables a command reads: `.env` (or `--env-file`) under the process environment. */
type Env = Record<string, string | undefined>;

const DRY_RUN_HELP = "  --dry-run   print the plan and change nothing\n" +
  "  --env-file FILE  read the variables from FILE instead of .env (the environment wins)\n";

const commands: Record<string, Command> = {
  up: {
    description: "Create the cluster, install the Datadog Agent and deploy the services",
    usage: "kind:up [--dry-run] [--env-file FILE]",
    help: `Reads .env at the repository root as compose:up does (the environment wins), creates
kind cluster $KIND_CLUSTER_NAME (default dd-payments-kind) if it is not there, builds
demo-services:<VERSION> and loads it into the nodes, creates the namespaces and the Secrets
(from SESSION_SECRET, the DD_RUM_* settings, JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN),
installs the Datadog Agent with Helm when DD_API_KEY (or DATADOG_API_KEY) is set (site:
DD_SITE), or otherwise the local Agent stand-in and the Jira stand-in (jira-poller then uses
the stand-in's account, not JIRA_*), applies k8s/overlays/kind, rolls what runs an older
image or Secret, and waits for every rollout. Safe to run again.

Options:
${DRY_RUN_HELP}`,
    run: up,
  },
  down: {
    description: "Delete the cluster (asks first)",
    usage: "kind:down [--yes] [--dry-run]",
    help: `Deletes kind cluster $KIND_CLUSTER_NAME and everything in it.

Options:
  --yes, -y   do not ask
${DRY_RUN_HELP}`,
    run: down,
  },
  status: {
    description: "Show nodes, pods and recent Warning events",
    usage: "kind:status",
    help: "Shows the nodes, the pods of dd-demo and datadog, and the Warning events of the\n" +
      "last hour (Kubernetes keeps events for about an hour).\n",
    run: status,
  },
  logs: {
    description: "Follow the logs of one service's pods",
    usage: "kind:logs <service> [--no-follow] [--tail N]",
    help: `Prints the logs of every pod of <service>, each line prefixed with its pod.

Options:
  --no-follow  print and exit instead of following
  --tail N     lines of history per pod (default 100)
`,
    run: logs,
  },
  redeploy: {
    description: "Rebuild and load the image, then restart one service",
    usage: "kind:redeploy <service> [--dry-run]",
    help: `Builds demo-services:<VERSION>, loads it into the nodes, restarts <service> and waits
for its rollout.

Options:
${DRY_RUN_HELP}`,
    run: redeploy,
  },
  validate: {
    description: "Render the manifests and check them against the Kubernetes schemas",
    usage: "kind:validate   (run as: deno run -A tasks/kind.ts validate)",
    help: `Renders k8s/base, k8s/overlays/kind, k8s/local-agent and k8s/jira-stand-in with
kubectl kustomize (no cluster needed) and validates every object, unknown fields included.
`,
    run: validate,
  },
};

function parse(args: string[], options: ParseArgsConfig["options"] = {}) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new KindTaskError(error instanceof Error ? error.message : String(error));
  }
}

const dryRunOption = { "dry-run": { type: "boolean" as const } };

/** The tools the tasks drive are looked up on PATH, then in `.tools/bin`. */
function useToolsFolder(): void {
  Deno.env.set("PATH", [Deno.env.get("PATH"), TOOLS_BIN].filter(Boolean).join(":"));
}

async function readRepoFile(name: string): Promise<string> {
  try {
    return (await Deno.readTextFile(join(REPO_ROOT, name))).trim();
  } catch {
    throw new KindTaskError(`Cannot read ${name} at the repository root`);
  }
}

async function clusterExists(cluster: string): Promise<boolean> {
  const { code, stdout } = await probe(["kind", "get", "clusters"]);
  if (code !== 0) throw new KindTaskError("Cannot list kind clusters (`kind get clusters` failed)");
  return stdout.split("\n").map((line) => line.trim()).includes(cluster);
}

async function requireCluster(cluster: string): Promise<void> {
  if (!findTool("kind")) throw new KindTaskError("Not found on PATH: kind");
  if (!(await clusterExists(cluster))) {
    throw new KindTaskError(
      `Cluster ${cluster} does not exist: create it with \`deno task kind:up\``,
    );
  }
}

/** The SESSION_SECRET of the deployed web-frontend, so a re-run keeps sessions valid. */
async function existingSessionSecret(cluster: string): Promise<string | undefined> {
  const { code, stdout } = await probe([
    "kubectl",
    "--context",
    kubeContext(cluster),
    "--namespace",
    APP_NAMESPACE,
    "get",
    "secret",
    SECRETS.web,
    "-o",
    "jsonpath={.data.SESSION_SECRET}",
  ]);
  if (code !== 0 || !stdout.trim()) return undefined;
  try {
    const bytes = Uint8Array.from(atob(stdout.trim()), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined; // Unreadable: a new one is generated instead.
  }
}

function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function up(args: string[], env: Env): Promise<number> {
  const { values } = parse(args, dryRunOption);
  const dryRun = Boolean(values["dry-run"]);
  const cluster = clusterNameFrom(env);
  const version = await readRepoFile("VERSION");
  const denoVersion = await readRepoFile(".deno-version");
  const keySet = Boolean(env.DD_API_KEY || env.DATADOG_API_KEY);

  // helm is needed only to install the Datadog chart.
  const tools = Object.fromEntries(
    ["docker", "kind", "kubectl", ...(keySet ? ["helm"] : [])].map((t) => [t, !!findTool(t)]),
  );
  const dockerRunning = tools.docker ? (await probe(["docker", "info"])).code === 0 : false;
  const problems = missingPrerequisites({ tools, dockerRunning });
  if (problems.length && !dryRun) throw new KindTaskError(`Cannot start: ${problems.join("; ")}`);
  for (const problem of problems) console.error(`warning: ${problem} (planning as if not)`);

  const exists = problems.length ? false : await clusterExists(cluster);
  const settings = settingsFrom(env, {
    existingSessionSecret: exists && !env.SESSION_SECRET
      ? await existingSessionSecret(cluster)
      : undefined,
    generateSecret,
  });
  const datadogReleaseInstalled = settings.agent.kind === "local" && exists &&
    await datadogReleaseExists(cluster);
  if (datadogReleaseInstalled && !findTool("helm") && !dryRun) {
    throw new KindTaskError(
      `Cannot switch cluster ${cluster} to the local Agent stand-in: its Datadog Agent release ` +
        "holds the host ports the stand-in needs, and helm (not found on PATH) is needed to " +
        "remove it. Install helm, or set DD_API_KEY to keep the Datadog Agent.",
    );
  }

  console.error(
    settings.agent.kind === "datadog"
      ? `Datadog Agent: chart ${DATADOG_CHART.chart} ${DATADOG_CHART.version}, site ${settings.agent.site}`
      : "No DD_API_KEY or DATADOG_API_KEY set: deploying the local Agent stand-in " +
        `(namespace ${AGENT_NAMESPACE}) instead of the Datadog Agent, and the Jira stand-in ` +
        "for jira-poller",
  );
  console.error(
    exists
      ? `Cluster ${cluster} exists: keeping it`
      : `Cluster ${cluster} does not exist: creating it`,
  );
  console.error(
    {
      environment: "SESSION_SECRET: from the environment",
      cluster: "SESSION_SECRET unset: keeping the deployed one",
      generated: "SESSION_SECRET unset: generating one",
    }[settings.sessionSecretSource],
  );

  const plan = planUp({
    cluster,
    clusterExists: exists,
    version,
    denoVersion,
    settings,
    datadogReleaseInstalled,
  });
  await runPlan(plan, { dryRun });
  if (!dryRun) {
    console.log(`\nThe demo is up: ${WEB_URL}`);
    if (settings.agent.kind === "local") {
      console.log(
        `Local Agent stand-in: kubectl --context ${kubeContext(cluster)} -n ${AGENT_NAMESPACE} ` +
          "port-forward daemonset/local-agent 8126, then http://localhost:8126",
      );
      console.log(
        `Jira stand-in's tickets: kubectl --context ${kubeContext(cluster)} -n ${APP_NAMESPACE} ` +
          "port-forward service/jira-stand-in 8190:8000, then http://localhost:8190/stand-in/issues",
      );
    }
  }
  return 0;
}

/**
 * Whether the Datadog chart's release is installed, read from the release records Helm keeps
 * as Secrets (labels owner=helm, name=<release>), so it is found even where helm is missing.
 */
async function datadogReleaseExists(cluster: string): Promise<boolean> {
  const { code, stdout } = await probe([
    "kubectl",
    "--context",
    kubeContext(cluster),
    "--namespace",
    AGENT_NAMESPACE,
    "get",
    "secret",
    "--selector",
    `owner=helm,name=${DATADOG_CHART.release}`,
    "--output",
    "name",
  ]);
  return code === 0 && stdout.trim() !== "";
}

async function down(args: string[], env: Env): Promise<number> {
  const { values } = parse(args, { ...dryRunOption, yes: { type: "boolean", short: "y" } });
  const cluster = clusterNameFrom(env);
  if (!findTool("kind")) throw new KindTaskError("Not found on PATH: kind");
  const plan = planDown({ cluster, clusterExists: await clusterExists(cluster) });
  if (plan.length === 0) {
    console.error(`Cluster ${cluster} does not exist: nothing to delete`);
    return 0;
  }
  if (!values.yes && !values["dry-run"]) {
    if (!Deno.stdin.isTerminal()) {
      throw new KindTaskError(
        `Refusing to delete cluster ${cluster} without confirmation: pass --yes`,
      );
    }
    if (!confirm(`Delete kind cluster ${cluster} and everything in it?`)) {
      console.error("Kept the cluster");
      return 1;
    }
  }
  await runPlan(plan, { dryRun: Boolean(values["dry-run"]) });
  return 0;
}

async function status(args: string[], env: Env): Promise<number> {
  parse(args);
  const cluster = clusterNameFrom(env);
  await requireCluster(cluster);
  await runPlan(planStatus(cluster));
  return 0;
}

async function logs(args: string[], env: Env): Promise<number> {
  const { values, positionals } = parse(args, {
    "no-follow": { type: "boolean" },
    tail: { type: "string" },
  });
  const service = parseService(positionals[0]);
  const tail = Number(values.tail ?? 100);
  if (!Number.isInteger(tail) || tail < 0) {
    throw new KindTaskError("Cannot use --tail: expected a whole number of lines");
  }
  const cluster = clusterNameFrom(env);
  await requireCluster(cluster);
  await runPlan(planLogs(cluster, service, { follow: !values["no-follow"], tail }));
  return 0;
}

async function redeploy(args: string[], env: Env): Promise<number> {
  const { values, positionals } = parse(args, dryRunOption);
  const service = parseService(positionals[0]);
  const cluster = clusterNameFrom(env);
  await requireCluster(cluster);
  const plan = planRedeploy({
    cluster,
    service,
    version: await readRepoFile("VERSION"),
    denoVersion: await readRepoFile(".deno-version"),
  });
  await runPlan(plan, { dryRun: Boolean(values["dry-run"]) });
  return 0;
}

async function validate(args: string[]): Promise<number> {
  parse(args);
  // Loaded here only: the schemas are large and no other command needs them.
  const { KUSTOMIZATIONS, renderKustomization, validateObjects } = await import(
    "./kind/manifests.ts"
  );
  let failed = 0;
  for (const dir of KUSTOMIZATIONS) {
    const objects = await renderKustomization(dir);
    const problems = await validateObjects(objects);
    console.log(`${dir}: ${objects.length} objects, ${problems.length} problems`);
    for (const problem of problems) console.log(`  ${problem}`);
    failed += problems.length;
  }
  return failed ? 1 : 0;
}

/** Takes `--env-file FILE` (or `--env-file=FILE`) out of a command's arguments. */
function takeEnvFile(args: string[]): { envFile?: string; args: string[] } {
  const rest: string[] = [];
  let envFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--env-file") {
      envFile = args[++i];
      if (!envFile) throw new KindTaskError("Missing value for --env-file: expected a file");
    } else if (arg.startsWith("--env-file=")) {
      envFile = arg.slice("--env-file=".length);
    } else rest.push(arg);
  }
  return { envFile, args: rest };
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return "Usage: deno task kind:<command> [options]   (--help after a command for more)\n" +
    "Settings come from .env at the repository root (--env-file FILE for another), with the\n" +
    "environment winning over it, as for compose:up.\n\n" +
    Object.entries(commands)
      .map(([name, c]) => `  ${name.padEnd(width)}  ${c.description}`)
      .join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`Unknown command '${name}'\n\n${usage()}`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`Usage: deno task ${command.usage}\n\n${command.help}`);
    return 0;
  }
  useToolsFolder();
  Deno.chdir(REPO_ROOT);
  try {
    const { envFile, args } = takeEnvFile(rest);
    const env = await environmentWithDotenv(envFile, {
      required: envFile !== undefined,
    }).catch((error) => {
      throw new KindTaskError(error.message);
    });
    return await command.run(args, env);
  } catch (error) {
    if (error instanceof KindTaskError) {
      console.error(error.message);
      return 1;
    }
    if (error instanceof StepFailedError) {
      console.error(`\n${error.message}`);
      console.error("See `deno task kind:status` for the cluster's state.");
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
