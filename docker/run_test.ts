import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { findTool } from "../tasks/lib/tools.ts";
import { ENTRY_POINTS, PEERS, SERVICES } from "../tasks/lib/topology.ts";

const RUN_SH = fileURLToPath(new URL("./run.sh", import.meta.url));
const HEALTHCHECK = fileURLToPath(new URL("./healthcheck.ts", import.meta.url));
const PRIVATE_STATSD = [
  "127.0.0.0/8:8125",
  "10.0.0.0/8:8125",
  "172.16.0.0/12:8125",
  "192.168.0.0/16:8125",
];

/** The environment a container of compose.yaml gives each service. */
const CONTAINER_ENV: Record<string, string> = {
  APP_DIR: "/app",
  DENO_DIR: "/deno-dir",
  PORT: "8000",
  HOST: "0.0.0.0",
  DD_AGENT_HOST: "dd-agent",
  DD_TRACE_AGENT_PORT: "8126",
  DD_DOGSTATSD_PORT: "8125",
  AUTH_SERVICE_URL: "http://auth-service:8000",
  PAYMENT_SERVICE_URL: "http://payment-service:8000",
  LLM_SERVICE_URL: "http://llm-service:8000",
  FRAUD_SERVICE_URL: "http://fraud-service:8000",
  JIRA_POLLER_URL: "http://jira-poller:8000",
};

async function dryRun(name: string, env: Record<string, string> = CONTAINER_ENV) {
  const output = await new Deno.Command("sh", {
    args: [RUN_SH, name],
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", DRY_RUN: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  const stdout = text.decode(output.stdout).trim();
  const args = stdout.split(" ");
  const flag = (prefix: string) => args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
  return {
    code: output.code,
    stdout,
    stderr: text.decode(output.stderr),
    args,
    net: (flag("--allow-net=") ?? "").split(",").filter(Boolean),
    read: (flag("--allow-read=") ?? "").split(",").filter(Boolean),
  };
}

Deno.test("run.sh starts each service from the cache only, with exactly its network peers", async () => {
  for (const name of SERVICES) {
    const run = await dryRun(name);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.args.slice(0, 7), [
      "DD_RUNTIME_METRICS_NATIVE=false",
      "deno",
      "run",
      "--cached-only",
      "--frozen",
      "--no-prompt",
      "--allow-env",
    ]);
    assert.ok(run.args.includes("--allow-sys"));
    assert.ok(!run.args.some((a) => a === "-A" || a === "--allow-all" || a === "--allow-run"));
    assert.ok(!run.args.some((a) => a.startsWith("--allow-write") || a.startsWith("--allow-ffi")));
    assert.equal(run.args.at(-1), `/app/${ENTRY_POINTS[name]}`);
    const peers = Object.values(PEERS[name]).map((peer) => `${peer}:8000`);
    assert.deepEqual(run.net, [
      "0.0.0.0:8000",
      "dd-agent:8126",
      "0.0.0.0:0",
      "dd-agent",
      ...PRIVATE_STATSD,
      ...peers,
    ], name);
  }
});

Deno.test("run.sh reads only the app, DENO_DIR, the cgroup files and package.json lookups", async () => {
  const run = await dryRun("auth-service");
  assert.deepEqual(run.read, [
    "/app",
    "/deno-dir",
    "/proc/self/cgroup",
    "/sys/fs/cgroup",
    "/package.json",
  ]);
  const nested = await dryRun("auth-service", { ...CONTAINER_ENV, APP_DIR: "/srv/app" });
  assert.deepEqual(nested.read.slice(-2), ["/srv/package.json", "/package.json"]);
});

Deno.test("run.sh follows the peer URL variables and adds optional ones only when set", async () => {
  const web = await dryRun("web-frontend", {
    ...CONTAINER_ENV,
    AUTH_SERVICE_URL: "https://auth.internal/",
    RUM_PROXY_URL: "http://dd-agent:8126/browser-intake",
  });
  assert.ok(web.net.includes("auth.internal:443"));
  assert.ok(!web.net.includes("auth-service:8000"));
  assert.ok(web.net.includes("dd-agent:8126"));
  const poller = await dryRun("jira-poller", {
    ...CONTAINER_ENV,
    JIRA_BASE_URL: "https://example.atlassian.net",
  });
  assert.ok(poller.net.includes("example.atlassian.net:443"));
  const unconfigured = await dryRun("jira-poller");
  assert.ok(!unconfigured.net.some((n) => n.includes("atlassian")));
});

Deno.test("run.sh uses the local defaults when no variable is set", async () => {
  const run = await dryRun("payment-service", { APP_DIR: "/app", DENO_DIR: "/deno-dir" });
  assert.deepEqual(run.net, [
    "0.0.0.0:8000",
    "localhost:8126",
    "0.0.0.0:0",
    "localhost",
    ...PRIVATE_STATSD,
    "localhost:8103",
    "localhost:8104",
  ]);
});

Deno.test("run.sh allows DogStatsD to an Agent given by IP address at that address only", async () => {
  const run = await dryRun("llm-service", { ...CONTAINER_ENV, DD_AGENT_HOST: "10.1.2.3" });
  assert.deepEqual(run.net, ["0.0.0.0:8000", "10.1.2.3:8126", "0.0.0.0:0", "10.1.2.3:8125"]);
});

Deno.test("run.sh starts the stand-ins on their own ports with no Agent access", async () => {
  const agent = await dryRun("local-agent", { APP_DIR: "/app", DENO_DIR: "/deno-dir" });
  assert.deepEqual(agent.net, ["0.0.0.0:8126", "0.0.0.0:8125"]);
  assert.equal(agent.args.at(-1), `/app/${ENTRY_POINTS["local-agent"]}`);
  const jira = await dryRun("jira-stand-in", {
    APP_DIR: "/app",
    DENO_DIR: "/deno-dir",
    PORT: "8000",
  });
  assert.deepEqual(jira.net, ["0.0.0.0:8000"]);
  assert.equal(jira.args.at(-1), `/app/${ENTRY_POINTS["jira-stand-in"]}`);
});

Deno.test("run.sh exits 2 listing the valid names for an unknown or missing name", async () => {
  for (const name of ["payments", ""]) {
    const run = await dryRun(name);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /web-frontend auth-service payment-service fraud-service/);
    assert.match(run.stderr, /local-agent jira-stand-in/);
    assert.equal(run.stdout, "");
  }
});

Deno.test("run.sh rejects a peer URL that is not http(s), naming the variable", async () => {
  const run = await dryRun("fraud-service", {
    ...CONTAINER_ENV,
    JIRA_POLLER_URL: "jira-poller:8000",
  });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /JIRA_POLLER_URL is not an http\(s\) URL/);
});

Deno.test("shellcheck finds nothing in docker/run.sh", async () => {
  const shellcheck = findTool("shellcheck");
  assert.ok(shellcheck, "Cannot find shellcheck: run `deno task setup`");
  const output = await new Deno.Command(shellcheck, {
    args: ["--shell=sh", RUN_SH],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stdout));
});

async function healthcheck(port: number, path = "/readyz") {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", "--allow-env=PORT", HEALTHCHECK, path, String(port)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("healthcheck.ts exits 0 on a 200 from /readyz and 1 otherwise", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      new URL(request.url).pathname === "/readyz"
        ? Response.json({ ok: true })
        : Response.json({ ok: false }, { status: 503 }),
  );
  try {
    assert.equal((await healthcheck(server.addr.port)).code, 0);
    const failing = await healthcheck(server.addr.port, "/starting");
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /\/starting answered 503/);
  } finally {
    await server.shutdown();
  }
  const closed = await healthcheck(server.addr.port);
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /did not answer/);
});
