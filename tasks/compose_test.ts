import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Rule, startRecording } from "../tests/fixtures/bin/recording.ts";

const TASK = fileURLToPath(new URL("./compose.ts", import.meta.url));
const PS = "docker compose -f compose.yaml --profile * ps --format json";
const LOCAL_UP = "docker compose -f compose.yaml --profile local up --detach --no-build " +
  "--remove-orphans --wait --wait-timeout 300";
const LOCAL_SERVICES = [
  "local-agent",
  "jira-stand-in",
  "web-frontend",
  "auth-service",
  "payment-service",
  "fraud-service",
  "jira-poller",
  "llm-service",
];

function psJson(services: string[], health = "healthy"): string {
  return services.map((service) =>
    JSON.stringify({ Service: service, State: "running", Health: health })
  ).join("\n") + "\n";
}

const dockerReady: Rule[] = [
  { match: ["docker", "info"], stdout: "27.3.1\n" },
  { match: ["docker", "compose", "version"], stdout: "2.26.1\n" },
];

async function runTask(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, ...args],
    // Set empty so a developer's own .env or shell cannot change the mode or the URLs.
    env: {
      DD_API_KEY: "",
      DATADOG_API_KEY: "",
      SESSION_SECRET: "",
      WEB_PORT: "",
      LOCAL_AGENT_PORT: "",
      DD_ENV: "",
      DD_SITE: "",
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

Deno.test("compose:up without a key checks docker, builds once, starts the local stack and prints the URLs", async () => {
  await using rec = await startRecording({
    rules: [
      ...dockerReady,
      { match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"], times: 1 },
      {
        match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"],
        stdout: psJson(LOCAL_SERVICES),
      },
    ],
    recordEnv: ["SESSION_SECRET", "VERSION", "DENO_VERSION", "JIRA_BASE_URL", "RUM_PROXY_URL"],
  });
  const result = await runTask(["up"], rec.env);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await rec.commandLines(), [
    "docker info --format {{.ServerVersion}}",
    "docker compose version --short",
    PS,
    "docker compose -f compose.yaml --profile local build web-frontend",
    LOCAL_UP,
    PS,
  ]);
  const calls = await rec.calls();
  const up = calls[4];
  assert.match(up.env.SESSION_SECRET ?? "", /^[0-9a-f]{64}$/);
  assert.equal(calls[3].env.SESSION_SECRET, up.env.SESSION_SECRET);
  assert.equal(up.env.VERSION, (await Deno.readTextFile("VERSION")).trim());
  assert.equal(up.env.DENO_VERSION, (await Deno.readTextFile(".deno-version")).trim());
  assert.equal(up.env.JIRA_BASE_URL, "http://jira-stand-in:8000");
  assert.equal(up.env.RUM_PROXY_URL, "http://dd-agent:8126/browser-intake");
  assert.match(result.stderr, /using the local Agent stand-in/);
  assert.match(result.stdout, /All 8 containers are healthy \(local mode\)/);
  assert.match(result.stdout, /UI: +http:\/\/localhost:8080/);
  assert.match(result.stdout, /Local Agent page: +http:\/\/localhost:8126/);
  // The generated secret is passed in the environment only, never printed.
  assert.doesNotMatch(result.stdout + result.stderr, new RegExp(up.env.SESSION_SECRET!));
});

Deno.test("compose:up run twice keeps the running session secret, so nothing is recreated", async () => {
  const secret = "a".repeat(64);
  await using rec = await startRecording({
    rules: [
      ...dockerReady,
      {
        match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"],
        stdout: psJson(LOCAL_SERVICES),
      },
      {
        match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "exec"],
        stdout: `${secret}\n`,
      },
    ],
    recordEnv: ["SESSION_SECRET"],
  });
  const result = await runTask(["up"], rec.env);
  assert.equal(result.code, 0, result.stderr);
  const lines = await rec.commandLines();
  assert.ok(
    lines.includes(
      "docker compose -f compose.yaml --profile * exec -T web-frontend printenv SESSION_SECRET",
    ),
  );
  const up = (await rec.calls()).find((c) => c.args.includes("up"));
  assert.equal(up?.env.SESSION_SECRET, secret);
});

Deno.test("compose:up with DD_API_KEY uses the Datadog Agent and links the Datadog site", async () => {
  await using rec = await startRecording({
    rules: [
      ...dockerReady,
      { match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"], times: 1 },
      {
        match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"],
        stdout: psJson(["datadog-agent", ...LOCAL_SERVICES.slice(2)]),
      },
    ],
    recordEnv: ["JIRA_BASE_URL"],
  });
  const result = await runTask(["up"], {
    ...rec.env,
    DD_API_KEY: "0123456789abcdef",
    DD_SITE: "datadoghq.com",
  });
  assert.equal(result.code, 0, result.stderr);
  const lines = await rec.commandLines();
  assert.ok(lines.includes("docker compose -f compose.yaml --profile datadog build web-frontend"));
  assert.ok(lines.some((l) => l.startsWith("docker compose -f compose.yaml --profile datadog up")));
  assert.match(result.stderr, /DD_API_KEY is set: using the Datadog Agent \(site datadoghq\.com\)/);
  assert.match(result.stdout, /https:\/\/app\.datadoghq\.com\/apm\/services\?env=dev/);
  assert.doesNotMatch(result.stdout + result.stderr + lines.join("\n"), /0123456789abcdef/);
});

Deno.test("compose:up says to check DD_SITE when the Datadog Agent is unhealthy", async () => {
  await using rec = await startRecording({
    rules: [
      ...dockerReady,
      { match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"], times: 1 },
      {
        match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"],
        stdout: psJson(["datadog-agent"], "unhealthy") + psJson(LOCAL_SERVICES.slice(2)),
      },
      { match: ["docker", "compose", "-f", "compose.yaml", "--profile", "datadog", "up"], exit: 1 },
    ],
  });
  const result = await runTask(["up"], {
    ...rec.env,
    DD_API_KEY: "0123456789abcdef",
    DD_SITE: "us3.datadoghq.com",
  });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Not healthy: datadog-agent\./);
  assert.match(result.stderr, /DD_SITE \(now us3\.datadoghq\.com; US1 is datadoghq\.com\)/);
  assert.doesNotMatch(result.stdout + result.stderr, /0123456789abcdef/);
});

Deno.test("compose:up gives no key hint while the Datadog Agent is still starting", async () => {
  await using rec = await startRecording({
    rules: [
      ...dockerReady,
      { match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"], times: 1 },
      {
        match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"],
        stdout: psJson(["datadog-agent"], "starting") +
          psJson(["web-frontend"], "unhealthy") +
          psJson(LOCAL_SERVICES.slice(2).filter((s) => s !== "web-frontend")),
      },
      { match: ["docker", "compose", "-f", "compose.yaml", "--profile", "datadog", "up"], exit: 1 },
    ],
  });
  const result = await runTask(["up"], { ...rec.env, DD_API_KEY: "0123456789abcdef" });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Not healthy: datadog-agent, .*web-frontend/);
  assert.doesNotMatch(result.stderr, /DD_SITE/);
});

Deno.test("compose:up names a stopped Docker daemon and runs nothing else", async () => {
  await using rec = await startRecording({
    rules: [
      { match: ["docker", "info"], exit: 1, stderr: "Cannot connect to the Docker daemon\n" },
      { match: ["docker", "compose", "version"], stdout: "2.26.1\n" },
    ],
  });
  const result = await runTask(["up"], rec.env);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Missing: The Docker daemon is not running/);
  assert.deepEqual(await rec.commandLines(), [
    "docker info --format {{.ServerVersion}}",
    "docker compose version --short",
  ]);
});

Deno.test("compose:up names Compose v2 when the plugin is missing", async () => {
  await using rec = await startRecording({
    rules: [
      { match: ["docker", "info"], stdout: "27.3.1\n" },
      {
        match: ["docker", "compose"],
        exit: 1,
        stderr: "docker: 'compose' is not a docker command.\n",
      },
    ],
  });
  const result = await runTask(["up"], rec.env);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Compose v2 is missing/);
});

Deno.test("compose:up stops at a failing step, names it and the unhealthy service", async () => {
  await using rec = await startRecording({
    rules: [
      ...dockerReady,
      { match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"], times: 1 },
      {
        match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"],
        stdout: psJson(LOCAL_SERVICES.filter((s) => s !== "auth-service")) +
          psJson(["auth-service"], "unhealthy"),
      },
      { match: ["docker", "compose", "-f", "compose.yaml", "--profile", "local", "up"], exit: 1 },
    ],
  });
  const result = await runTask(["up"], rec.env);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /Step failed: Start the local stack and wait until every service is healthy \(docker exited with 1\)/,
  );
  assert.match(
    result.stderr,
    /Not healthy: auth-service\. See: deno task compose:logs auth-service/,
  );
  assert.doesNotMatch(result.stdout, /UI:/);
});

Deno.test("compose:up --dry-run prints the plan and starts nothing", async () => {
  await using rec = await startRecording({ rules: dockerReady });
  const result = await runTask(["up", "--dry-run"], rec.env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /1\. Build the image demo-services:/);
  assert.match(result.stdout, /2\. Start the local stack/);
  assert.ok((await rec.commandLines()).every((l) => !/ (build|up) /.test(l)));
});

Deno.test("compose:down stops every profile and is safe to run twice", async () => {
  await using rec = await startRecording({ rules: dockerReady });
  for (let i = 0; i < 2; i++) {
    const result = await runTask(["down", "--volumes"], rec.env);
    assert.equal(result.code, 0, result.stderr);
  }
  const downs = (await rec.commandLines()).filter((l) => l.includes(" down"));
  assert.deepEqual(downs, [
    "docker compose -f compose.yaml --profile * down --remove-orphans --volumes",
    "docker compose -f compose.yaml --profile * down --remove-orphans --volumes",
  ]);
});

Deno.test("compose:logs validates the service name before calling docker", async () => {
  await using rec = await startRecording({ rules: dockerReady });
  const bad = await runTask(["logs", "paymnt-service"], rec.env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Unknown service 'paymnt-service'/);
  assert.deepEqual(await rec.commandLines(), []);
  const good = await runTask(["logs", "jira-poller", "--no-follow", "--tail", "20"], rec.env);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(
    (await rec.commandLines()).at(-1),
    "docker compose -f compose.yaml --profile * logs --tail 20 jira-poller",
  );
});

Deno.test("compose:status shows every container", async () => {
  await using rec = await startRecording({ rules: dockerReady });
  const result = await runTask(["status"], rec.env);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    (await rec.commandLines()).at(-1),
    "docker compose -f compose.yaml --profile * ps --all",
  );
});

Deno.test("compose.ts answers --help per command and exits 1 for an unknown command", async () => {
  await using rec = await startRecording();
  const help = await runTask(["logs", "--help"], rec.env);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: deno task compose:logs \[service\]/);
  const unknown = await runTask(["restart"], rec.env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Unknown command 'restart'/);
  assert.match(unknown.stderr, /up +Build and start/);
  assert.deepEqual(await rec.commandLines(), []);
});

Deno.test("compose:up --watch starts writable containers, then watches once all are healthy", async () => {
  await using rec = await startRecording({
    rules: [
      ...dockerReady,
      { match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"], times: 1 },
      {
        match: ["docker", "compose", "-f", "compose.yaml", "--profile", "*", "ps"],
        stdout: psJson(LOCAL_SERVICES),
      },
    ],
    recordEnv: ["READ_ONLY_ROOT"],
  });
  const result = await runTask(["up", "--watch"], rec.env);
  assert.equal(result.code, 0, result.stderr);
  const calls = await rec.calls();
  const lines = calls.map((c) => [c.tool, ...c.args].join(" "));
  assert.equal(lines.at(-1), "docker compose -f compose.yaml --profile local watch --no-up");
  assert.equal(lines.at(-2), PS);
  assert.equal(calls.find((c) => c.args.includes("up"))?.env.READ_ONLY_ROOT, "false");
  assert.equal(calls.at(-1)?.env.READ_ONLY_ROOT, "false");
  assert.match(result.stdout, /UI: +http:\/\/localhost:8080/);
});
