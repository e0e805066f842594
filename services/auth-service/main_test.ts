import assert from "node:assert/strict";

const main = new URL("./main.ts", import.meta.url).pathname;

function spawn(env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main],
    env: { DD_TRACE_ENABLED: "false", DD_AGENT_HOST: "127.0.0.1", HOST: "127.0.0.1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("auth-service exits 1 at start-up naming the bad variable, never its value", async () => {
  const out = await spawn({ AUTH_FAIL_RATE: "sevenish", PORT: "0" }).output();
  assert.equal(out.code, 1);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /"config_invalid"/);
  assert.match(text, /AUTH_FAIL_RATE/);
  assert.doesNotMatch(text, /sevenish/);
});

Deno.test("auth-service serves, then exits 0 on SIGTERM after draining", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const child = spawn({ PORT: String(port) });
  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => {
      r.body?.cancel();
      return r.ok;
    }).catch(() => false);
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ready, "auth-service became ready");
  child.kill("SIGTERM");
  const out = await child.output();
  assert.equal(out.code, 0);
  assert.match(new TextDecoder().decode(out.stdout), /"service_stopped"/);
});
