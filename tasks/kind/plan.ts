/**
 * Pure planners for `deno task kind:*`: each turns what was observed (a cluster exists, a
 * Datadog key is set, …) into the list of commands to run, so the plans are unit-tested
 * and shown with `--dry-run`. `tasks/kind.ts` gathers the facts and runs the plans.
 *
 * Secret values only ever travel in a step's `stdin` (an env file read by
 * `kubectl create secret --from-env-file=/dev/stdin`), never in a command line.
 */
import type { Step } from "../lib/plan.ts";

/** The services, each a Deployment and a Service in {@linkcode APP_NAMESPACE}. */
export { type ServiceName, SERVICES } from "../lib/topology.ts";
import { type ServiceName, SERVICES, STAND_IN_JIRA_ACCOUNT } from "../lib/topology.ts";

/** Namespace of the services. */
export const APP_NAMESPACE = "dd-demo";
/** Namespace of the Datadog Agent (or of the local Agent stand-in). */
export const AGENT_NAMESPACE = "datadog";
/** Cluster name when KIND_CLUSTER_NAME is not set. */
export const DEFAULT_CLUSTER_NAME = "dd-payments-kind";
/** The image holding every service (tag: the VERSION file). */
export const IMAGE_NAME = "demo-services";
/** Where the kind overlay's NodePort is mapped on the machine running kind. */
export const WEB_URL = "http://localhost:8080";
/** The Datadog site when DD_SITE is not set. */
export const DEFAULT_SITE = "datadoghq.eu";

/** Files and folders the plans refer to, relative to the repository root. */
export const PATHS = {
  kindConfig: "kind/cluster.yaml",
  overlay: "k8s/overlays/kind",
  localAgent: "k8s/local-agent",
  jiraStandIn: "k8s/jira-stand-in",
  datadogValues: "helm/datadog-values.yaml",
} as const;

/** The official Datadog chart, pinned to the version whose keys helm/chart-keys.json lists. */
export const DATADOG_CHART = {
  repoName: "datadog",
  repoUrl: "https://helm.datadoghq.com",
  chart: "datadog/datadog",
  version: "3.81.0",
  release: "datadog",
} as const;

/** Secret names: each is referenced only by the pods that need it. */
export const SECRETS = {
  /** web-frontend only: SESSION_SECRET and the RUM settings. */
  web: "web-frontend-secrets",
  /** jira-poller only: the Jira site, account and API token. */
  jira: "jira-poller-secrets",
  /** The Datadog chart (`datadog.apiKeyExistingSecret`), key `api-key`. */
  datadog: "datadog-secret",
} as const;

/** The Secret each service reads, for the services that have one. */
const SERVICE_SECRETS: Partial<Record<ServiceName, string>> = {
  "web-frontend": SECRETS.web,
  "jira-poller": SECRETS.jira,
};

/** Variables copied from the environment into each Secret (when set). */
export const WEB_SECRET_KEYS = [
  "SESSION_SECRET",
  "DD_RUM_CLIENT_TOKEN",
  "DD_RUM_APPLICATION_ID",
  "DD_RUM_SITE",
  // Not secret, but the browser SDKs' other settings travel with the rest, as in Compose.
  "DD_RUM_SERVICE",
  "DD_RUM_ENV",
  "DD_RUM_VERSION",
  "DD_RUM_SESSION_SAMPLE_RATE",
  "DD_RUM_SESSION_REPLAY_SAMPLE_RATE",
] as const;
export const JIRA_SECRET_KEYS = ["JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN"] as const;

/** How long to wait for a rollout before calling it failed. */
export const ROLLOUT_TIMEOUT = "180s";

/** Thrown for bad input (a name, a variable); the message says what was wrong. */
export class KindTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KindTaskError";
  }
}

/** The kubectl context kind creates for a cluster. */
export function kubeContext(cluster: string): string {
  return `kind-${cluster}`;
}

/** A kubectl command line against a cluster's context. */
function kubectl(context: string, ...args: string[]): string[] {
  return ["kubectl", "--context", context, ...args];
}

/** The image reference built and loaded into the nodes. */
export function imageRef(version: string): string {
  return `${IMAGE_NAME}:${version}`;
}

/**
 * The cluster name from KIND_CLUSTER_NAME (default {@linkcode DEFAULT_CLUSTER_NAME}). It is
 * also the Agent's `datadog.clusterName`, so it must meet both tools' rules.
 */
export function clusterNameFrom(env: Record<string, string | undefined>): string {
  const name = env.KIND_CLUSTER_NAME || DEFAULT_CLUSTER_NAME;
  // The Datadog chart's datadog.clusterName rules, within 40 characters (the part length the
  // chart's checks allow, and short enough for kind's node container names).
  if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(name)) {
    throw new KindTaskError(
      "Cannot use KIND_CLUSTER_NAME: expected lowercase letters, digits and hyphens, " +
        "starting with a letter and ending with a letter or digit, at most 40 characters",
    );
  }
  return name;
}

/** `name` as a service name, or an error listing the valid ones. */
export function parseService(name: string | undefined): ServiceName {
  if (name === undefined || name === "") {
    throw new KindTaskError(`Missing service name: expected one of ${SERVICES.join(", ")}`);
  }
  if (!(SERVICES as readonly string[]).includes(name)) {
    throw new KindTaskError(
      `Unknown service '${name}': expected one of ${SERVICES.join(", ")}`,
    );
  }
  return name as ServiceName;
}

/** Where the Agent comes from: the Datadog chart (with a key) or the local stand-in. */
export type AgentChoice =
  | { kind: "datadog"; apiKey: string; site: string }
  | { kind: "local" };

/** What `kind:up` deploys with, read from the environment (values are not validated here). */
export interface DeploySettings {
  agent: AgentChoice;
  /** Env-file entries of {@linkcode SECRETS.web}. */
  web: Record<string, string>;
  /**
   * Env-file entries of {@linkcode SECRETS.jira}: JIRA_* from the environment with a key, the
   * Jira stand-in's account without one (as `compose:up` does in local mode).
   */
  jira: Record<string, string>;
  /** Where SESSION_SECRET came from, for the progress output (never its value). */
  sessionSecretSource: "environment" | "cluster" | "generated";
}

/**
 * Reads the deploy settings from `env`. SESSION_SECRET, when unset, keeps the cluster's
 * current one (`existingSessionSecret`) so that re-running `kind:up` does not sign users
 * out, else a new one from `generateSecret`. Errors name the variable, never its value.
 */
export function settingsFrom(
  env: Record<string, string | undefined>,
  options: { existingSessionSecret?: string; generateSecret: () => string },
): DeploySettings {
  const pick = (keys: readonly string[]) =>
    Object.fromEntries(
      keys.flatMap((key) => (env[key] ? [[key, env[key] as string]] : [])),
    );
  const web = pick(WEB_SECRET_KEYS);
  let sessionSecretSource: DeploySettings["sessionSecretSource"] = "environment";
  if (!web.SESSION_SECRET) {
    if (options.existingSessionSecret) {
      web.SESSION_SECRET = options.existingSessionSecret;
      sessionSecretSource = "cluster";
    } else {
      web.SESSION_SECRET = options.generateSecret();
      sessionSecretSource = "generated";
    }
  } else if (web.SESSION_SECRET.length < 32) {
    throw new KindTaskError("Cannot use SESSION_SECRET: expected at least 32 characters");
  }
  if (!web.DD_RUM_SITE && env.DD_SITE) web.DD_RUM_SITE = env.DD_SITE;
  const apiKey = env.DD_API_KEY || env.DATADOG_API_KEY;
  const jira: Record<string, string> = apiKey
    ? pick(JIRA_SECRET_KEYS)
    : { ...STAND_IN_JIRA_ACCOUNT };
  for (const [key, value] of Object.entries({ ...web, ...jira })) {
    if (/[\r\n]/.test(value)) throw new KindTaskError(`Cannot use ${key}: it spans lines`);
  }

  const site = env.DD_SITE || DEFAULT_SITE;
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(site)) {
    throw new KindTaskError("Cannot use DD_SITE: expected a host name such as datadoghq.eu");
  }
  if (apiKey && !/^[A-Za-z0-9]+$/.test(apiKey)) {
    throw new KindTaskError("Cannot use DD_API_KEY: expected letters and digits only");
  }
  return {
    agent: apiKey ? { kind: "datadog", apiKey, site } : { kind: "local" },
    web,
    jira,
    sessionSecretSource,
  };
}

/** What the machine lacks to run `kind:up`, one line per problem (empty: ready). */
export function missingPrerequisites(
  facts: { tools: Record<string, boolean>; dockerRunning: boolean },
): string[] {
  const missing = Object.entries(facts.tools).filter(([, found]) => !found).map(([n]) => n);
  const problems: string[] = [];
  if (missing.length) {
    problems.push(
      `Not found on PATH: ${missing.join(", ")} (install them: docker, kind, kubectl and ` +
        "helm; `deno task setup` installs kubectl into .tools/bin)",
    );
  }
  if (facts.tools.docker !== false && !facts.dockerRunning) {
    problems.push("The Docker daemon is not running (`docker info` failed): start it first");
  }
  return problems;
}

/** The observed state `kind:up` plans from. */
export interface UpFacts {
  cluster: string;
  clusterExists: boolean;
  /** The VERSION file: image tag. */
  version: string;
  /** The .deno-version file: the image's Deno. */
  denoVersion: string;
  settings: DeploySettings;
  /** A Datadog chart release is installed (removed when switching to the stand-in). */
  datadogReleaseInstalled: boolean;
}

/** Plans `kind:up`: every step is safe to repeat. */
export function planUp(facts: UpFacts): Step[] {
  const { cluster, settings } = facts;
  const context = kubeContext(cluster);
  const steps: Step[] = [];
  if (!facts.clusterExists) {
    steps.push({
      title: `Create kind cluster ${cluster} (1 control-plane, 2 workers)`,
      command: ["kind", "create", "cluster", "--name", cluster, "--config", PATHS.kindConfig],
    });
  }
  steps.push(...planImage(cluster, facts.version, facts.denoVersion));
  for (const namespace of [APP_NAMESPACE, AGENT_NAMESPACE]) {
    steps.push(
      applyGenerated(context, `Namespace ${namespace}`, ["create", "namespace", namespace]),
    );
  }
  steps.push(secretStep(context, APP_NAMESPACE, SECRETS.web, settings.web));
  steps.push(secretStep(context, APP_NAMESPACE, SECRETS.jira, settings.jira));

  const agentNs = ["--namespace", AGENT_NAMESPACE];
  if (settings.agent.kind === "datadog") {
    steps.push(
      secretStep(context, AGENT_NAMESPACE, SECRETS.datadog, { "api-key": settings.agent.apiKey }),
      {
        title: "Remove the Jira stand-in, if any (jira-poller uses JIRA_* from the environment)",
        command: kubectl(context, "delete", "-k", PATHS.jiraStandIn, "--ignore-not-found"),
      },
      {
        title: "Remove the local Agent stand-in, if any (it holds the same host ports)",
        command: kubectl(
          context,
          ...agentNs,
          "delete",
          "daemonset",
          "local-agent",
          "--ignore-not-found",
        ),
      },
      {
        title: "Add the Datadog Helm repository",
        command: [
          "helm",
          "repo",
          "add",
          DATADOG_CHART.repoName,
          DATADOG_CHART.repoUrl,
          "--force-update",
        ],
      },
      {
        title: "Update the Datadog Helm repository",
        command: ["helm", "repo", "update", DATADOG_CHART.repoName],
      },
      {
        title: `Install the Datadog Agent (chart ${DATADOG_CHART.version}) and wait for it`,
        command: [
          "helm",
          "upgrade",
          "--install",
          DATADOG_CHART.release,
          DATADOG_CHART.chart,
          "--version",
          DATADOG_CHART.version,
          "--kube-context",
          context,
          ...agentNs,
          "--values",
          PATHS.datadogValues,
          "--set",
          `datadog.site=${settings.agent.site}`,
          "--set",
          `datadog.clusterName=${cluster}`,
          "--wait",
          "--timeout",
          "10m",
        ],
        interactive: true,
      },
    );
  } else {
    if (facts.datadogReleaseInstalled) {
      steps.push({
        title: "Uninstall the Datadog Agent release (no API key set now)",
        command: [
          "helm",
          "uninstall",
          DATADOG_CHART.release,
          "--kube-context",
          context,
          ...agentNs,
          "--wait",
        ],
      });
    }
    steps.push(
      {
        title: "Remove the Datadog API key's Secret, if any (no key set now)",
        command: kubectl(
          context,
          ...agentNs,
          "delete",
          "secret",
          SECRETS.datadog,
          "--ignore-not-found",
        ),
      },
      {
        title: "Deploy the local Agent stand-in",
        command: kubectl(context, "apply", "-k", PATHS.localAgent),
      },
      rolloutStatus(context, AGENT_NAMESPACE, "daemonset/local-agent"),
      {
        title: "Deploy the Jira stand-in (jira-poller's Secret points at it)",
        command: kubectl(context, "apply", "-k", PATHS.jiraStandIn),
      },
      rolloutStatus(context, APP_NAMESPACE, "deployment/jira-stand-in"),
    );
  }

  steps.push({
    title: "Apply the services (k8s/overlays/kind)",
    command: kubectl(context, "apply", "-k", PATHS.overlay),
  });
  // The stand-in cannot read container output as the Agent does: without a key the services
  // send it their log lines themselves. `set env` changes (and rolls) only what differs.
  const local = settings.agent.kind === "local";
  steps.push({
    title: local
      ? "Have the services send their log lines to the local Agent stand-in"
      : "Leave log collection to the Datadog Agent",
    command: kubectl(
      context,
      "--namespace",
      APP_NAMESPACE,
      "set",
      "env",
      ...SERVICES.map((service) => `deployment/${service}`),
      local ? "LOCAL_AGENT_LOGS=true" : "LOCAL_AGENT_LOGS-",
    ),
  });
  steps.push(rollOnChange(context, imageRef(facts.version), [
    ...SERVICES.map((service) => ({
      namespace: APP_NAMESPACE,
      workload: `deployment/${service}`,
      secret: SERVICE_SECRETS[service],
    })),
    ...(local
      ? [
        { namespace: APP_NAMESPACE, workload: "deployment/jira-stand-in" },
        { namespace: AGENT_NAMESPACE, workload: "daemonset/local-agent" },
      ]
      : []),
  ]));
  // Everything the roll may have restarted is waited for, the stand-ins first.
  if (local) {
    steps.push(
      rolloutStatus(context, AGENT_NAMESPACE, "daemonset/local-agent"),
      rolloutStatus(context, APP_NAMESPACE, "deployment/jira-stand-in"),
    );
  }
  for (const service of SERVICES) {
    steps.push(rolloutStatus(context, APP_NAMESPACE, `deployment/${service}`));
  }
  return steps;
}

/** The pod-template annotation that records what a workload's pods were started from. */
const ROLLOUT_STAMP = "dd-payments/rollout-stamp";

/** A workload that runs the image, and the Secret its pods read, if any. */
interface Rollable {
  namespace: string;
  workload: string;
  secret?: string;
}

/**
 * Rolls each workload whose pods are older than the image just loaded or the Secret they
 * read. The image keeps its tag, and Secrets reach pods only when they start, so `apply`
 * alone would leave the old code and settings running. The step stamps each pod template
 * with the image's id and the Secret's resourceVersion (read at run time, never a value):
 * an unchanged stamp changes nothing, a new one rolls that workload only.
 */
function rollOnChange(context: string, image: string, targets: Rollable[]): Step {
  const script = [
    "set -eu",
    "image=$1 ctx=$2; shift 2",
    "id=$(docker image inspect --format '{{.Id}}' \"$image\")",
    'for target in "$@"; do',
    "  ns=${target%%/*} rest=${target#*/}",
    "  workload=${rest%%:*} secret=${rest#*:} stamp=$id",
    '  if [ "$secret" != "$rest" ]; then',
    '    version=$(kubectl --context "$ctx" --namespace "$ns" get secret "$secret" \\',
    "      -o 'jsonpath={.metadata.resourceVersion}')",
    '    stamp="$stamp.secret-$version"',
    "  fi",
    '  kubectl --context "$ctx" --namespace "$ns" patch "$workload" --type merge -p \\',
    `    "{\\"spec\\":{\\"template\\":{\\"metadata\\":{\\"annotations\\":{\\"${ROLLOUT_STAMP}\\":\\"$stamp\\"}}}}}"`,
    "done",
  ].join("\n");
  return {
    title: "Roll the workloads whose image or Secret changed since their pods started",
    command: [
      "sh",
      "-c",
      script,
      "sh",
      image,
      context,
      ...targets.map((t) => `${t.namespace}/${t.workload}${t.secret ? `:${t.secret}` : ""}`),
    ],
  };
}

/** Plans `kind:down`: nothing when the cluster is already gone. */
export function planDown(facts: { cluster: string; clusterExists: boolean }): Step[] {
  if (!facts.clusterExists) return [];
  return [{
    title: `Delete kind cluster ${facts.cluster}`,
    command: ["kind", "delete", "cluster", "--name", facts.cluster],
  }];
}

/** Plans `kind:status`: nodes, pods of both namespaces, Warning events (kept about an hour). */
export function planStatus(cluster: string): Step[] {
  const context = kubeContext(cluster);
  return [
    { title: "Nodes", command: kubectl(context, "get", "nodes", "-o", "wide"), interactive: true },
    {
      title: `Pods in ${APP_NAMESPACE}`,
      command: kubectl(context, "--namespace", APP_NAMESPACE, "get", "pods", "-o", "wide"),
      interactive: true,
    },
    {
      title: `Pods in ${AGENT_NAMESPACE}`,
      command: kubectl(context, "--namespace", AGENT_NAMESPACE, "get", "pods", "-o", "wide"),
      interactive: true,
    },
    {
      title: "Recent Warning events",
      command: kubectl(
        context,
        "get",
        "events",
        "--all-namespaces",
        "--field-selector",
        "type=Warning",
        "--sort-by",
        ".lastTimestamp",
      ),
      interactive: true,
    },
  ];
}

/** Plans `kind:logs`: every pod of the service, prefixed with the pod's name. */
export function planLogs(
  cluster: string,
  service: ServiceName,
  options: { follow: boolean; tail: number },
): Step[] {
  return [{
    title: `Logs of ${service}`,
    command: kubectl(
      kubeContext(cluster),
      "--namespace",
      APP_NAMESPACE,
      "logs",
      "--selector",
      `app.kubernetes.io/name=${service}`,
      "--prefix",
      `--tail=${options.tail}`,
      "--max-log-requests=10",
      ...(options.follow ? ["--follow"] : []),
    ),
    interactive: true,
  }];
}

/** Plans `kind:redeploy`: rebuild and reload the image, restart one service, wait. */
export function planRedeploy(
  facts: { cluster: string; version: string; denoVersion: string; service: ServiceName },
): Step[] {
  const context = kubeContext(facts.cluster);
  return [
    ...planImage(facts.cluster, facts.version, facts.denoVersion),
    {
      title: `Restart ${facts.service}`,
      command: kubectl(
        context,
        "--namespace",
        APP_NAMESPACE,
        "rollout",
        "restart",
        `deployment/${facts.service}`,
      ),
    },
    rolloutStatus(context, APP_NAMESPACE, `deployment/${facts.service}`),
  ];
}

function planImage(cluster: string, version: string, denoVersion: string): Step[] {
  const image = imageRef(version);
  return [
    {
      title: `Build image ${image} (Deno ${denoVersion})`,
      command: [
        "docker",
        "build",
        "--tag",
        image,
        "--build-arg",
        `DENO_VERSION=${denoVersion}`,
        ".",
      ],
      interactive: true,
    },
    {
      title: `Load ${image} into the cluster's nodes`,
      command: ["kind", "load", "docker-image", image, "--name", cluster],
    },
  ];
}

function rolloutStatus(context: string, namespace: string, resource: string): Step {
  return {
    title: `Wait for ${resource} (${namespace})`,
    command: kubectl(
      context,
      "--namespace",
      namespace,
      "rollout",
      "status",
      resource,
      `--timeout=${ROLLOUT_TIMEOUT}`,
    ),
    interactive: true,
  };
}

/** `kubectl create … --dry-run=client -o yaml | kubectl apply -f -`: create or update. */
function applyGenerated(
  context: string,
  what: string,
  createArgs: string[],
  stdin?: string,
): Step {
  const kubectl = `kubectl --context ${context}`;
  return {
    title: `Create or update ${what}`,
    command: [
      "sh",
      "-c",
      `${kubectl} ${createArgs.join(" ")} --dry-run=client -o yaml | ${kubectl} apply -f -`,
    ],
    ...(stdin === undefined ? {} : { stdin }),
  };
}

function secretStep(
  context: string,
  namespace: string,
  name: string,
  entries: Record<string, string>,
): Step {
  const envFile = Object.entries(entries).map(([key, value]) => `${key}=${value}\n`).join("");
  return applyGenerated(
    context,
    `Secret ${name} (${namespace}: ${Object.keys(entries).join(", ") || "no keys"})`,
    ["--namespace", namespace, "create", "secret", "generic", name, "--from-env-file=/dev/stdin"],
    envFile,
  );
}
