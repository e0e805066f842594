import assert from "node:assert/strict";
import { formatPlan, type Step } from "../lib/plan.ts";
import {
  clusterNameFrom,
  DATADOG_CHART,
  type DeploySettings,
  KindTaskError,
  missingPrerequisites,
  parseService,
  planDown,
  planLogs,
  planRedeploy,
  planStatus,
  planUp,
  SECRETS,
  SERVICES,
  settingsFrom,
  type UpFacts,
  WEB_SECRET_KEYS,
} from "./plan.ts";

const SESSION = "s".repeat(40);
const localSettings: DeploySettings = {
  agent: { kind: "local" },
  web: { SESSION_SECRET: SESSION },
  jira: {},
  sessionSecretSource: "environment",
};
const facts = (overrides: Partial<UpFacts> = {}): UpFacts => ({
  cluster: "demo",
  clusterExists: false,
  version: "1.2.3",
  denoVersion: "2.9.6",
  settings: localSettings,
  datadogReleaseInstalled: false,
  ...overrides,
});
const lines = (plan: Step[]) => plan.map((s) => s.command.join(" "));
const noSecret = () => {
  throw new Error("must not generate");
};

Deno.test("planUp() creates the cluster, builds and loads the image, then deploys and waits", () => {
  const plan = lines(planUp(facts()));
  assert.equal(plan[0], "kind create cluster --name demo --config kind/cluster.yaml");
  assert.equal(plan[1], "docker build --tag demo-services:1.2.3 --build-arg DENO_VERSION=2.9.6 .");
  assert.equal(plan[2], "kind load docker-image demo-services:1.2.3 --name demo");
  const apply = plan.indexOf("kubectl --context kind-demo apply -k k8s/overlays/kind");
  const waits = plan.filter((l) =>
    SERVICES.some((s) => l.includes(`rollout status deployment/${s} `))
  );
  assert.equal(waits.length, SERVICES.length);
  assert.ok(plan.indexOf(waits[0]) > apply, "waits come after the apply");
  const secrets = plan.findIndex((l) => l.includes("create secret generic"));
  assert.ok(secrets > 2 && secrets < apply, "secrets exist before the pods that read them");
});

Deno.test("planUp() skips cluster creation when the cluster exists", () => {
  assert.ok(
    !lines(planUp(facts({ clusterExists: true }))).some((l) => l.startsWith("kind create")),
  );
});

Deno.test("planUp() without a key deploys the local Agent stand-in and no Helm release", () => {
  const plan = lines(planUp(facts()));
  assert.ok(plan.includes("kubectl --context kind-demo apply -k k8s/local-agent"));
  const standIn = plan.indexOf("kubectl --context kind-demo apply -k k8s/jira-stand-in");
  assert.ok(standIn > 0, "the Jira stand-in is deployed too");
  assert.equal(
    plan[standIn + 1],
    "kubectl --context kind-demo --namespace dd-demo rollout status deployment/jira-stand-in " +
      "--timeout=180s",
  );
  assert.ok(!plan.some((l) => l.startsWith("helm")));
  const logs = plan.find((l) => l.includes(" set env "));
  assert.ok(logs?.endsWith(" LOCAL_AGENT_LOGS=true"), "the services send the stand-in their logs");
  assert.ok(
    plan.indexOf(logs!) > plan.indexOf("kubectl --context kind-demo apply -k k8s/overlays/kind"),
  );
  for (const service of SERVICES) assert.ok(logs!.includes(`deployment/${service} `));
  const withRelease = lines(planUp(facts({ clusterExists: true, datadogReleaseInstalled: true })));
  assert.ok(withRelease.some((l) => l.startsWith("helm uninstall datadog")));
});

Deno.test("planUp() with a key installs the pinned chart with site and cluster name set", () => {
  const settings: DeploySettings = {
    ...localSettings,
    agent: { kind: "datadog", apiKey: "k3y", site: "datadoghq.com" },
  };
  const plan = planUp(facts({ settings }));
  const install = plan.find((s) => s.command.includes("upgrade"));
  assert.ok(install);
  const args = install.command;
  assert.equal(args[args.indexOf("--version") + 1], DATADOG_CHART.version);
  assert.equal(args[args.indexOf("--values") + 1], "helm/datadog-values.yaml");
  assert.ok(args.includes("datadog.site=datadoghq.com"));
  assert.ok(args.includes("datadog.clusterName=demo"));
  assert.ok(!lines(plan).some((l) => l.includes("k8s/local-agent")));
  assert.ok(
    lines(plan).includes(
      "kubectl --context kind-demo delete -k k8s/jira-stand-in --ignore-not-found",
    ),
    "a Jira stand-in left from a run without a key is removed",
  );
  assert.ok(!lines(plan).includes("kubectl --context kind-demo apply -k k8s/jira-stand-in"));
  assert.ok(
    lines(plan).find((l) => l.includes(" set env "))?.endsWith(" LOCAL_AGENT_LOGS-"),
    "the Agent reads container output: the services stop sending their lines",
  );
  const keyStep = plan.find((s) => s.title.includes(SECRETS.datadog));
  assert.equal(keyStep?.stdin, "api-key=k3y\n");
});

Deno.test("planUp() passes secret values on stdin only, never in a command or the printed plan", () => {
  const settings: DeploySettings = {
    agent: { kind: "datadog", apiKey: "APIKEYVALUE", site: "datadoghq.eu" },
    web: { SESSION_SECRET: SESSION, DD_RUM_CLIENT_TOKEN: "pubTOKENVALUE" },
    jira: { JIRA_API_TOKEN: "JIRATOKENVALUE" },
    sessionSecretSource: "environment",
  };
  const plan = planUp(facts({ settings }));
  const printed = formatPlan(plan);
  for (const value of [SESSION, "pubTOKENVALUE", "JIRATOKENVALUE", "APIKEYVALUE"]) {
    assert.ok(!printed.includes(value), "the printed plan shows no secret");
    assert.ok(!plan.some((s) => s.command.some((a) => a.includes(value))), "argv has no secret");
    assert.ok(plan.some((s) => s.stdin?.includes(value)), "the value reaches kubectl's stdin");
  }
  const jira = plan.find((s) => s.title.includes(SECRETS.jira));
  assert.equal(jira?.stdin, "JIRA_API_TOKEN=JIRATOKENVALUE\n");
});

Deno.test("settingsFrom() picks the agent, keeps the deployed session secret and names bad variables", () => {
  const local = settingsFrom({}, { existingSessionSecret: SESSION, generateSecret: noSecret });
  assert.deepEqual(local.agent, { kind: "local" });
  assert.equal(local.web.SESSION_SECRET, SESSION);
  assert.equal(local.sessionSecretSource, "cluster");

  const fresh = settingsFrom({ DATADOG_API_KEY: "abc" }, { generateSecret: () => "g".repeat(64) });
  assert.deepEqual(fresh.agent, { kind: "datadog", apiKey: "abc", site: "datadoghq.eu" });
  assert.equal(fresh.sessionSecretSource, "generated");

  const env = {
    SESSION_SECRET: SESSION,
    JIRA_API_TOKEN: "t",
    DD_SITE: "us5.datadoghq.com",
    DD_API_KEY: "abc",
  };
  const fromEnv = settingsFrom(env, { generateSecret: noSecret });
  assert.deepEqual(fromEnv.jira, { JIRA_API_TOKEN: "t" });
  assert.equal(fromEnv.web.DD_RUM_SITE, "us5.datadoghq.com");

  // Without a key, as in compose's local mode, jira-poller talks to the Jira stand-in.
  const standIn = settingsFrom({ ...env, DD_API_KEY: "" }, { generateSecret: noSecret });
  assert.deepEqual(standIn.jira, {
    JIRA_BASE_URL: "http://jira-stand-in:8000",
    JIRA_EMAIL: "demo@example.com",
    JIRA_API_TOKEN: "stand-in-token",
  });

  assert.throws(
    () => settingsFrom({ SESSION_SECRET: "short" }, { generateSecret: noSecret }),
    /SESSION_SECRET: expected at least 32 characters/,
  );
  assert.throws(
    () => settingsFrom({ DD_SITE: "evil site/" }, { generateSecret: () => SESSION }),
    /DD_SITE/,
  );
  assert.throws(
    () => settingsFrom({ DD_API_KEY: "a b" }, { generateSecret: () => SESSION }),
    (e: unknown) => e instanceof KindTaskError && !e.message.includes("a b"),
  );
});

Deno.test("clusterNameFrom() defaults to dd-payments-kind and rejects names kind or Datadog refuse", () => {
  assert.equal(clusterNameFrom({}), "dd-payments-kind");
  assert.equal(clusterNameFrom({ KIND_CLUSTER_NAME: "my-demo-2" }), "my-demo-2");
  assert.throws(() => clusterNameFrom({ KIND_CLUSTER_NAME: "Bad_Name" }), /KIND_CLUSTER_NAME/);
  assert.equal(clusterNameFrom({ KIND_CLUSTER_NAME: `a${"b".repeat(39)}` }).length, 40);
  assert.throws(() => clusterNameFrom({ KIND_CLUSTER_NAME: `a${"b".repeat(40)}` }), /40/);
  assert.throws(() => clusterNameFrom({ KIND_CLUSTER_NAME: "ends-with-" }), /KIND_CLUSTER_NAME/);
});

Deno.test("parseService() accepts the six services and lists them for anything else", () => {
  assert.equal(parseService("jira-poller"), "jira-poller");
  assert.throws(() => parseService("web"), /Unknown service 'web': expected one of web-frontend/);
  assert.throws(() => parseService(undefined), /Missing service name/);
});

Deno.test("missingPrerequisites() names every missing tool and a stopped Docker daemon", () => {
  assert.deepEqual(
    missingPrerequisites({
      tools: { docker: true, kind: true, kubectl: true, helm: true },
      dockerRunning: true,
    }),
    [],
  );
  const problems = missingPrerequisites({
    tools: { docker: true, kind: false, kubectl: true, helm: false },
    dockerRunning: false,
  });
  assert.match(problems[0], /Not found on PATH: kind, helm/);
  assert.match(problems[1], /Docker daemon is not running/);
});

Deno.test("planDown() deletes an existing cluster and does nothing otherwise", () => {
  assert.deepEqual(lines(planDown({ cluster: "demo", clusterExists: true })), [
    "kind delete cluster --name demo",
  ]);
  assert.deepEqual(planDown({ cluster: "demo", clusterExists: false }), []);
});

Deno.test("planStatus(), planLogs() and planRedeploy() address the cluster's context", () => {
  const status = lines(planStatus("demo"));
  assert.ok(status.every((l) => l.startsWith("kubectl --context kind-demo")));
  assert.ok(status.some((l) => l.includes("--field-selector type=Warning")));

  const logs = lines(planLogs("demo", "payment-service", { follow: true, tail: 50 }));
  assert.deepEqual(logs, [
    "kubectl --context kind-demo --namespace dd-demo logs --selector " +
    "app.kubernetes.io/name=payment-service --prefix --tail=50 --max-log-requests=10 --follow",
  ]);

  const redeploy = lines(
    planRedeploy({
      cluster: "demo",
      version: "1.2.3",
      denoVersion: "2.9.6",
      service: "llm-service",
    }),
  );
  assert.deepEqual(redeploy.slice(2), [
    "kubectl --context kind-demo --namespace dd-demo rollout restart deployment/llm-service",
    "kubectl --context kind-demo --namespace dd-demo rollout status deployment/llm-service " +
    "--timeout=180s",
  ]);
  assert.ok(redeploy[0].startsWith("docker build --tag demo-services:1.2.3"));
});

Deno.test("web-frontend's Secret carries every DD_RUM_* setting its config reads", async () => {
  const source = await Deno.readTextFile(
    new URL("../../services/web-frontend/config.ts", import.meta.url),
  );
  const read = [...new Set(source.match(/\bDD_RUM_[A-Z_]+\b/g))];
  assert.ok(read.length >= 8, read.join(", "));
  assert.deepEqual(
    read.filter((key) => !(WEB_SECRET_KEYS as readonly string[]).includes(key)),
    [],
  );
});
