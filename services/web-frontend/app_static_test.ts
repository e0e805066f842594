import assert from "node:assert/strict";
import { createTestGateway } from "./_testing.ts";

const INDEX = '<!doctype html><script type="module" src="/assets/app.0a1b2c3d.js"></script>';
const JS = "console.log('app');";
const CSS = "body{margin:0}";

async function withDist(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "web-dist-" });
  try {
    await Deno.mkdir(`${dir}/assets`);
    await Deno.writeTextFile(`${dir}/index.html`, INDEX);
    await Deno.writeTextFile(`${dir}/assets/app.0a1b2c3d.js`, JS);
    await Deno.writeTextFile(`${dir}/assets/app.4e5f6a7b.css`, CSS);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("GET / serves index.html with Cache-Control: no-cache", async () => {
  await withDist(async (dir) => {
    const gw = await createTestGateway({ distDir: dir });
    const res = await gw.app.request("/");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.equal(await res.text(), INDEX);
    // Served from memory: the same bytes again, and a revalidation answers 304.
    const again = await gw.app.request("/", {
      headers: { "if-none-match": res.headers.get("etag") ?? "" },
    });
    assert.equal(again.status, 304);
    assert.equal(await (await gw.app.request("/")).text(), INDEX);
  });
});

Deno.test("HEAD / and HEAD /assets/* give the size GET would send, without a body", async () => {
  await withDist(async (dir) => {
    const gw = await createTestGateway({ distDir: dir });
    for (const [path, body] of [["/", INDEX], ["/assets/app.0a1b2c3d.js", JS]]) {
      const res = await gw.app.request(path, { method: "HEAD" });
      assert.equal(res.status, 200, path);
      assert.equal(
        res.headers.get("content-length"),
        String(new TextEncoder().encode(body).length),
      );
      assert.equal(await res.text(), "", path);
    }
  });
});

Deno.test("GET /assets/* serves hashed files as immutable with their content types", async () => {
  await withDist(async (dir) => {
    const gw = await createTestGateway({ distDir: dir });
    for (
      const [path, type, body] of [
        ["/assets/app.0a1b2c3d.js", "text/javascript; charset=utf-8", JS],
        ["/assets/app.4e5f6a7b.css", "text/css; charset=utf-8", CSS],
      ]
    ) {
      const res = await gw.app.request(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("content-type"), type);
      assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.equal(await res.text(), body);
    }
  });
});

Deno.test("GET /assets/* answers 404 for an unknown asset or a path outside assets", async () => {
  await withDist(async (dir) => {
    const gw = await createTestGateway({ distDir: dir });
    for (
      const path of [
        "/assets/app.ffffffff.js",
        "/assets/../index.html",
        "/assets/%2e%2e/index.html",
      ]
    ) {
      const res = await gw.app.request(path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get("cache-control"), null, "a miss is never cached for a year");
      await res.body?.cancel();
    }
  });
});

Deno.test("GET / answers 503 telling to run deno task web:build when the UI is not built", async () => {
  const gw = await createTestGateway({ distDir: "/nonexistent/dist" });
  const res = await gw.app.request("/");
  assert.equal(res.status, 503);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  assert.match(await res.text(), /deno task web:build/);
});

Deno.test("every response carries the CSP, nosniff and referrer policy headers", async () => {
  await withDist(async (dir) => {
    const gw = await createTestGateway({ distDir: dir });
    for (
      const path of [
        "/",
        "/assets/app.0a1b2c3d.js",
        "/api/config",
        "/api/session",
        "/nope",
        "/healthz",
      ]
    ) {
      const res = await gw.app.request(path);
      await res.body?.cancel();
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'self'/, path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(res.headers.get("referrer-policy"), "strict-origin-when-cross-origin", path);
    }
  });
});

function directives(res: Response): Map<string, string> {
  const csp = res.headers.get("content-security-policy") ?? "";
  return new Map(
    csp.split(/;\s*/).map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values.join(" ")];
    }),
  );
}

Deno.test("the CSP allows only the page's own scripts, styles and API when RUM is off", async () => {
  const gw = await createTestGateway();
  const csp = directives(await gw.app.request("/api/config"));
  assert.equal(csp.get("default-src"), "'self'");
  assert.equal(csp.get("script-src"), "'self'");
  assert.equal(csp.get("style-src"), "'self'");
  assert.equal(csp.get("img-src"), "'self' data:");
  assert.equal(csp.get("connect-src"), "'self'");
  assert.equal(csp.get("worker-src"), "blob:");
  assert.equal(csp.get("frame-ancestors"), "'none'");
  assert.equal(csp.get("base-uri"), "'self'");
  assert.equal(csp.get("form-action"), "'self'");
  assert.equal(csp.get("object-src"), "'none'");
});

Deno.test("the CSP lets the SDKs reach the site's browser intake when RUM is on without a proxy", async () => {
  const rum = { DD_RUM_APPLICATION_ID: "app", DD_RUM_CLIENT_TOKEN: "pub" };
  const eu = await createTestGateway({ env: rum });
  assert.equal(
    directives(await eu.app.request("/")).get("connect-src"),
    "'self' https://browser-intake-datadoghq.eu",
  );
  const us3 = await createTestGateway({ env: { ...rum, DD_RUM_SITE: "us3.datadoghq.com" } });
  assert.equal(
    directives(await us3.app.request("/")).get("connect-src"),
    "'self' https://browser-intake-us3-datadoghq.com",
  );
  const proxied = await createTestGateway({
    env: { ...rum, RUM_PROXY_URL: "http://127.0.0.1:8126/browser-intake" },
  });
  assert.equal(directives(await proxied.app.request("/")).get("connect-src"), "'self'");
});

Deno.test("Strict-Transport-Security is sent only when the site is served over HTTPS", async () => {
  const plain = await createTestGateway();
  const secure = await createTestGateway({ env: { COOKIE_SECURE: "true" } });
  const a = await plain.app.request("/api/config");
  const b = await secure.app.request("/api/config");
  await a.body?.cancel();
  await b.body?.cancel();
  assert.equal(a.headers.get("strict-transport-security"), null);
  assert.match(b.headers.get("strict-transport-security") ?? "", /max-age=\d+/);
});
