import assert from "node:assert/strict";
import {
  agentHealthHint,
  apiKeyVariable,
  chooseMode,
  compareVersions,
  datadogAppUrl,
  missingPrerequisites,
  parseComposePs,
  planDown,
  planLogs,
  planStatus,
  planUp,
  planWatch,
  STAND_IN_JIRA,
  unhealthy,
  type UpFacts,
  upSummary,
} from "./plan.ts";

const facts = (over: Partial<UpFacts> = {}): UpFacts => ({
  mode: "local",
  version: "0.1.0",
  denoVersion: "2.9.6",
  running: [],
  sessionSecret: "s".repeat(64),
  ...over,
});
const lines = (steps: { command: string[] }[]) => steps.map((s) => s.command.join(" "));

Deno.test("chooseMode() picks the Datadog Agent when DD_API_KEY or DATADOG_API_KEY is set", () => {
  assert.equal(chooseMode({ DD_API_KEY: "k" }).mode, "datadog");
  assert.equal(chooseMode({ DATADOG_API_KEY: "k" }).mode, "datadog");
  assert.match(
    chooseMode({ DATADOG_API_KEY: "k" }).reason,
    /DATADOG_API_KEY is set.*datadoghq\.eu/,
  );
  assert.match(chooseMode({ DD_API_KEY: "k", DD_SITE: "datadoghq.com" }).reason, /datadoghq\.com/);
});

Deno.test("chooseMode() falls back to the local stand-ins without a key (blank counts as unset)", () => {
  const choice = chooseMode({ DD_API_KEY: "  ", DATADOG_API_KEY: "" });
  assert.equal(choice.mode, "local");
  assert.match(choice.reason, /No DD_API_KEY or DATADOG_API_KEY set/);
});

Deno.test("chooseMode() never puts the key's value in its reason", () => {
  assert.doesNotMatch(chooseMode({ DD_API_KEY: "abc123secret" }).reason, /abc123secret/);
  assert.equal(apiKeyVariable({ DD_API_KEY: "abc123secret" }), "DD_API_KEY");
});

Deno.test("missingPrerequisites() names docker when it is not installed", () => {
  const problems = missingPrerequisites({
    docker: undefined,
    daemonRunning: false,
    composeVersion: undefined,
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /Cannot find 'docker'/);
});

Deno.test("missingPrerequisites() names a stopped daemon and a missing or old Compose", () => {
  const stopped = missingPrerequisites({
    docker: "/usr/bin/docker",
    daemonRunning: false,
    composeVersion: "2.26.1",
  });
  assert.deepEqual(stopped.length, 1);
  assert.match(stopped[0], /Docker daemon is not running/);
  const noCompose = missingPrerequisites({
    docker: "/usr/bin/docker",
    daemonRunning: true,
    composeVersion: undefined,
  });
  assert.match(noCompose.join("\n"), /Compose v2 is missing/);
  const old = missingPrerequisites({
    docker: "/usr/bin/docker",
    daemonRunning: true,
    composeVersion: "v2.17.3",
  });
  assert.match(old.join("\n"), /Compose v2\.17\.3 is too old/);
  assert.deepEqual(
    missingPrerequisites({ docker: "/d", daemonRunning: true, composeVersion: "2.26.1-4" }),
    [],
  );
});

Deno.test("compareVersions() compares numerically and ignores v prefixes and suffixes", () => {
  assert.equal(compareVersions("2.26.1-4", "2.24.0"), 1);
  assert.equal(compareVersions("v2.9.0", "2.24.0"), -1);
  assert.equal(compareVersions("2.24", "2.24.0"), 0);
});

Deno.test("planUp() in local mode builds once, then starts and waits with the stand-ins' settings", () => {
  const plan = planUp(facts());
  assert.deepEqual(lines(plan), [
    "docker compose -f compose.yaml --profile local build web-frontend",
    "docker compose -f compose.yaml --profile local up --detach --no-build --remove-orphans " +
    "--wait --wait-timeout 300",
  ]);
  for (const step of plan) {
    assert.equal(step.env?.VERSION, "0.1.0");
    assert.equal(step.env?.DENO_VERSION, "2.9.6");
    assert.equal(step.env?.SESSION_SECRET, "s".repeat(64));
    assert.equal(step.env?.JIRA_BASE_URL, STAND_IN_JIRA.JIRA_BASE_URL);
    assert.equal(step.env?.RUM_PROXY_URL, "http://dd-agent:8126/browser-intake");
    assert.equal(step.env?.LOCAL_AGENT_LOGS, "true", "the services send their lines themselves");
  }
});

Deno.test("planUp() in datadog mode uses the datadog profile and leaves Jira and RUM to .env", () => {
  const plan = planUp(facts({ mode: "datadog" }));
  assert.ok(plan.every((s) => s.command.includes("--profile") && s.command.includes("datadog")));
  assert.ok(plan.every((s) => !s.command.includes("local")));
  for (const step of plan) {
    assert.equal(step.env?.JIRA_BASE_URL, undefined);
    assert.equal(step.env?.RUM_PROXY_URL, undefined);
    assert.equal(step.env?.LOCAL_AGENT_LOGS, "false", "the Agent reads container output");
    // The key itself is read by Compose from the environment or .env, never passed along.
    assert.equal(step.env?.DD_API_KEY, undefined);
  }
});

Deno.test("planUp() removes the other mode's Agent first, so only one answers as dd-agent", () => {
  const plan = planUp(facts({
    mode: "datadog",
    running: [
      { service: "local-agent", state: "running", health: "healthy" },
      { service: "jira-stand-in", state: "running", health: "healthy" },
      { service: "auth-service", state: "running", health: "healthy" },
    ],
  }));
  assert.equal(
    lines(plan)[0],
    "docker compose -f compose.yaml --profile local rm --stop --force local-agent jira-stand-in",
  );
  assert.equal(plan.length, 3);
});

Deno.test("planUp() with noBuild skips the build", () => {
  const plan = planUp(facts({ noBuild: true }));
  assert.equal(plan.length, 1);
  assert.ok(plan[0].command.includes("up"));
});

Deno.test("planUp() never puts a secret on a command line", () => {
  for (const step of planUp(facts({ sessionSecret: "very-secret-session-key-0123456789" }))) {
    assert.doesNotMatch(step.command.join(" "), /very-secret/);
  }
});

Deno.test("planWatch() watches the same mode with a writable root, after up made it writable", () => {
  const watchFacts = facts({ watch: true });
  assert.deepEqual(lines(planWatch(watchFacts)), [
    "docker compose -f compose.yaml --profile local watch --no-up",
  ]);
  assert.equal(planWatch(watchFacts)[0].env?.READ_ONLY_ROOT, "false");
  assert.ok(planUp(watchFacts).every((s) => s.env?.READ_ONLY_ROOT === "false"));
  assert.ok(planUp(facts()).every((s) => s.env?.READ_ONLY_ROOT === undefined));
});

Deno.test("planDown() covers every profile and removes volumes only when asked", () => {
  assert.deepEqual(lines(planDown()), [
    "docker compose -f compose.yaml --profile * down --remove-orphans",
  ]);
  assert.ok(planDown({ volumes: true })[0].command.includes("--volumes"));
});

Deno.test("planLogs() follows one known service or all, and rejects an unknown name", () => {
  assert.deepEqual(lines(planLogs("payment-service")), [
    "docker compose -f compose.yaml --profile * logs --follow --tail 100 payment-service",
  ]);
  assert.deepEqual(lines(planLogs(undefined, { follow: false, tail: 5 })), [
    "docker compose -f compose.yaml --profile * logs --tail 5",
  ]);
  assert.throws(() => planLogs("paymnt-service"), /Unknown service 'paymnt-service'.*web-frontend/);
});

Deno.test("planStatus() lists every container of every profile", () => {
  assert.deepEqual(lines(planStatus()), ["docker compose -f compose.yaml --profile * ps --all"]);
});

Deno.test("parseComposePs() reads both JSON lines and a JSON array", () => {
  const row = { Service: "auth-service", State: "running", Health: "healthy" };
  const expected = [{ service: "auth-service", state: "running", health: "healthy" }];
  assert.deepEqual(parseComposePs(JSON.stringify(row) + "\n"), expected);
  assert.deepEqual(parseComposePs(JSON.stringify([row])), expected);
  assert.deepEqual(parseComposePs(""), []);
});

Deno.test("unhealthy() names missing, stopped and unhealthy services", () => {
  const bad = unhealthy([
    { service: "a", state: "running", health: "healthy" },
    { service: "b", state: "running", health: "unhealthy" },
    { service: "c", state: "exited", health: "" },
    { service: "e", state: "running", health: "" },
  ], ["a", "b", "c", "d", "e"]);
  assert.deepEqual(bad, ["b", "c", "d"]);
});

Deno.test("upSummary() shows the UI and the local Agent page in local mode", () => {
  const text = upSummary("local", { WEB_PORT: "9090" }).join("\n");
  assert.match(text, /UI: +http:\/\/localhost:9090/);
  assert.match(text, /Local Agent page: +http:\/\/localhost:8126/);
  assert.doesNotMatch(text, /datadoghq/);
});

Deno.test("upSummary() links the Datadog site's app in datadog mode", () => {
  const text = upSummary("datadog", { DD_ENV: "demo" }).join("\n");
  assert.match(text, /https:\/\/app\.datadoghq\.eu\/apm\/services\?env=demo/);
  assert.match(text, /agent status/);
  assert.equal(datadogAppUrl("us5.datadoghq.com"), "https://us5.datadoghq.com");
});

Deno.test("agentHealthHint() points at DD_SITE when the Datadog Agent is unhealthy, and only then", () => {
  assert.equal(agentHealthHint(["payment-service"], {}), undefined);
  const hint = agentHealthHint(["datadog-agent", "web-frontend"], { DD_API_KEY: "secretkey123" })!;
  assert.match(hint, /DD_SITE \(now datadoghq\.eu; US1 is datadoghq\.com\)/);
  assert.match(hint, /agent status/);
  assert.doesNotMatch(hint, /secretkey123/);
  assert.match(agentHealthHint(["datadog-agent"], { DD_SITE: "us5.datadoghq.com" })!, /now us5/);
});
