import assert from "node:assert/strict";
import { contentTypeOf, createStaticSiteSource, loadStaticSite } from "./static.ts";

Deno.test("contentTypeOf() names the types of the bundle's files", () => {
  assert.equal(contentTypeOf("app.1a2b.js"), "text/javascript; charset=utf-8");
  assert.equal(contentTypeOf("app.1a2b.css"), "text/css; charset=utf-8");
  assert.equal(contentTypeOf("app.1a2b.js.map"), "application/json; charset=utf-8");
  assert.equal(contentTypeOf("logo.SVG"), "image/svg+xml");
  assert.equal(contentTypeOf("blob"), "application/octet-stream");
});

Deno.test("loadStaticSite() reads index.html and every file under assets, nested too", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/assets/fonts`, { recursive: true });
    await Deno.writeTextFile(`${dir}/index.html`, "<!doctype html>");
    await Deno.writeTextFile(`${dir}/assets/app.1.js`, "js");
    await Deno.writeTextFile(`${dir}/assets/fonts/a.woff2`, "font");
    const site = await loadStaticSite(dir);
    assert.ok(site);
    assert.equal(new TextDecoder().decode(site.index.body), "<!doctype html>");
    assert.match(site.index.etag, /^"[A-Za-z0-9_-]+"$/);
    assert.deepEqual([...site.assets.keys()].sort(), ["app.1.js", "fonts/a.woff2"]);
    assert.equal(site.assets.get("fonts/a.woff2")?.contentType, "font/woff2");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createStaticSiteSource() picks up a UI built after start-up, looking again at most every retryMs", async () => {
  const dir = await Deno.makeTempDir();
  let now = 0;
  let missing = 0;
  try {
    const source = createStaticSiteSource(dir, {
      retryMs: 1000,
      now: () => now,
      onMissing: () => missing++,
    });
    assert.equal(await source.current(), undefined);
    await Deno.writeTextFile(`${dir}/index.html`, "built");
    now = 500;
    assert.equal(await source.current(), undefined, "too soon to look again");
    now = 1000;
    const site = await source.current();
    assert.equal(new TextDecoder().decode(site?.index.body), "built");
    assert.equal(missing, 1, "told once");
    await Deno.remove(`${dir}/index.html`);
    assert.equal(await source.current(), site, "kept in memory once found");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
