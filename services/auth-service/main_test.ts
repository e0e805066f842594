import assert from "node:assert/strict";
import { freePort, spawnService, waitReady } from "@demo/observability/testing";

const main = new URL("./main.ts", import.meta.url).pathname;

const spawn = (env: Record<string, string>) => spawnService(main, env);

Deno.test("auth-service exits 1 at start-up naming the bad variable, never its value", async () => {
  const out = await spawn({ AUTH_FAIL_RATE: "sevenish", PORT: "0" }).output();
  assert.equal(out.code, 1);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /"config_invalid"/);
  assert.match(text, /AUTH_FAIL_RATE/);
  assert.doesNotMatch(text, /sevenish/);
});

Deno.test("auth-service serves, then exits 0 on SIGTERM after draining", async () => {
  const port = freePort();
  const child = spawn({ PORT: String(port) });
  const ready = await waitReady(port);
  assert.ok(ready, "auth-service became ready");
  child.kill("SIGTERM");
  const out = await child.output();
  assert.equal(out.code, 0);
  assert.match(new TextDecoder().decode(out.stdout), /"service_stopped"/);
});
