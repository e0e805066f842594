import assert from "node:assert/strict";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

// Only what Deno needs to find its cache, so no LOCAL_AGENT_* of the caller leaks in.
const PASSED = ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME"];

function command(env: Record<string, string>) {
  const inherited = Object.fromEntries(
    PASSED.flatMap((key) => {
      const value = Deno.env.get(key);
      return value === undefined ? [] : [[key, value]];
    }),
  );
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", MAIN],
    env: { ...inherited, NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("main.ts exits 1 naming every bad variable, never its value", async () => {
  const { code, stdout } = await command({
    LOCAL_AGENT_MAX_TRACES: "many-secret-traces",
    LOCAL_AGENT_HTTP_PORT: "99999",
  }).output();
  assert.equal(code, 1);
  const [line] = new TextDecoder().decode(stdout).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(line.message, "config_invalid");
  assert.equal(line.level, "error");
  assert.deepEqual(line.keys.sort(), ["LOCAL_AGENT_HTTP_PORT", "LOCAL_AGENT_MAX_TRACES"]);
  assert.doesNotMatch(JSON.stringify(line), /many-secret-traces|99999/);
});

/** Starts main.ts on free ports and reads its first line (the start record). */
async function startAgent(env: Record<string, string> = {}) {
  const child = command({
    LOCAL_AGENT_HTTP_PORT: "0",
    LOCAL_AGENT_STATSD_PORT: "0",
    HOST: "127.0.0.1",
    ...env,
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  // A process that never prints its start line is killed, so the read below ends.
  const giveUp = setTimeout(() => child.kill("SIGKILL"), 15_000);
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  clearTimeout(giveUp);
  const newline = text.indexOf("\n");
  let started;
  try {
    started = JSON.parse(text.slice(0, newline));
  } catch {
    started = undefined;
  }
  /** The rest of its output, once it has exited. */
  const rest = async () => {
    let more = "";
    while (true) {
      const { done, value } = await reader.read();
      if (done) return text + more;
      more += value;
    }
  };
  /** Kills it if it still runs, and releases its pipes. */
  const release = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already stopped */ }
    await rest();
    await child.stderr.cancel().catch(() => {});
  };
  return { child, started, rest, release };
}

Deno.test("main.ts starts on the configured ports, answers /readyz and stops on SIGTERM", async () => {
  const { child, started, rest } = await startAgent();
  let text = "";
  try {
    assert.equal(started?.message, "local_agent_started");
    assert.ok(started.http_port > 0 && started.statsd_port > 0);
    const ready = await fetch(`${started.url}/readyz`);
    assert.deepEqual(await ready.json(), { ok: true });
  } finally {
    child.kill("SIGTERM");
    text = await rest();
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 0);
  }
  assert.match(text, /"message":"local_agent_stopped"/);
});

Deno.test("main.ts keeps receiving for a moment after SIGINT, so services stopping with it are heard", async () => {
  const { child, started, release } = await startAgent();
  try {
    // As Ctrl-C reaches every process of the dev stack at once.
    const interrupted = Date.now();
    child.kill("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const late = await fetch(`${started.url}/api/v2/logs?service=payment-service&ddsource=deno`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: '{"message":"service_stopped","level":"info"}\n',
    });
    await late.body?.cancel();
    assert.equal(late.status, 202, "a service's last log line, sent after the Ctrl-C");
    // What `deno task dev` sends once its services are gone: no more waiting.
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0);
    assert.ok(Date.now() - interrupted < 5000, "SIGTERM ends the wait at once");
  } finally {
    await release();
  }
});

Deno.test("main.ts stops on its own when the SIGINT wait is over", async () => {
  const { child, started, release } = await startAgent({ LOCAL_AGENT_SIGINT_WAIT_MS: "300" });
  try {
    assert.equal(started?.message, "local_agent_started");
    const interrupted = Date.now();
    child.kill("SIGINT");
    const status = await child.status;
    const waited = Date.now() - interrupted;
    assert.equal(status.code, 0);
    assert.ok(waited >= 250 && waited < 5000, `stopped ${waited} ms after SIGINT`);
  } finally {
    await release();
  }
});
