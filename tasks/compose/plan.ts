/**
 * Pure planners for `deno task compose:*`: each turns what was observed (docker present,
 * daemon running, a Datadog key set, which containers run) into the commands to run, so the
 * plans are unit-tested and shown with `--dry-run`. `tasks/compose.ts` gathers the facts and
 * runs the plans.
 *
 * Secret values only ever travel in a step's environment (which is never printed), never
 * in a command line or a file.
 */
import type { Step } from "../lib/plan.ts";
import { SERVICES, STAND_IN_JIRA_ACCOUNT, STAND_INS } from "../lib/topology.ts";

/** `datadog`: the Datadog Agent container; `local`: the local Agent and Jira stand-ins. */
export type Mode = "datadog" | "local";

/** The Compose file, relative to the repository root. */
export const COMPOSE_FILE = "compose.yaml";
/** The Datadog Agent's Compose service (profile `datadog`). */
export const AGENT_SERVICE = "datadog-agent";
/** Services of each profile, besides the six services that always run. */
export const PROFILE_SERVICES: Record<Mode, readonly string[]> = {
  datadog: [AGENT_SERVICE],
  local: STAND_INS,
};
/** Every Compose service name, for `compose:logs` validation. */
export const ALL_SERVICES: readonly string[] = [...SERVICES, AGENT_SERVICE, ...STAND_INS];
/** Oldest Compose v2 that accepts compose.yaml (watch `sync+restart`, `depends_on.required`). */
export const MIN_COMPOSE_VERSION = "2.24.0";
/** How long `up --wait` waits for every container to be healthy. */
export const WAIT_TIMEOUT_SECONDS = 300;
/** Where the UI is published unless WEB_PORT says otherwise. */
export const DEFAULT_WEB_PORT = "8080";
/** Where the local Agent stand-in's page is published unless LOCAL_AGENT_PORT says otherwise. */
export const DEFAULT_LOCAL_AGENT_PORT = "8126";
/** The Datadog site when DD_SITE is not set. */
export const DEFAULT_SITE = "datadoghq.eu";
/**
 * jira-poller's Jira settings in local mode: the stand-in's account, polled every minute.
 * Fixed so a second `compose:up` changes nothing and recreates no container.
 */
export const STAND_IN_JIRA = {
  ...STAND_IN_JIRA_ACCOUNT,
  JIRA_POLL_INTERVAL_SECONDS: "60",
} as const;
/** Where web-frontend forwards the browser SDKs' batches in local mode. */
export const LOCAL_RUM_PROXY_URL = "http://dd-agent:8126/browser-intake";

/** Variables from the process environment merged over those of `.env` (the process wins). */
export type Vars = Record<string, string | undefined>;

/** The Datadog API key variable that is set, if any (its value is never returned). */
export function apiKeyVariable(vars: Vars): "DD_API_KEY" | "DATADOG_API_KEY" | undefined {
  if (vars.DD_API_KEY?.trim()) return "DD_API_KEY";
  if (vars.DATADOG_API_KEY?.trim()) return "DATADOG_API_KEY";
  return undefined;
}

/** Picks the mode from the variables and says why, for the user. */
export function chooseMode(vars: Vars): { mode: Mode; reason: string } {
  const key = apiKeyVariable(vars);
  if (key) {
    return {
      mode: "datadog",
      reason: `${key} is set: using the Datadog Agent (site ${vars.DD_SITE || DEFAULT_SITE})`,
    };
  }
  return {
    mode: "local",
    reason: "No DD_API_KEY or DATADOG_API_KEY set: using the local Agent stand-in " +
      "(set one in the environment or .env to send to Datadog)",
  };
}

/** What the prerequisite probes found. */
export interface DockerFacts {
  /** Path of the docker CLI, or undefined when not found. */
  docker: string | undefined;
  /** `docker info` succeeded. */
  daemonRunning: boolean;
  /** Output of `docker compose version --short`, or undefined when the plugin is missing. */
  composeVersion: string | undefined;
}

/** Compares dotted versions numerically; a leading `v` and a `-suffix` are ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v.trim().replace(/^v/, "").split("-")[0].split(".").map((p) => parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** Every missing prerequisite, each naming what to install or start; empty when all is there. */
export function missingPrerequisites(facts: DockerFacts): string[] {
  if (!facts.docker) {
    return ["Cannot find 'docker': install Docker Engine or Docker Desktop (with Compose v2)"];
  }
  const problems: string[] = [];
  if (!facts.daemonRunning) {
    problems.push(
      "The Docker daemon is not running (`docker info` failed): start Docker Desktop, or " +
        "`sudo systemctl start docker`, and check that your user may use it",
    );
  }
  if (!facts.composeVersion) {
    problems.push(
      "Compose v2 is missing (`docker compose version` failed): install the docker-compose " +
        "plugin (Docker's `docker-compose-plugin` package, or link .tools/bin/docker-compose " +
        "from `deno task setup` into ~/.docker/cli-plugins/)",
    );
  } else if (compareVersions(facts.composeVersion, MIN_COMPOSE_VERSION) < 0) {
    problems.push(
      `Compose ${facts.composeVersion.trim()} is too old: compose.yaml needs ${MIN_COMPOSE_VERSION} ` +
        "or newer (update Docker Desktop or the docker-compose plugin)",
    );
  }
  return problems;
}

/** One container of `docker compose ps --format json`. */
export interface ContainerState {
  service: string;
  state: string;
  health: string;
}

/** Reads `docker compose ps --format json`: one object per line (2.21+) or one array. */
export function parseComposePs(stdout: string): ContainerState[] {
  const text = stdout.trim();
  if (!text) return [];
  const rows: Record<string, unknown>[] = text.startsWith("[")
    ? JSON.parse(text)
    : text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  return rows.map((row) => ({
    service: String(row.Service ?? ""),
    state: String(row.State ?? ""),
    health: String(row.Health ?? ""),
  }));
}

/** Services of `mode` that are expected to run, in start order. */
export function expectedServices(mode: Mode): string[] {
  return [...PROFILE_SERVICES[mode], ...SERVICES];
}

/** Services that are not running and healthy (a service without a health check counts when running). */
export function unhealthy(containers: readonly ContainerState[], expected: readonly string[]) {
  return expected.filter((service) => {
    const c = containers.find((c) => c.service === service);
    return !c || c.state !== "running" || (c.health !== "" && c.health !== "healthy");
  });
}

/**
 * Says what to check when the Datadog Agent is among the containers whose health check
 * failed: it marks itself unhealthy when Datadog refuses its API key, most often a key of
 * another site than DD_SITE (the default, datadoghq.eu, is not Datadog's own default).
 */
export function agentHealthHint(failedChecks: readonly string[], vars: Vars): string | undefined {
  if (!failedChecks.includes(AGENT_SERVICE)) return undefined;
  const site = vars.DD_SITE?.trim() || DEFAULT_SITE;
  return `The Datadog Agent reports itself unhealthy. Most often Datadog refused its API key: ` +
    `the key must belong to an org on the site in DD_SITE (now ${site}; US1 is datadoghq.com). ` +
    `\`docker compose exec datadog-agent agent status\` shows the forwarder's errors.`;
}

/** The `docker compose` prefix every step shares. */
export function compose(profiles: readonly string[], file = COMPOSE_FILE): string[] {
  return ["docker", "compose", "-f", file, ...profiles.flatMap((p) => ["--profile", p])];
}

/** What `compose:up` plans from. */
export interface UpFacts {
  mode: Mode;
  /** The VERSION file (image tag and DD_VERSION). */
  version: string;
  /** The .deno-version file (the image's base). */
  denoVersion: string;
  /** Containers of this project that run now. */
  running: readonly ContainerState[];
  /** SESSION_SECRET to pass (from the environment, .env, the running container, or new). */
  sessionSecret: string;
  /** Skip the build (`--no-build`). */
  noBuild?: boolean;
  /** Containers get a writable root so `docker compose watch` can sync edits (`--watch`). */
  watch?: boolean;
}

/** The environment every `compose:up` step gets (secrets included; never printed). */
export function upEnvironment(facts: UpFacts): Record<string, string> {
  const env: Record<string, string> = {
    VERSION: facts.version,
    DENO_VERSION: facts.denoVersion,
    SESSION_SECRET: facts.sessionSecret,
  };
  if (facts.mode === "local") {
    Object.assign(env, STAND_IN_JIRA, {
      RUM_PROXY_URL: LOCAL_RUM_PROXY_URL,
      // The stand-in cannot read container output: the services send it their log lines.
      LOCAL_AGENT_LOGS: "true",
    });
  } else {
    // The Datadog Agent reads container output; its trace port has no logs intake.
    env.LOCAL_AGENT_LOGS = "false";
  }
  if (facts.watch) env.READ_ONLY_ROOT = "false";
  return env;
}

/** `compose:up --watch`, after the stack is up: sync edits and restart, rebuild on deps. */
export function planWatch(facts: UpFacts): Step[] {
  return [{
    title: "Watch services/, packages/ and web/src (Ctrl-C stops watching, not the stack)",
    command: [...compose([facts.mode]), "watch", "--no-up"],
    env: upEnvironment({ ...facts, watch: true }),
    interactive: true,
  }];
}

/** `compose:up`: stop the other mode's Agent, build once, start and wait for health. */
export function planUp(facts: UpFacts): Step[] {
  const env = upEnvironment(facts);
  const base = compose([facts.mode]);
  const other: Mode = facts.mode === "local" ? "datadog" : "local";
  const strays = PROFILE_SERVICES[other].filter((s) => facts.running.some((c) => c.service === s));
  const steps: Step[] = [];
  if (strays.length) {
    steps.push({
      title: `Remove the ${other} mode's ${strays.join(" and ")} (both Agents answer as dd-agent)`,
      command: [...compose([other]), "rm", "--stop", "--force", ...strays],
      env,
    });
  }
  if (!facts.noBuild) {
    steps.push({
      title: `Build the image demo-services:${facts.version} (Deno ${facts.denoVersion})`,
      command: [...base, "build", "web-frontend"],
      env,
      interactive: true,
    });
  }
  steps.push({
    title: `Start the ${facts.mode} stack and wait until every service is healthy`,
    command: [
      ...base,
      "up",
      "--detach",
      "--no-build",
      "--remove-orphans",
      "--wait",
      "--wait-timeout",
      String(WAIT_TIMEOUT_SECONDS),
    ],
    env,
    interactive: true,
  });
  return steps;
}

/** `compose:down`: every profile, so whichever Agent ran is stopped too. */
export function planDown(options: { volumes?: boolean } = {}): Step[] {
  return [{
    title: options.volumes ? "Stop the stack and remove its volumes" : "Stop the stack",
    command: [
      ...compose(["*"]),
      "down",
      "--remove-orphans",
      ...(options.volumes ? ["--volumes"] : []),
    ],
    interactive: true,
  }];
}

/** `compose:logs [service]`; throws naming the valid services for an unknown one. */
export function planLogs(
  service: string | undefined,
  options: { follow?: boolean; tail?: number } = {},
): Step[] {
  if (service !== undefined && !ALL_SERVICES.includes(service)) {
    throw new Error(`Unknown service '${service}': expected one of ${ALL_SERVICES.join(", ")}`);
  }
  return [{
    title: service ? `Logs of ${service}` : "Logs of every service",
    command: [
      ...compose(["*"]),
      "logs",
      ...(options.follow === false ? [] : ["--follow"]),
      "--tail",
      String(options.tail ?? 100),
      ...(service ? [service] : []),
    ],
    interactive: true,
  }];
}

/** `compose:status`: state and health of every container of the project. */
export function planStatus(): Step[] {
  return [{
    title: "State and health of the Compose services",
    command: [...compose(["*"]), "ps", "--all"],
    interactive: true,
  }];
}

/** The Datadog web app of a site (`datadoghq.eu` → `https://app.datadoghq.eu`). */
export function datadogAppUrl(site: string): string {
  return /^(datadoghq\.(com|eu)|ddog-gov\.com)$/.test(site)
    ? `https://app.${site}`
    : `https://${site}`;
}

/** Lines telling where to look once the stack is up. */
export function upSummary(mode: Mode, vars: Vars): string[] {
  const web = `http://localhost:${vars.WEB_PORT || DEFAULT_WEB_PORT}`;
  const env = vars.DD_ENV || "dev";
  const lines = [`UI:                 ${web}`];
  if (mode === "local") {
    lines.push(
      `Local Agent page:   http://localhost:${vars.LOCAL_AGENT_PORT || DEFAULT_LOCAL_AGENT_PORT}`,
    );
  } else {
    const app = datadogAppUrl(vars.DD_SITE || DEFAULT_SITE);
    lines.push(
      `APM services:       ${app}/apm/services?env=${env}`,
      `Logs:               ${app}/logs?query=env%3A${env}`,
      `LLM Observability:  ${app}/llm/traces`,
      `Agent status:       docker compose -f ${COMPOSE_FILE} exec ${AGENT_SERVICE} agent status`,
    );
  }
  lines.push(
    "Logs:               deno task compose:logs [service]",
    "Stop:               deno task compose:down",
  );
  return lines;
}
