/**
 * compose.yaml: accepted by the real Compose v2 (installed by `deno task setup`), and shaped
 * the way the project promises: health checks, limits, unified service tagging, log labels,
 * dependencies on peers, one published port, no secrets and no external network.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { findTool, REPO_ROOT } from "../tasks/lib/tools.ts";
import { PEERS, SERVICES } from "../tasks/lib/topology.ts";

const COMPOSE_FILE = join(REPO_ROOT, "compose.yaml");
const text = await Deno.readTextFile(COMPOSE_FILE);
// deno-lint-ignore no-explicit-any
const doc: any = parse(text, { merge: true });
const VERSION = (await Deno.readTextFile(join(REPO_ROOT, "VERSION"))).trim();

/** The real Compose v2 binary; a missing one fails the test (never skips it). */
function composeBinary(): string {
  const found = findTool("docker-compose");
  assert.ok(found, "Cannot find Compose v2 (docker-compose): run `deno task setup`");
  return found;
}

async function composeConfig(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(composeBinary(), {
    // No .env either: `--env-file /dev/null` replaces the project's .env for interpolation.
    args: ["-f", COMPOSE_FILE, "--env-file", "/dev/null", ...args],
    cwd: REPO_ROOT,
    // A clean environment, so a developer's own DD_API_KEY or .env cannot change the result.
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/nonexistent", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** The file's default for `${NAME:-default}` in a string. */
function defaultOf(value: string, name: string): string | undefined {
  return value.match(new RegExp(`\\$\\{${name}:-([^}]*)\\}`))?.[1];
}

Deno.test("docker compose config -q --profile '*' accepts compose.yaml", async () => {
  const result = await composeConfig(["--profile", "*", "config", "-q"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr.trim(), "");
});

Deno.test("compose.yaml is valid in each mode alone: no profile, local and datadog", async () => {
  for (const profile of [[], ["--profile", "local"], ["--profile", "datadog"]]) {
    const result = await composeConfig([...profile, "config", "--services"]);
    assert.equal(result.code, 0, `${profile.join(" ")}: ${result.stderr}`);
    const services = result.stdout.trim().split("\n").sort();
    const extra = profile[1] === "local"
      ? ["jira-stand-in", "local-agent"]
      : profile[1] === "datadog"
      ? ["datadog-agent"]
      : [];
    assert.deepEqual(services, [...SERVICES, ...extra].sort());
  }
});

Deno.test("compose.yaml hands each secret only to the container that needs it", async () => {
  const result = await composeConfig(["--profile", "*", "config", "--format", "json"], {
    DATADOG_API_KEY: "key-value-for-test",
    SESSION_SECRET: "session-value-for-test-0123456789abcdef",
    JIRA_API_TOKEN: "jira-value-for-test",
  });
  assert.equal(result.code, 0, result.stderr);
  const rendered = JSON.parse(result.stdout);
  const holders = (value: string) =>
    Object.entries(rendered.services)
      // deno-lint-ignore no-explicit-any
      .filter(([, s]: [string, any]) => JSON.stringify(s.environment ?? {}).includes(value))
      .map(([name]) => name).sort();
  assert.deepEqual(holders("key-value-for-test"), ["datadog-agent"]);
  assert.equal(rendered.services["datadog-agent"].environment.DD_API_KEY, "key-value-for-test");
  assert.deepEqual(holders("session-value-for-test"), ["web-frontend"]);
  assert.deepEqual(holders("jira-value-for-test"), ["jira-poller", "jira-stand-in"]);
  // Labels and commands never carry them either.
  const elsewhere = JSON.stringify(
    // deno-lint-ignore no-explicit-any
    Object.values(rendered.services).map((s: any) => ({ ...s, environment: undefined })),
  );
  assert.doesNotMatch(elsewhere, /value-for-test/);
});

Deno.test("compose.yaml needs no .env and no key: a bare config renders every service", async () => {
  const result = await composeConfig(["--profile", "local", "config", "--format", "json"]);
  assert.equal(result.code, 0, result.stderr);
  const rendered = JSON.parse(result.stdout);
  assert.equal(rendered.services["web-frontend"].image, `demo-services:${VERSION}`);
  assert.equal(rendered.services["web-frontend"].environment.DD_VERSION, VERSION);
  assert.ok(rendered.services["auth-service"].read_only, "services run with a read-only root");
});

Deno.test("every service: health check on /readyz, memory limit, restart policy, one command", () => {
  for (const name of SERVICES) {
    const service = doc.services[name];
    assert.ok(service, `${name} is missing`);
    const test = service.healthcheck?.test ?? [];
    assert.equal(test[0], "CMD", `${name}: health check runs a command of the image`);
    assert.ok(test.includes("/app/docker/healthcheck.ts"), `${name}: health check helper`);
    assert.ok(test.includes("/readyz"), `${name}: health check on /readyz`);
    assert.ok(
      service.mem_limit ?? service.deploy?.resources?.limits?.memory,
      `${name}: memory limit`,
    );
    assert.match(service.restart ?? "", /^(always|unless-stopped|on-failure)/, `${name}: restart`);
    assert.deepEqual(service.command, [name]);
  }
});

Deno.test("every service: unified service tagging in env and labels, and log labels", () => {
  for (const name of SERVICES) {
    const { environment: env, labels } = doc.services[name];
    assert.equal(env.DD_SERVICE, name);
    assert.equal(defaultOf(env.DD_ENV, "DD_ENV"), "dev");
    assert.equal(defaultOf(env.DD_VERSION, "VERSION"), VERSION);
    assert.equal(env.DD_AGENT_HOST, "dd-agent");
    assert.equal(labels["com.datadoghq.tags.service"], name);
    assert.equal(labels["com.datadoghq.tags.env"], env.DD_ENV);
    assert.equal(labels["com.datadoghq.tags.version"], env.DD_VERSION);
    assert.deepEqual(JSON.parse(labels["com.datadoghq.ad.logs"]), [
      { source: "deno", service: name },
    ]);
  }
});

Deno.test("every service depends on its peers being healthy, and on whichever Agent runs", () => {
  for (const name of SERVICES) {
    const dependsOn = doc.services[name].depends_on ?? {};
    for (const peer of Object.values(PEERS[name])) {
      assert.equal(dependsOn[peer]?.condition, "service_healthy", `${name} → ${peer}`);
      assert.notEqual(dependsOn[peer]?.required, false, `${name} → ${peer} is required`);
    }
    for (const agent of ["datadog-agent", "local-agent"]) {
      assert.equal(dependsOn[agent]?.condition, "service_healthy", `${name} → ${agent}`);
      assert.equal(dependsOn[agent]?.required, false, `${name} → ${agent} only when it runs`);
    }
  }
  assert.equal(doc.services["jira-poller"].depends_on["jira-stand-in"].required, false);
});

Deno.test("peer URLs point at the peers' compose names on port 8000", () => {
  for (const name of SERVICES) {
    for (const [variable, peer] of Object.entries(PEERS[name])) {
      assert.equal(doc.services[name].environment[variable], `http://${peer}:8000`);
    }
  }
});

Deno.test("web-frontend gets every browser SDK setting its config reads, so .env reaches it", async () => {
  const source = await Deno.readTextFile(
    new URL("../services/web-frontend/config.ts", import.meta.url),
  );
  const read = [...new Set(source.match(/\bDD_RUM_[A-Z_]+\b/g))];
  assert.ok(read.length >= 8, `found ${read.join(", ")}`);
  const env = doc.services["web-frontend"].environment;
  for (const name of read) {
    assert.match(String(env[name]), new RegExp(`^\\$\\{${name}:-`), name);
  }
});

Deno.test("one image for all: built from the Dockerfile, tagged with the VERSION default", () => {
  for (const name of [...SERVICES, "local-agent", "jira-stand-in"]) {
    const service = doc.services[name];
    assert.equal(service.image, "demo-services:${VERSION:-0.1.0}", name);
    assert.equal(defaultOf(service.image, "VERSION"), VERSION);
    if (!service.build) assert.equal(service.pull_policy, "never", `${name} never pulls`);
  }
  assert.equal(doc.services["web-frontend"].build.dockerfile, "Dockerfile");
  const denoVersion = Deno.readTextFileSync(join(REPO_ROOT, ".deno-version")).trim();
  assert.equal(
    defaultOf(doc.services["web-frontend"].build.args.DENO_VERSION, "DENO_VERSION"),
    denoVersion,
  );
});

Deno.test("only web-frontend is published (and the local Agent page on loopback)", () => {
  const published = Object.entries(doc.services)
    // deno-lint-ignore no-explicit-any
    .filter(([, s]: [string, any]) => s.ports?.length)
    .map(([name]) => name).sort();
  assert.deepEqual(published, ["local-agent", "web-frontend"]);
  assert.deepEqual(doc.services["web-frontend"].ports, [
    "${WEB_BIND_ADDRESS:-127.0.0.1}:${WEB_PORT:-8080}:8000",
  ]);
  assert.deepEqual(doc.services["local-agent"].ports, ["127.0.0.1:${LOCAL_AGENT_PORT:-8126}:8126"]);
});

Deno.test("no external network, and both Agents answer as dd-agent", () => {
  for (const network of Object.values(doc.networks ?? {})) {
    // deno-lint-ignore no-explicit-any
    assert.ok(!(network as any)?.external, "no external network");
  }
  for (const agent of ["datadog-agent", "local-agent"]) {
    assert.deepEqual(doc.services[agent].networks.default.aliases, ["dd-agent"]);
  }
  assert.deepEqual(doc.services["datadog-agent"].profiles, ["datadog"]);
  assert.deepEqual(doc.services["local-agent"].profiles, ["local"]);
  assert.deepEqual(doc.services["jira-stand-in"].profiles, ["local"]);
});

Deno.test("the Datadog Agent: pinned 7.x image, key from either variable, APM, DogStatsD, logs, LLM proxy", () => {
  const agent = doc.services["datadog-agent"];
  assert.match(agent.image, /^gcr\.io\/datadoghq\/agent:7\.\d+\.\d+$/);
  const env = agent.environment;
  assert.equal(env.DD_API_KEY, "${DD_API_KEY:-${DATADOG_API_KEY:-}}");
  assert.equal(defaultOf(env.DD_SITE, "DD_SITE"), "datadoghq.eu");
  for (
    const name of [
      "DD_APM_ENABLED",
      "DD_APM_NON_LOCAL_TRAFFIC",
      "DD_DOGSTATSD_NON_LOCAL_TRAFFIC",
      "DD_LOGS_ENABLED",
      "DD_EVP_PROXY_CONFIG_ENABLED",
    ]
  ) {
    assert.equal(env[name], "true", name);
  }
  // Logs of the containers that carry a com.datadoghq.ad.logs label only, not of every
  // container on the user's machine.
  assert.equal(env.DD_LOGS_CONFIG_CONTAINER_COLLECT_ALL, "false");
  for (
    const mount of [
      "/var/run/docker.sock:/var/run/docker.sock:ro",
      "/proc/:/host/proc/:ro",
      "/sys/fs/cgroup/:/host/sys/fs/cgroup:ro",
    ]
  ) {
    assert.ok(agent.volumes.includes(mount), mount);
  }
  assert.ok(agent.healthcheck.test.includes("health"));
  assert.ok(agent.mem_limit);
});

Deno.test("local mode: the stand-ins run from the same image with health checks", () => {
  const local = doc.services["local-agent"];
  assert.deepEqual(local.command, ["local-agent"]);
  assert.ok(local.healthcheck.test.includes("/readyz") && local.healthcheck.test.includes("8126"));
  const jira = doc.services["jira-stand-in"];
  assert.deepEqual(jira.command, ["jira-stand-in"]);
  assert.equal(jira.environment.PORT, "8000");
  assert.ok(jira.healthcheck.test.includes("/readyz"));
});

Deno.test("develop.watch syncs code and restarts, and rebuilds on dependency changes", () => {
  for (const name of SERVICES) {
    const watch = doc.services[name].develop.watch;
    const find = (path: string) => watch.find((w: { path: string }) => w.path === path);
    assert.equal(find(`./services/${name}`)?.action, "sync+restart", name);
    assert.equal(find(`./services/${name}`)?.target, `/app/services/${name}`, name);
    assert.equal(find("./packages")?.action, "sync+restart", name);
    assert.equal(find("./deno.lock")?.action, "rebuild", name);
  }
  const web = doc.services["web-frontend"].develop.watch;
  assert.ok(
    web.some((w: { path: string; action: string }) =>
      w.path === "./web/src" && w.action === "rebuild"
    ),
  );
});

Deno.test("SESSION_SECRET, Jira credentials and keys come from the environment only", () => {
  assert.equal(doc.services["web-frontend"].environment.SESSION_SECRET, "${SESSION_SECRET:-}");
  assert.equal(doc.services["jira-poller"].environment.JIRA_API_TOKEN, "${JIRA_API_TOKEN:-}");
  assert.ok(!/env_file/.test(text) || /required: false/.test(text), ".env is optional");
});

/** Key-like literals: long hex or base64-ish runs, private keys, provider prefixes. */
export const SECRET_PATTERNS = [
  /\b[0-9a-f]{32,}\b/i,
  /\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Z])[A-Za-z0-9_-]{32,}\b/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bpub[0-9a-f]{32}\b/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\bsk-[A-Za-z0-9]{20,}/,
  /\bATATT[A-Za-z0-9_-]{20,}/,
];

/** Assignments of a literal value to a secret-named variable (`KEY: value` or `KEY=value`). */
export function secretAssignments(content: string): string[] {
  const found: string[] = [];
  for (const line of content.split("\n")) {
    if (/^\s*#/.test(line)) continue;
    const m = line.match(
      /\b((?:DD|DATADOG)_API_KEY|DD_APP_KEY|JIRA_API_TOKEN|SESSION_SECRET|DD_RUM_CLIENT_TOKEN)\b["']?\s*[:=]\s*(.*)$/,
    );
    if (!m) continue;
    const value = m[2].trim().replace(/^["']|["']$/g, "");
    if (value && !/^\$\{[A-Z_]+(:-(\$\{[A-Z_]+:-\})?)?\}$/.test(value)) found.push(line.trim());
  }
  return found;
}

Deno.test("secretAssignments() and SECRET_PATTERNS catch planted secrets", () => {
  assert.deepEqual(secretAssignments("  DD_API_KEY: abc"), ["DD_API_KEY: abc"]);
  assert.deepEqual(secretAssignments("SESSION_SECRET=hunter2"), ["SESSION_SECRET=hunter2"]);
  assert.deepEqual(secretAssignments("DD_API_KEY: ${DD_API_KEY:-${DATADOG_API_KEY:-}}"), []);
  assert.deepEqual(secretAssignments("DD_API_KEY="), []);
  assert.ok(SECRET_PATTERNS.some((p) => p.test("key 0123456789abcdef0123456789abcdef")));
  assert.ok(SECRET_PATTERNS.some((p) => p.test("-----BEGIN RSA PRIVATE KEY-----")));
});

Deno.test("no secret values in compose.yaml, Dockerfile or .env.example", async () => {
  for (const file of ["compose.yaml", "Dockerfile", ".env.example"]) {
    const content = await Deno.readTextFile(join(REPO_ROOT, file));
    assert.deepEqual(secretAssignments(content), [], `${file} assigns a secret`);
    for (const pattern of SECRET_PATTERNS) {
      assert.doesNotMatch(content, pattern, `${file} holds a key-like literal`);
    }
  }
});

Deno.test("yamllint accepts compose.yaml", async () => {
  const yamllint = findTool("yamllint");
  assert.ok(yamllint, "Cannot find yamllint: run `deno task setup`");
  const config = "{extends: default, rules: {line-length: {max: 100}, document-start: disable, " +
    "truthy: {check-keys: false}}}";
  const output = await new Deno.Command(yamllint, {
    args: ["-f", "parsable", "-d", config, COMPOSE_FILE],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, text);
  assert.equal(text.trim(), "");
});
