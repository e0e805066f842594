import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  BudgetExceededError,
  type BuildResult,
  buildWeb,
  inlineCodeIn,
  JS_GZIP_BUDGET_BYTES,
} from "./web_build.ts";

const quiet = () => {};

async function listAssets(outDir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(join(outDir, "assets"))) names.push(entry.name);
  return names.sort();
}

function sha256Prefix(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 12);
}

Deno.test("buildWeb() writes a page whose hashed assets fit the budget", async (t) => {
  const outDir = await Deno.makeTempDir({ prefix: "web-dist-" });
  try {
    // Left by an earlier build: must go. Not the build's: must stay.
    await Deno.mkdir(join(outDir, "assets"));
    await Deno.writeTextFile(join(outDir, "assets", "app.0123456789ab.js"), "old");
    await Deno.writeTextFile(join(outDir, "assets", "app.0123456789ab.css"), "old");
    await Deno.writeTextFile(join(outDir, "assets", "robots.txt"), "keep");

    const result: BuildResult = await buildWeb({ outDir, progress: quiet });
    const html = await Deno.readTextFile(join(outDir, "index.html"));
    const js = await Deno.readFile(join(outDir, result.files.js));
    const css = await Deno.readFile(join(outDir, result.files.css));

    await t.step("the assets are named by the hash of their content", () => {
      assert.match(result.files.js, /^assets\/app\.[0-9a-f]{12}\.js$/);
      assert.match(result.files.css, /^assets\/app\.[0-9a-f]{12}\.css$/);
      assert.equal(result.files.js, `assets/app.${sha256Prefix(js)}.js`);
      assert.equal(result.files.css, `assets/app.${sha256Prefix(css)}.css`);
    });

    await t.step("old bundles are removed and other files kept", async () => {
      assert.deepEqual(
        await listAssets(outDir),
        [
          result.files.js.slice("assets/".length),
          result.files.css.slice("assets/".length),
          "robots.txt",
        ].sort(),
      );
    });

    await t.step("index.html references the hashed script and stylesheet", () => {
      assert.ok(html.includes(`<script type="module" src="/${result.files.js}"></script>`));
      assert.ok(html.includes(`<link rel="stylesheet" href="/${result.files.css}">`));
      assert.ok(!html.includes('"/assets/app.js"'));
      assert.ok(!html.includes('"/assets/app.css"'));
    });

    await t.step("index.html has no inline script, style or event handler", () => {
      for (const script of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        assert.match(script[1], /\ssrc="\/assets\//);
        assert.equal(script[2].trim(), "");
      }
      assert.doesNotMatch(html, /<style\b/i);
      assert.doesNotMatch(html, /<[^>]+\sstyle=/i);
      assert.doesNotMatch(html, /<[^>]+\son[a-z]+=/i);
    });

    await t.step("the JavaScript is one self-contained ES module with both SDKs", () => {
      const source = new TextDecoder().decode(js);
      assert.doesNotMatch(source, /\bfrom\s*["'](npm:|@datadog\/)/);
      assert.doesNotMatch(source, /\bimport\s*\(\s*["']/);
      // The globals the RUM and the Logs SDK define.
      assert.match(source, /DD_RUM/);
      assert.match(source, /DD_LOGS/);
    });

    await t.step("the JavaScript is under 120 kB gzip, as measured again here", () => {
      const gzipBytes = gzipSync(js).byteLength;
      assert.equal(JS_GZIP_BUDGET_BYTES, 120_000);
      assert.equal(result.jsGzipBytes, gzipBytes);
      assert.equal(result.jsBytes, js.byteLength);
      assert.ok(gzipBytes < 120_000, `${gzipBytes} bytes gzip`);
      // The two SDKs alone are about 88 kB: less means they were not bundled.
      assert.ok(gzipBytes > 80_000, `${gzipBytes} bytes gzip`);
    });

    await t.step(
      "building again gives the same names (the hash depends only on content)",
      async () => {
        const again = await buildWeb({ outDir, progress: quiet });
        assert.deepEqual(again.files, result.files);
      },
    );

    await t.step("a bundle over budget fails and leaves the built page untouched", async () => {
      await assert.rejects(
        buildWeb({ outDir, budgetBytes: 1000, progress: quiet }),
        (error: unknown) => {
          assert.ok(error instanceof BudgetExceededError);
          assert.equal(error.budgetBytes, 1000);
          assert.equal(error.gzipBytes, result.jsGzipBytes);
          assert.match(error.message, /over the budget of 1\.0 kB/);
          return true;
        },
      );
      assert.equal(await Deno.readTextFile(join(outDir, "index.html")), html);
      assert.equal((await listAssets(outDir)).length, 3);
    });
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("inlineCodeIn() names what the page's CSP would block", () => {
  assert.deepEqual(inlineCodeIn('<script src="/a.js"></script><link href="/a.css">'), []);
  assert.deepEqual(
    inlineCodeIn(
      '<script>alert(1)</script><style>p{}</style><p style="x"></p><button onclick="x()">',
    ),
    ["an inline <script>", "a <style> element", "a style attribute", "an inline event handler"],
  );
});

Deno.test("the web/index.html template passes the inline-code check", async () => {
  const template = await Deno.readTextFile(new URL("../web/index.html", import.meta.url));
  assert.deepEqual(inlineCodeIn(template), []);
});
