/**
 * `tasks/kind.ts` run as a process against recording stand-ins for docker, kind, kubectl
 * and helm (tests/fixtures/bin) first on PATH: the commands, their order, what a second
 * run skips, how a failing step stops, and that no secret value reaches a command line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  RECORDER_BIN,
  type Recording,
  type Rule,
  startRecording,
} from "./fixtures/bin/recording.ts";

const TASK = fileURLToPath(new URL("../tasks/kind.ts", import.meta.url));
const VERSION = (await Deno.readTextFile(new URL("../VERSION", import.meta.url))).trim();
const IMAGE = `demo-services:${VERSION}`;
const CTX = "kubectl --context kind-dd-payments-kind";

/** What the stand-ins answer for the loaded image's id and a Secret's resourceVersion. */
const IMAGE_ID = "sha256:1d2e3f";
const SECRET_VERSION = "42";

const SECRET_ENV = {
  SESSION_SECRET: "session-secret-value-0123456789-abcdef",
  DD_RUM_CLIENT_TOKEN: "pubRumTokenValue42",
  JIRA_API_TOKEN: "jira-token-value-7",
  JIRA_EMAIL: "ops@example.com",
  JIRA_BASE_URL: "https://example.atlassian.net",
};

/** Answers for a machine where docker runs and `kind get clusters` lists `clusters`. */
function rules(clusters: string[], extra: Rule[] = []): Rule[] {
  return [
    ...extra,
    { match: ["kind", "get", "clusters"], stdout: clusters.map((c) => `${c}\n`).join("") },
    { match: ["docker", "image", "inspect"], stdout: `${IMAGE_ID}\n` },
    {
      match: ["kubectl"],
      includes: ["get", "secret", "jsonpath={.metadata.resourceVersion}"],
      stdout: SECRET_VERSION,
    },
    {
      match: ["kubectl"],
      includes: ["secret", "--from-env-file=/dev/stdin"],
      readStdin: true,
      stdout: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: generated\n",
    },
  ];
}

/** Runs the task with only the recording's environment plus `env` (nothing from this shell). */
async function runKind(
  rec: Recording,
  args: string[],
  env: Record<string, string> = {},
  path = rec.env.PATH,
) {
  const keep = ["HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((k) => {
    const v = Deno.env.get(k);
    return v ? [[k, v]] : [];
  });
  // A developer's own .env must not change what the task does here: an empty one unless named.
  if (!args.some((a) => a.startsWith("--env-file"))) {
    const empty = join(rec.dir, "empty.env");
    await Deno.writeTextFile(empty, "");
    args = [...args, `--env-file=${empty}`];
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", TASK, ...args],
    clearEnv: true,
    env: { ...Object.fromEntries(keep), ...rec.env, PATH: path, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The six services' Deployments, in the order kind:up waits for them. */
const DEPLOYMENTS = [
  "web-frontend",
  "auth-service",
  "payment-service",
  "fraud-service",
  "jira-poller",
  "llm-service",
];

function upCommands(options: { create: boolean; datadog: boolean }): string[] {
  const createOrUpdate = (
    args: string,
  ) => [`${CTX} ${args} --dry-run=client -o yaml`, `${CTX} apply -f -`];
  const secret = (ns: string, name: string) =>
    createOrUpdate(`--namespace ${ns} create secret generic ${name} --from-env-file=/dev/stdin`);
  const wait = (ns: string, resource: string) =>
    `${CTX} --namespace ${ns} rollout status ${resource} --timeout=180s`;
  return [
    "docker info",
    "kind get clusters",
    ...(options.create
      ? ["kind create cluster --name dd-payments-kind --config kind/cluster.yaml"]
      : []),
    `docker build --tag ${IMAGE} --build-arg DENO_VERSION=2.9.6 .`,
    `kind load docker-image ${IMAGE} --name dd-payments-kind`,
    ...createOrUpdate("create namespace dd-demo"),
    ...createOrUpdate("create namespace datadog"),
    ...secret("dd-demo", "web-frontend-secrets"),
    ...secret("dd-demo", "jira-poller-secrets"),
    ...(options.datadog
      ? [
        ...secret("datadog", "datadog-secret"),
        `${CTX} delete -k k8s/jira-stand-in --ignore-not-found`,
        `${CTX} --namespace datadog delete daemonset local-agent --ignore-not-found`,
        "helm repo add datadog https://helm.datadoghq.com --force-update",
        "helm repo update datadog",
        "helm upgrade --install datadog datadog/datadog --version 3.81.0 " +
        "--kube-context kind-dd-payments-kind --namespace datadog " +
        "--values helm/datadog-values.yaml --set datadog.site=datadoghq.com " +
        "--set datadog.clusterName=dd-payments-kind --wait --timeout 10m",
      ]
      : [
        `${CTX} --namespace datadog delete secret datadog-secret --ignore-not-found`,
        `${CTX} apply -k k8s/local-agent`,
        wait("datadog", "daemonset/local-agent"),
        `${CTX} apply -k k8s/jira-stand-in`,
        wait("dd-demo", "deployment/jira-stand-in"),
      ]),
    `${CTX} apply -k k8s/overlays/kind`,
    `${CTX} --namespace dd-demo set env ${DEPLOYMENTS.map((s) => `deployment/${s}`).join(" ")} ${
      options.datadog ? "LOCAL_AGENT_LOGS-" : "LOCAL_AGENT_LOGS=true"
    }`,
    `docker image inspect --format {{.Id}} ${IMAGE}`,
    ...[
      ...DEPLOYMENTS.map((s) => `dd-demo/deployment/${s}`),
      ...(options.datadog
        ? []
        : ["dd-demo/deployment/jira-stand-in", "datadog/daemonset/local-agent"]),
    ].flatMap((target) => {
      const [ns, kind, name] = target.split("/");
      const secret =
        { "web-frontend": "web-frontend-secrets", "jira-poller": "jira-poller-secrets" }[
          name
        ];
      const stamp = secret ? `${IMAGE_ID}.secret-${SECRET_VERSION}` : IMAGE_ID;
      return [
        ...(secret
          ? [
            `${CTX} --namespace ${ns} get secret ${secret} -o jsonpath={.metadata.resourceVersion}`,
          ]
          : []),
        `${CTX} --namespace ${ns} patch ${kind}/${name} --type merge -p ` +
        `{"spec":{"template":{"metadata":{"annotations":{"dd-payments/rollout-stamp":"${stamp}"}}}}}`,
      ];
    }),
    ...(options.datadog
      ? []
      : [wait("datadog", "daemonset/local-agent"), wait("dd-demo", "deployment/jira-stand-in")]),
    ...DEPLOYMENTS.map((s) => wait("dd-demo", `deployment/${s}`)),
  ];
}

Deno.test("kind:up with no cluster creates it, deploys the local Agent stand-in and the services in order", async () => {
  await using rec = await startRecording({ rules: rules([]) });
  const result = await runKind(rec, ["up"], SECRET_ENV);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await rec.commandLines(), upCommands({ create: true, datadog: false }));
  assert.match(result.stderr, /No DD_API_KEY or DATADOG_API_KEY set: deploying the local Agent/);
  assert.match(result.stderr, /\[1\/\d+\] Create kind cluster dd-payments-kind/);
  assert.match(result.stdout, /The demo is up: http:\/\/localhost:8080/);
  // Each call ran from the repository root, where the relative paths resolve.
  const calls = await rec.calls();
  const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
  assert.ok(calls.every((c) => c.cwd === root));
});

Deno.test("kind:up with a Datadog key installs the chart and keeps every secret value out of argv", async () => {
  await using rec = await startRecording({ rules: rules([]) });
  const env = { ...SECRET_ENV, DD_API_KEY: "ddApiKeyValue123", DD_SITE: "datadoghq.com" };
  const result = await runKind(rec, ["up"], env);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await rec.commandLines(), upCommands({ create: true, datadog: true }));

  const calls = await rec.calls();
  const secretValues = [
    env.DD_API_KEY,
    SECRET_ENV.SESSION_SECRET,
    SECRET_ENV.DD_RUM_CLIENT_TOKEN,
    SECRET_ENV.JIRA_API_TOKEN,
  ];
  for (const value of secretValues) {
    assert.ok(
      !calls.some((c) => c.args.some((a) => a.includes(value))),
      "no recorded argv holds a secret value",
    );
    assert.ok(!result.stdout.includes(value) && !result.stderr.includes(value));
  }
  // The values did reach kubectl, on standard input, each only in its own Secret.
  const stdinOf = (name: string) =>
    calls.find((c) => c.args.includes(name) && c.args.includes("create"))?.stdin ?? "";
  assert.match(stdinOf("web-frontend-secrets"), /^SESSION_SECRET=session-secret-value/m);
  assert.match(stdinOf("web-frontend-secrets"), /^DD_RUM_CLIENT_TOKEN=pubRumTokenValue42$/m);
  assert.ok(!stdinOf("web-frontend-secrets").includes(SECRET_ENV.JIRA_API_TOKEN));
  assert.match(stdinOf("jira-poller-secrets"), /^JIRA_API_TOKEN=jira-token-value-7$/m);
  assert.ok(!stdinOf("jira-poller-secrets").includes(SECRET_ENV.SESSION_SECRET));
  assert.equal(stdinOf("datadog-secret"), "api-key=ddApiKeyValue123\n");
});

Deno.test("kind:up reads .env as compose:up does, the environment winning over it", async () => {
  await using rec = await startRecording({ rules: rules([]) });
  const envFile = join(rec.dir, "my.env");
  await Deno.writeTextFile(
    envFile,
    [
      "# as in .env.example",
      "DD_API_KEY=ddApiKeyFromFile9",
      "DD_SITE=datadoghq.eu",
      `JIRA_API_TOKEN="${SECRET_ENV.JIRA_API_TOKEN}"`,
      "KIND_CLUSTER_NAME=dd-payments-kind",
    ].join("\n"),
  );
  const result = await runKind(rec, ["up", "--env-file", envFile], { DD_SITE: "datadoghq.com" });
  assert.equal(result.code, 0, result.stderr);
  // The key from the file chose the Datadog Agent; DD_SITE from the environment won.
  assert.deepEqual(await rec.commandLines(), upCommands({ create: true, datadog: true }));
  const calls = await rec.calls();
  const stdinOf = (name: string) =>
    calls.find((c) => c.args.includes(name) && c.args.includes("create"))?.stdin ?? "";
  assert.equal(stdinOf("datadog-secret"), "api-key=ddApiKeyFromFile9\n");
  assert.match(stdinOf("jira-poller-secrets"), /^JIRA_API_TOKEN=jira-token-value-7$/m);
  assert.ok(!result.stderr.includes("ddApiKeyFromFile9"));

  const missing = await runKind(rec, ["up", "--env-file", join(rec.dir, "none.env")]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot read the env file .*none\.env/);
});

Deno.test("a second kind:up with the cluster listed does not create it again and keeps the session secret", async () => {
  const deployed = "deployed-session-secret-0123456789abcdef";
  await using rec = await startRecording({
    rules: rules([], [
      // First run: no cluster. Later runs: kind lists it.
      { match: ["kind", "get", "clusters"], times: 1 },
      { match: ["kind", "get", "clusters"], stdout: "other\ndd-payments-kind\n" },
      {
        match: ["kubectl"],
        includes: ["get", "secret", "jsonpath={.data.SESSION_SECRET}"],
        stdout: btoa(deployed),
      },
    ]),
  });
  const first = await runKind(rec, ["up"], {});
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /SESSION_SECRET unset: generating one/);
  const second = await runKind(rec, ["up"], {});
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /Cluster dd-payments-kind exists: keeping it/);
  assert.match(second.stderr, /SESSION_SECRET unset: keeping the deployed one/);

  const lines = await rec.commandLines();
  assert.equal(lines.filter((l) => l.startsWith("kind create cluster")).length, 1);
  const calls = await rec.calls();
  const webSecrets = calls.filter((c) => c.args.includes("web-frontend-secrets") && c.stdin);
  assert.equal(webSecrets.length, 2);
  assert.match(webSecrets[0].stdin!, /^SESSION_SECRET=[0-9a-f]{64}$/m);
  assert.equal(webSecrets[1].stdin, `SESSION_SECRET=${deployed}\n`);
});

Deno.test("kind:up stops at a failing step with a message naming it and runs nothing after", async () => {
  await using rec = await startRecording({
    rules: rules([], [{
      match: ["docker", "build"],
      exit: 1,
      stderr: "failed to read Dockerfile\n",
    }]),
  });
  const result = await runKind(rec, ["up"], SECRET_ENV);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /Step failed: Build image demo-services:[\d.]+ .*\(docker exited with 1\)/,
  );
  const lines = await rec.commandLines();
  assert.ok(lines.at(-1)!.startsWith("docker build"));
  assert.ok(!lines.some((l) => l.startsWith("kind load") || l.includes("apply")));
});

Deno.test("kind:up names every missing tool and a stopped Docker daemon, and changes nothing", async () => {
  await using rec = await startRecording({
    rules: [{
      match: ["docker", "info"],
      exit: 1,
      stderr: "Cannot connect to the Docker daemon\n",
    }],
  });
  const bin = join(rec.dir, "bin");
  await Deno.mkdir(bin);
  for (const tool of ["docker", "kubectl"]) {
    await Deno.writeTextFile(join(bin, tool), `#!/bin/sh\nexec "${RECORDER_BIN}/${tool}" "$@"\n`, {
      mode: 0o755,
    });
  }
  const result = await runKind(rec, ["up"], { DD_API_KEY: "abc" }, `${bin}:/usr/bin:/bin`);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Not found on PATH: kind, helm/);
  assert.match(result.stderr, /Docker daemon is not running/);
  assert.deepEqual(await rec.commandLines(), ["docker info"]);
});

Deno.test("kind:up --dry-run prints the numbered plan and runs only read-only probes", async () => {
  await using rec = await startRecording({ rules: rules(["dd-payments-kind"]) });
  const result = await runKind(rec, ["up", "--dry-run"], SECRET_ENV);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^1\. Build image demo-services:/m);
  assert.match(result.stdout, /apply -k k8s\/overlays\/kind/);
  assert.ok(!result.stdout.includes(SECRET_ENV.SESSION_SECRET));
  assert.deepEqual(await rec.commandLines(), [
    "docker info",
    "kind get clusters",
    // Is a Datadog release to remove (no key set now)? Helm's release records say.
    `${CTX} --namespace datadog get secret --selector owner=helm,name=datadog --output name`,
  ]);
});

Deno.test("kind:down refuses without --yes when it cannot ask, and deletes with --yes", async () => {
  await using rec = await startRecording({ rules: rules(["dd-payments-kind"]) });
  const refused = await runKind(rec, ["down"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /without confirmation: pass --yes/);
  assert.ok(!(await rec.commandLines()).some((l) => l.startsWith("kind delete")));

  const deleted = await runKind(rec, ["down", "--yes"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal((await rec.commandLines()).at(-1), "kind delete cluster --name dd-payments-kind");
});

Deno.test("kind:down with no cluster deletes nothing and succeeds", async () => {
  await using rec = await startRecording({ rules: rules([]) });
  const result = await runKind(rec, ["down", "--yes"]);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /does not exist: nothing to delete/);
  assert.deepEqual(await rec.commandLines(), ["kind get clusters"]);
});

Deno.test("kind:logs rejects an unknown service before running anything", async () => {
  await using rec = await startRecording({ rules: rules(["dd-payments-kind"]) });
  const result = await runKind(rec, ["logs", "payments"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /Unknown service 'payments': expected one of web-frontend, auth-service/,
  );
  assert.deepEqual(await rec.commandLines(), []);

  const ok = await runKind(rec, ["logs", "payment-service", "--no-follow"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(
    (await rec.commandLines()).at(-1),
    `${CTX} --namespace dd-demo logs --selector app.kubernetes.io/name=payment-service ` +
      "--prefix --tail=100 --max-log-requests=10",
  );
});

Deno.test("kind:redeploy rebuilds, loads, restarts one service and waits for it", async () => {
  await using rec = await startRecording({ rules: rules(["dd-payments-kind"]) });
  const result = await runKind(rec, ["redeploy", "fraud-service"]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await rec.commandLines(), [
    "kind get clusters",
    `docker build --tag ${IMAGE} --build-arg DENO_VERSION=2.9.6 .`,
    `kind load docker-image ${IMAGE} --name dd-payments-kind`,
    `${CTX} --namespace dd-demo rollout restart deployment/fraud-service`,
    `${CTX} --namespace dd-demo rollout status deployment/fraud-service --timeout=180s`,
  ]);
});

Deno.test("kind:status shows nodes, pods and Warning events, or says the cluster is missing", async () => {
  await using rec = await startRecording({ rules: rules(["dd-payments-kind"]) });
  const result = await runKind(rec, ["status"]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual((await rec.commandLines()).slice(1), [
    `${CTX} get nodes -o wide`,
    `${CTX} --namespace dd-demo get pods -o wide`,
    `${CTX} --namespace datadog get pods -o wide`,
    `${CTX} get events --all-namespaces --field-selector type=Warning --sort-by .lastTimestamp`,
  ]);

  await rec.setRules(rules([]));
  const missing = await runKind(rec, ["status"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cluster dd-payments-kind does not exist: create it with/);
});

Deno.test("tasks/kind.ts answers --help per command and exits 1 on an unknown command", async () => {
  await using rec = await startRecording();
  const help = await runKind(rec, ["redeploy", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task kind:redeploy <service>/);
  const unknown = await runKind(rec, ["explode"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Unknown command 'explode'/);
  assert.deepEqual(await rec.commandLines(), []);
});

Deno.test("kind:up again rolls only the workloads whose image or Secret changed", async () => {
  await using rec = await startRecording({
    rules: rules(["dd-payments-kind"], [
      // Run 1 and 2 load the same image, run 3 a rebuilt one; web-frontend's Secret changes
      // between runs 2 and 3 (its resourceVersion), jira-poller's does not.
      { match: ["docker", "image", "inspect"], stdout: "sha256:aaa\n", times: 2 },
      { match: ["docker", "image", "inspect"], stdout: "sha256:bbb\n" },
      {
        match: ["kubectl"],
        includes: ["get", "secret", "web-frontend-secrets", "jsonpath={.metadata.resourceVersion}"],
        stdout: "7",
        times: 2,
      },
      {
        match: ["kubectl"],
        includes: ["get", "secret", "web-frontend-secrets", "jsonpath={.metadata.resourceVersion}"],
        stdout: "8",
      },
    ]),
  });
  const stamps: Record<string, string>[] = [];
  for (let run = 0; run < 3; run++) {
    const before = (await rec.commandLines()).length;
    const result = await runKind(rec, ["up"], SECRET_ENV);
    assert.equal(result.code, 0, result.stderr);
    const patches = (await rec.commandLines()).slice(before).filter((l) => l.includes(" patch "));
    stamps.push(Object.fromEntries(patches.map((line) => [
      line.match(/patch (\S+)/)![1],
      line.match(/"dd-payments\/rollout-stamp":"([^"]*)"/)![1],
    ])));
  }
  // The same image and Secrets: the same stamps, which kubectl applies as no change.
  assert.deepEqual(stamps[1], stamps[0]);
  assert.equal(stamps[0]["deployment/web-frontend"], "sha256:aaa.secret-7");
  // A rebuilt image restamps everything; the changed Secret shows in web-frontend's only.
  assert.equal(stamps[2]["deployment/auth-service"], "sha256:bbb");
  assert.equal(stamps[2]["deployment/web-frontend"], "sha256:bbb.secret-8");
  assert.equal(stamps[2]["deployment/jira-poller"], `sha256:bbb.secret-${SECRET_VERSION}`);
  assert.equal(stamps[2]["daemonset/local-agent"], "sha256:bbb");
});

Deno.test("kind:up without a key finds a Datadog release from Helm's records, and needs helm to remove it", async () => {
  const release = {
    match: ["kubectl"],
    includes: ["get", "secret", "--selector", "owner=helm,name=datadog"],
    stdout: "secret/sh.helm.release.v1.datadog.v1\n",
  };
  await using rec = await startRecording({ rules: rules(["dd-payments-kind"], [release]) });
  const removed = await runKind(rec, ["up"], SECRET_ENV);
  assert.equal(removed.code, 0, removed.stderr);
  const lines = await rec.commandLines();
  assert.ok(
    lines.includes(
      "helm uninstall datadog --kube-context kind-dd-payments-kind --namespace datadog --wait",
    ),
  );

  // The same cluster on a machine without helm: stop before changing anything.
  const bin = join(rec.dir, "no-helm");
  await Deno.mkdir(bin);
  for (const tool of ["docker", "kind", "kubectl"]) {
    await Deno.writeTextFile(join(bin, tool), `#!/bin/sh\nexec "${RECORDER_BIN}/${tool}" "$@"\n`, {
      mode: 0o755,
    });
  }
  const before = lines.length;
  const refused = await runKind(rec, ["up"], SECRET_ENV, `${bin}:/usr/bin:/bin`);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Datadog Agent release holds the host ports.*helm/s);
  const after = (await rec.commandLines()).slice(before);
  assert.ok(!after.some((l) => /build|apply|delete|create cluster/.test(l)), after.join("\n"));
});
