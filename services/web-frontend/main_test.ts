import assert from "node:assert/strict";
import { freePort, spawnService, waitReady } from "@demo/observability/testing";

const main = new URL("./main.ts", import.meta.url).pathname;
const SECRET = "main-test-session-secret-0123456789abcdef";

const spawn = (env: Record<string, string>) => spawnService(main, env);

Deno.test("web-frontend exits 1 at start-up naming SESSION_SECRET, never its value", async () => {
  const out = await spawn({ SESSION_SECRET: "too-short-s3cret", PORT: String(freePort()) })
    .output();
  assert.equal(out.code, 1);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /"config_invalid"/);
  assert.match(text, /SESSION_SECRET/);
  assert.doesNotMatch(text, /too-short-s3cret/);
});

Deno.test("web-frontend serves its UI and API, then exits 0 on SIGTERM after draining", async () => {
  const dist = await Deno.makeTempDir({ prefix: "web-dist-" });
  await Deno.writeTextFile(`${dist}/index.html`, "<!doctype html><title>pay</title>");
  const port = freePort();
  const child = spawn({ SESSION_SECRET: SECRET, PORT: String(port), WEB_DIST_DIR: dist });
  try {
    const ready = await waitReady(port);
    assert.ok(ready, "web-frontend became ready");
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await page.text(), "<!doctype html><title>pay</title>");
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const session = await fetch(`http://127.0.0.1:${port}/api/session`);
    assert.equal(session.status, 401);
    await session.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    const out = await child.output();
    await Deno.remove(dist, { recursive: true });
    assert.equal(out.code, 0);
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /"service_stopped"/);
    assert.doesNotMatch(text, new RegExp(SECRET));
  }
});
