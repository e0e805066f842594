/**
 * The Dockerfile and .dockerignore: lint-clean, pinned to .deno-version, a frozen dependency
 * layer before the sources, everything cached at build time, a non-root user, and a build
 * context with what the services need and nothing else.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { validate } from "dockerfile-utils";
import { REPO_ROOT } from "../tasks/lib/tools.ts";
import { ENTRY_POINTS } from "../tasks/lib/topology.ts";

const dockerfile = await Deno.readTextFile(join(REPO_ROOT, "Dockerfile"));
const dockerignore = await Deno.readTextFile(join(REPO_ROOT, ".dockerignore"));
const denoVersion = (await Deno.readTextFile(join(REPO_ROOT, ".deno-version"))).trim();

/** Instructions with continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text.replace(/\\\n/g, " ").split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}
const steps = instructions(dockerfile);
const indexOf = (predicate: (s: { op: string; args: string }) => boolean) =>
  steps.findIndex(predicate);

Deno.test("dockerfile-utils finds no problem in the Dockerfile (and does find a planted one)", () => {
  assert.deepEqual(validate(dockerfile), []);
  assert.ok(validate("FROM alpine\nEXPOSE eighty\nCMD\n").length > 0, "the linter reports");
});

Deno.test("the base image is denoland/deno pinned by a DENO_VERSION default equal to .deno-version", () => {
  const arg = dockerfile.match(/^ARG DENO_VERSION=(\S+)$/m);
  assert.equal(arg?.[1], denoVersion);
  assert.deepEqual(
    steps.filter((s) => s.op === "FROM").map((s) => s.args),
    ["denoland/deno:${DENO_VERSION}"],
  );
});

Deno.test("dependencies install frozen from the manifests before the sources are copied", async () => {
  const root = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json")));
  const install = indexOf((s) => s.op === "RUN" && /\bdeno install --frozen\b/.test(s.args));
  const sources = indexOf((s) => s.op === "COPY" && s.args === ". .");
  assert.ok(install > 0 && sources > install, "deno install --frozen runs before COPY . .");
  const copiedBefore = steps.slice(0, install).filter((s) => s.op === "COPY")
    .flatMap((s) => s.args.split(/\s+/).slice(0, -1));
  for (const manifest of ["deno.json", "deno.lock"]) {
    assert.ok(copiedBefore.includes(manifest), `${manifest} is copied first`);
  }
  for (const member of root.workspace as string[]) {
    const path = `${member.replace(/^\.\//, "")}/deno.json`;
    assert.ok(copiedBefore.includes(path), `${path} is copied before the install`);
  }
});

Deno.test("the web UI is bundled and every entry point cached at build time", () => {
  const sources = indexOf((s) => s.op === "COPY" && s.args === ". .");
  const build = indexOf((s) => s.op === "RUN" && /deno task web:build/.test(s.args));
  assert.ok(build > sources, "web:build runs on the copied sources");
  const cache = steps.find((s) => s.op === "RUN" && /\bdeno cache --frozen\b/.test(s.args));
  assert.ok(cache, "deno cache --frozen runs");
  for (const entry of [...Object.values(ENTRY_POINTS), "docker/healthcheck.ts"]) {
    assert.ok(cache.args.split(/\s+/).includes(entry), `${entry} is cached`);
  }
});

Deno.test("the image runs as a non-root user through docker/run.sh with a baked DENO_DIR", () => {
  const users = steps.filter((s) => s.op === "USER").map((s) => s.args);
  assert.ok(users.length > 0, "a USER is set");
  assert.ok(!/^(root|0)(:|$)/.test(users.at(-1)!), `last USER is not root: ${users.at(-1)}`);
  assert.deepEqual(
    JSON.parse(steps.find((s) => s.op === "ENTRYPOINT")!.args),
    ["/app/docker/run.sh"],
  );
  assert.match(dockerfile, /DENO_DIR=\/deno-dir/);
  assert.match(dockerfile, /DD_RUNTIME_METRICS_NATIVE=false/);
  assert.ok(steps.some((s) => s.op === "HEALTHCHECK" && /\/readyz|healthcheck\.ts/.test(s.args)));
});

Deno.test("nothing in the Dockerfile is tied to one CPU architecture", () => {
  assert.doesNotMatch(dockerfile, /amd64|x86_64|arm64|aarch64|--platform/i);
});

/**
 * Docker's .dockerignore rules: patterns in order, the last match wins, a path is excluded
 * when it or one of its parent folders matches, `!` re-includes, `**` spans folders.
 */
export function ignoredBy(rules: string, path: string): boolean {
  const patterns = rules.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    .map((line) => {
      const negate = line.startsWith("!");
      const glob = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, "");
      const source = glob.split("/").map((part) =>
        part === "**" ? "(?:.*)" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replaceAll("*", "[^/]*").replaceAll("?", "[^/]")
      ).join("/").replaceAll("(?:.*)/", "(?:.*/)?");
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  const parts = path.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const { negate, regex } of patterns) {
    if (candidates.some((c) => regex.test(c))) excluded = !negate;
  }
  return excluded;
}

Deno.test("ignoredBy() follows Docker's last-match and parent-folder rules", () => {
  const rules = "*\n!src/\n**/*_test.ts\n!src/keep_test.ts";
  assert.equal(ignoredBy(rules, "README.md"), true);
  assert.equal(ignoredBy(rules, "src/a/b.ts"), false);
  assert.equal(ignoredBy(rules, "src/a/b_test.ts"), true);
  assert.equal(ignoredBy(rules, "src/keep_test.ts"), false);
});

Deno.test(".dockerignore keeps out .git, .tools, tests, node_modules, .env and test files", () => {
  for (
    const path of [
      ".git/config",
      ".tools/bin/kubectl",
      "tests/compose_test.ts",
      "node_modules/hono/package.json",
      "services/auth-service/node_modules/x.js",
      ".env",
      "services/web-frontend/.env",
      "services/auth-service/app_test.ts",
      "web/dist/index.html",
      "compose.yaml",
      "k8s/base/kustomization.yaml",
      ".ci/run",
    ]
  ) {
    assert.equal(ignoredBy(dockerignore, path), true, `${path} must not be in the build context`);
  }
});

Deno.test(".dockerignore keeps every module the entry points and the UI build load", async () => {
  const wanted = new Set<string>([
    "deno.json",
    "deno.lock",
    "VERSION",
    "docker/run.sh",
    "docker/healthcheck.ts",
    "tasks/web_build.ts",
  ]);
  for await (const entry of Deno.readDir(join(REPO_ROOT, "web"))) {
    if (entry.isFile) wanted.add(`web/${entry.name}`);
  }
  const entries = [...Object.values(ENTRY_POINTS), "tasks/web_build.ts", "docker/healthcheck.ts"];
  for (const entry of entries) {
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(info.code, 0, `${entry}: ${new TextDecoder().decode(info.stderr)}`);
    const graph = JSON.parse(new TextDecoder().decode(info.stdout));
    for (const module of graph.modules as { specifier: string }[]) {
      if (!module.specifier.startsWith("file://")) continue;
      const path = decodeURIComponent(new URL(module.specifier).pathname)
        .slice(REPO_ROOT.replace(/\/?$/, "/").length);
      if (!path.startsWith("node_modules/")) wanted.add(path);
    }
  }
  const dropped = [...wanted].filter((path) => ignoredBy(dockerignore, path));
  assert.deepEqual(dropped, [], "files the image needs are kept out of the build context");
  assert.ok(wanted.size > 30, `the module graph was read (${wanted.size} files)`);
});
