/**
 * `deno task web:build`: bundles the browser UI (`web/src/main.ts` with the Datadog RUM
 * and Logs SDKs from npm, and `web/styles.css`) with `deno bundle` into `web/dist`:
 * `index.html` and `assets/app.<contenthash>.js|css`. Old bundles are removed, and the
 * build fails when the JavaScript exceeds its gzip budget.
 *
 *   deno task web:build [--out-dir DIR]
 */
import $ from "dax";
import { createHash } from "node:crypto";
import { extname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { REPO_ROOT } from "./lib/tools.ts";

/** The most JavaScript the page may ship, gzip-compressed: 120 kB (120,000 bytes). */
export const JS_GZIP_BUDGET_BYTES = 120_000;

const WEB_DIR = join(REPO_ROOT, "web");
const ENTRY = "web/src/main.ts";
const STYLES = "web/styles.css";
const TEMPLATE = join(WEB_DIR, "index.html");
/** The names `web/index.html` uses; the build swaps in the hashed ones. */
const PLACEHOLDER = { js: "/assets/app.js", css: "/assets/app.css" } as const;
/** Files an earlier build wrote, removed when they are not part of this one. */
const OWN_ASSET = /^app\.[0-9a-f]+\.(js|css)$/;

/** Options of {@linkcode buildWeb}. */
export interface BuildOptions {
  /** Where to write (default `web/dist`). */
  outDir?: string;
  /** Gzip budget of the JavaScript in bytes (default {@linkcode JS_GZIP_BUDGET_BYTES}). */
  budgetBytes?: number;
  /** Where progress lines go (default stderr). */
  progress?: (line: string) => void;
}

/** What {@linkcode buildWeb} wrote. */
export interface BuildResult {
  outDir: string;
  /** Paths below `outDir`. */
  files: { html: "index.html"; js: string; css: string };
  jsBytes: number;
  jsGzipBytes: number;
  cssBytes: number;
}

/** Thrown when the bundled JavaScript is larger than its gzip budget. */
export class BudgetExceededError extends Error {
  readonly gzipBytes: number;
  readonly budgetBytes: number;
  constructor(gzipBytes: number, budgetBytes: number) {
    super(
      `Cannot build the UI: its JavaScript is ${kB(gzipBytes)} gzip, over the budget of ${
        kB(budgetBytes)
      }`,
    );
    this.name = "BudgetExceededError";
    this.gzipBytes = gzipBytes;
    this.budgetBytes = budgetBytes;
  }
}

/**
 * Bundles the UI into `outDir`. Nothing in `outDir` changes unless the bundle builds and
 * fits the budget; `index.html` is replaced last, so a server reading the folder never
 * sees a page whose assets are missing.
 */
export async function buildWeb(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = resolve(options.outDir ?? join(WEB_DIR, "dist"));
  const budgetBytes = options.budgetBytes ?? JS_GZIP_BUDGET_BYTES;
  const progress = options.progress ?? ((line: string) => console.error(line));

  const template = await Deno.readTextFile(TEMPLATE);
  const inline = inlineCodeIn(template);
  if (inline.length) {
    throw new Error(`Cannot build the UI: web/index.html has inline code (${inline.join(", ")})`);
  }

  progress(`Bundling ${ENTRY} and ${STYLES} with deno bundle`);
  const started = performance.now();
  const { js, css } = await bundle();
  const jsGzipBytes = gzipSync(js).byteLength;
  progress(`      done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (jsGzipBytes > budgetBytes) throw new BudgetExceededError(jsGzipBytes, budgetBytes);

  const files = {
    html: "index.html" as const,
    js: `assets/app.${contentHash(js)}.js`,
    css: `assets/app.${contentHash(css)}.css`,
  };
  const html = useAsset(
    useAsset(template, PLACEHOLDER.js, `/${files.js}`),
    PLACEHOLDER.css,
    `/${files.css}`,
  );

  await Deno.mkdir(join(outDir, "assets"), { recursive: true });
  await Deno.writeFile(join(outDir, files.js), js);
  await Deno.writeFile(join(outDir, files.css), css);
  const htmlPath = join(outDir, files.html);
  await Deno.writeTextFile(`${htmlPath}.tmp`, html);
  await Deno.rename(`${htmlPath}.tmp`, htmlPath);
  await removeOldAssets(join(outDir, "assets"), new Set([files.js, files.css]));

  const shown = (path: string) => relative(Deno.cwd(), join(outDir, path)) || ".";
  progress(`  ${shown(files.html)}`);
  progress(`  ${shown(files.js)}  ${kB(js.byteLength)}, ${kB(jsGzipBytes)} gzip`);
  progress(`  ${shown(files.css)}  ${kB(css.byteLength)}`);
  progress(`JavaScript: ${kB(jsGzipBytes)} gzip of ${kB(budgetBytes)} allowed`);
  return { outDir, files, jsBytes: js.byteLength, jsGzipBytes, cssBytes: css.byteLength };
}

async function bundle(): Promise<{ js: Uint8Array; css: Uint8Array }> {
  const temp = await Deno.makeTempDir({ prefix: "web-build-" });
  try {
    const result =
      await $`${Deno.execPath()} bundle --platform browser --format esm --minify --outdir ${temp} ${ENTRY} ${STYLES}`
        .cwd(REPO_ROOT).noThrow().stdout("piped").stderr("piped");
    if (result.code !== 0) {
      const detail = (result.stderr || result.stdout).trim().split("\n").slice(-20).join("\n");
      throw new Error(`Cannot bundle the UI: deno bundle exited with ${result.code}\n${detail}`);
    }
    const outputs = await filesUnder(temp);
    const only = (ext: string) => {
      const found = outputs.filter((path) => extname(path) === ext);
      if (found.length !== 1) {
        throw new Error(
          `Cannot bundle the UI: expected one ${ext} file, deno bundle wrote ${found.length}`,
        );
      }
      return Deno.readFile(found[0]);
    };
    return { js: await only(".js"), css: await only(".css") };
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...await filesUnder(path));
    else if (entry.isFile) found.push(path);
  }
  return found;
}

async function removeOldAssets(assetsDir: string, keep: ReadonlySet<string>): Promise<void> {
  for await (const entry of Deno.readDir(assetsDir)) {
    if (entry.isFile && OWN_ASSET.test(entry.name) && !keep.has(`assets/${entry.name}`)) {
      await Deno.remove(join(assetsDir, entry.name));
    }
  }
}

/** The first 12 hex digits of the SHA-256 of `content`. */
export function contentHash(content: Uint8Array): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 12);
}

function useAsset(html: string, placeholder: string, hashed: string): string {
  const attribute = new RegExp(`(\\s(?:src|href)=")${placeholder.replaceAll(".", "\\.")}"`, "g");
  const count = html.match(attribute)?.length ?? 0;
  if (count !== 1) {
    throw new Error(
      `Cannot build index.html: web/index.html must reference ${placeholder} once, found ${count}`,
    );
  }
  return html.replace(attribute, `$1${hashed}"`);
}

/**
 * What in `html` the page's CSP (`script-src 'self'; style-src 'self'`) would block: inline
 * scripts, `<style>` elements, `style` attributes and inline event handlers.
 */
export function inlineCodeIn(html: string): string[] {
  const found: string[] = [];
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\ssrc\s*=/i.test(match[1]) || match[2].trim()) found.push("an inline <script>");
  }
  if (/<style\b/i.test(html)) found.push("a <style> element");
  if (/<[^>]+\sstyle\s*=/i.test(html)) found.push("a style attribute");
  if (/<[^>]+\son[a-z]+\s*=/i.test(html)) found.push("an inline event handler");
  return found;
}

function kB(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} kB`;
}

const HELP = `Usage: deno task web:build [--out-dir DIR]

Bundles the browser UI (web/src/main.ts, web/styles.css, web/index.html) into web/dist
with content-hashed asset names, and fails when the JavaScript is over
${kB(JS_GZIP_BUDGET_BYTES)} gzip.

Options:
  --out-dir DIR  where to write (default web/dist)
  -h, --help     show this help`;

if (import.meta.main) {
  let values: { "out-dir"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: { "out-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    Deno.exit(1);
  }
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  try {
    await buildWeb({ outDir: values["out-dir"] });
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
