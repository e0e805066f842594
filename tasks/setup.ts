/**
 * `deno task setup`: installs the external tools the tests and deployment tasks need.
 *
 * - Debian `chromium` (for the browser tests), `shellcheck` and `yamllint` (for the
 *   deployment file tests) with apt-get, when missing.
 * - Compose v2 and kubectl from Debian trixie, unpacked into `.tools/bin` without touching
 *   the machine's own package state: bookworm ships only Compose v1, and mixing suites
 *   would drag half of trixie onto the machine. A private apt state directory downloads
 *   the two `.deb`s and `dpkg-deb -x` unpacks them.
 *
 * Safe to run again: every tool whose installed version is good enough is skipped.
 */
import $ from "dax";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "./lib/tools.ts";

/** Where `.tools` lives; binaries go to `bin/`, the Compose CLI plugin link to `docker-config/`. */
export const TOOLS_DIR = join(REPO_ROOT, ".tools");

/** Oldest Compose that accepts this project's compose.yaml (watch `sync+restart`, `depends_on.required`). */
export const MIN_COMPOSE = "2.24.0";
/** Oldest kubectl whose built-in kustomize renders the overlays (kustomize v5). */
export const MIN_KUBECTL = "1.27.0";
/** Debian packages installed with the machine's own apt, and the command that proves each. */
export const APT_TOOLS = [
  { pkg: "chromium", bin: "/usr/bin/chromium", versionArgs: ["--version"] },
  { pkg: "shellcheck", bin: "shellcheck", versionArgs: ["--version"] },
  { pkg: "yamllint", bin: "yamllint", versionArgs: ["--version"] },
] as const;

/** What is already on the machine: a version string per tool, or undefined when missing. */
export interface SetupFacts {
  apt: Record<string, string | undefined>;
  compose: string | undefined;
  kubectl: string | undefined;
}

/** What to install. */
export interface SetupPlan {
  /** Debian packages for `apt-get install` (empty: nothing to do). */
  apt: string[];
  /** Packages to fetch from trixie and unpack into `.tools` (`docker-compose`, `kubectl`). */
  trixie: string[];
  /** One line per tool saying what is kept and why. */
  kept: string[];
}

/** Decides what to install from what is there. Pure: unit-tested. */
export function planSetup(facts: SetupFacts): SetupPlan {
  const plan: SetupPlan = { apt: [], trixie: [], kept: [] };
  for (const tool of APT_TOOLS) {
    const version = facts.apt[tool.pkg];
    if (version) plan.kept.push(`${tool.pkg}: ${version} already installed`);
    else plan.apt.push(tool.pkg);
  }
  for (
    const [pkg, version, min] of [
      ["docker-compose", facts.compose, MIN_COMPOSE],
      ["kubectl", facts.kubectl, MIN_KUBECTL],
    ] as const
  ) {
    if (version && compareVersions(version, min) >= 0) {
      plan.kept.push(`${pkg}: ${version} already in .tools/bin`);
    } else {
      if (version) plan.kept.push(`${pkg}: ${version} is older than ${min}, replacing it`);
      plan.trixie.push(pkg);
    }
  }
  return plan;
}

/** Compares dotted versions numerically (`2.26.1` > `2.9.0`); a leading `v` is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, "").split(/[.+~-]/).map((p) => parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** The first `x.y.z` in a tool's version output (`Docker Compose version v2.26.1` → `2.26.1`). */
export function extractVersion(text: string): string | undefined {
  return text.match(/v?(\d+\.\d+(?:\.\d+)?)/)?.[1];
}

/**
 * The Debian mirror the machine already uses, so trixie comes from the same place.
 * Reads deb822 `.sources` files first, then one-line `sources.list` entries.
 */
export function debianMirror(sources: string[], fallback = "http://deb.debian.org/debian"): string {
  for (const text of sources) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = stanza.match(/^URIs:\s*(\S+)/m)?.[1];
      // The security archive has no trixie main suite under the same path.
      if (uri && !/debian-security/.test(uri) && /^Types:.*\bdeb\b/m.test(stanza)) return uri;
    }
    for (const line of text.split("\n")) {
      const m = line.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/);
      if (m && !/debian-security/.test(m[1])) return m[1];
    }
  }
  return fallback;
}

/** apt-get options that keep lists, cache and sources in `work`, away from the machine's own. */
export function privateAptOptions(work: string): string[] {
  return [
    "-o",
    `Dir::Etc::sourcelist=${join(work, "sources.list")}`,
    "-o",
    "Dir::Etc::sourceparts=-",
    "-o",
    `Dir::State::Lists=${join(work, "lists")}`,
    "-o",
    `Dir::Cache=${join(work, "cache")}`,
  ];
}

/** Where each trixie package puts the binary we keep, inside the unpacked tree. */
const TRIXIE_BINARIES: Record<string, string> = {
  "docker-compose": "usr/libexec/docker/cli-plugins/docker-compose",
  kubectl: "usr/bin/kubectl",
};

async function versionOf(command: string[]): Promise<string | undefined> {
  try {
    const result = await $`${command}`.noThrow().stdout("piped").stderr("piped").quiet();
    if (result.code !== 0) return undefined;
    return extractVersion(result.stdout + result.stderr) ?? "unknown version";
  } catch {
    return undefined;
  }
}

async function gatherFacts(tools: string): Promise<SetupFacts> {
  const apt: Record<string, string | undefined> = {};
  for (const tool of APT_TOOLS) apt[tool.pkg] = await versionOf([tool.bin, ...tool.versionArgs]);
  return {
    apt,
    compose: await versionOf([join(tools, "bin", "docker-compose"), "version", "--short"]),
    kubectl: await versionOf([join(tools, "bin", "kubectl"), "version", "--client"]),
  };
}

class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

async function run(what: string, command: string[], cwd?: string): Promise<void> {
  let builder = $`${command}`.noThrow().stdout("piped").stderr("piped")
    .env({ DEBIAN_FRONTEND: "noninteractive" });
  if (cwd) builder = builder.cwd(cwd);
  const result = await builder;
  if (result.code !== 0) {
    const detail = (result.stderr || result.stdout).trim().split("\n").slice(-10).join("\n");
    throw new SetupError(
      `Cannot ${what}: ${command.join(" ")} exited with ${result.code}\n${detail}`,
    );
  }
}

async function installApt(packages: string[], log: (line: string) => void): Promise<void> {
  if (Deno.uid() !== 0) {
    throw new SetupError(
      `Cannot install ${packages.join(", ")}: apt-get needs root. Run as root, or install them ` +
        `with: sudo apt-get install -y ${packages.join(" ")}`,
    );
  }
  log("  apt-get update");
  await run("refresh the Debian package lists", ["apt-get", "update", "-qq"]);
  log(`  apt-get install ${packages.join(" ")} (Chromium takes a minute)`);
  await run(`install ${packages.join(", ")}`, [
    "apt-get",
    "install",
    "-y",
    "-qq",
    "--no-install-recommends",
    ...packages,
  ]);
}

async function installFromTrixie(
  packages: string[],
  tools: string,
  log: (line: string) => void,
): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "setup-trixie-" });
  try {
    for (const dir of ["lists/partial", "cache/archives/partial", "root"]) {
      await Deno.mkdir(join(work, dir), { recursive: true });
    }
    const mirror = debianMirror(await readAptSources());
    await Deno.writeTextFile(join(work, "sources.list"), `deb ${mirror} trixie main\n`);
    const options = privateAptOptions(work);
    log(`  reading trixie's package list (private apt state, machine's packages untouched)`);
    await run("read Debian trixie's package list", ["apt-get", ...options, "-qq", "update"]);
    log(`  downloading ${packages.join(", ")} from trixie`);
    await run(
      `download ${packages.join(", ")} from trixie`,
      ["apt-get", ...options, "-qq", "download", ...packages.map((p) => `${p}/trixie`)],
      work,
    );
    for await (const entry of Deno.readDir(work)) {
      if (!entry.name.endsWith(".deb")) continue;
      log(`  unpacking ${entry.name}`);
      await run(`unpack ${entry.name}`, [
        "dpkg-deb",
        "-x",
        join(work, entry.name),
        join(work, "root"),
      ]);
    }
    const bin = join(tools, "bin");
    await Deno.mkdir(bin, { recursive: true });
    for (const pkg of packages) {
      const target = join(bin, pkg);
      await Deno.remove(target).catch(() => {});
      await Deno.copyFile(join(work, "root", TRIXIE_BINARIES[pkg]), target).catch((error) => {
        throw new SetupError(`Cannot find ${pkg}'s binary in its package: ${error.message}`);
      });
      await Deno.chmod(target, 0o755);
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

async function readAptSources(): Promise<string[]> {
  const texts: string[] = [];
  const dir = "/etc/apt/sources.list.d";
  try {
    for (const entry of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
      if (/\.(sources|list)$/.test(entry.name)) {
        texts.push(Deno.readTextFileSync(join(dir, entry.name)));
      }
    }
  } catch { /* no sources.list.d */ }
  texts.push(await Deno.readTextFile("/etc/apt/sources.list").catch(() => ""));
  return texts;
}

/** Makes `DOCKER_CONFIG=.tools/docker-config docker compose …` find the plugin (relative link). */
async function linkComposePlugin(tools: string): Promise<void> {
  const plugins = join(tools, "docker-config", "cli-plugins");
  await Deno.mkdir(plugins, { recursive: true });
  const link = join(plugins, "docker-compose");
  const wanted = "../../bin/docker-compose";
  const current = await Deno.readLink(link).catch(() => undefined);
  if (current === wanted) return;
  await Deno.remove(link).catch(() => {});
  await Deno.symlink(wanted, link);
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      help: { type: "boolean", short: "h" },
      "dry-run": { type: "boolean" },
      "tools-dir": { type: "string", default: TOOLS_DIR },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno task setup [--dry-run] [--tools-dir DIR]\n\n" +
        "Installs Chromium, shellcheck and yamllint with apt-get when missing, and Compose v2\n" +
        "and kubectl from Debian trixie into .tools/bin. Skips what is already installed.",
    );
    return 0;
  }
  const log = (line: string) => console.error(line);
  const tools = values["tools-dir"];
  log("[1/3] Checking what is installed");
  const plan = planSetup(await gatherFacts(tools));
  for (const line of plan.kept) log(`  ${line}`);
  if (values["dry-run"]) {
    console.log(`apt-get install: ${plan.apt.join(" ") || "(nothing)"}`);
    console.log(`from trixie into .tools/bin: ${plan.trixie.join(" ") || "(nothing)"}`);
    return 0;
  }
  const installed: string[] = [];
  try {
    log(`[2/3] Debian packages: ${plan.apt.length ? plan.apt.join(", ") : "nothing to install"}`);
    if (plan.apt.length) {
      await installApt(plan.apt, log);
      installed.push(...plan.apt);
    }
    log(
      `[3/3] Compose v2 and kubectl: ${plan.trixie.length ? plan.trixie.join(", ") : "up to date"}`,
    );
    if (plan.trixie.length) {
      await installFromTrixie(plan.trixie, tools, log);
      installed.push(...plan.trixie.map((p) => `${p} (.tools/bin)`));
    }
    await linkComposePlugin(tools);
  } catch (error) {
    console.error(`Setup failed. ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const after = await gatherFacts(tools);
  const check = planSetup(after);
  if (check.apt.length || check.trixie.length) {
    console.error(
      `Setup failed: still missing after install: ${[...check.apt, ...check.trixie].join(", ")}`,
    );
    return 1;
  }
  console.log(installed.length ? `Installed: ${installed.join(", ")}` : "Nothing to install.");
  console.log(
    `chromium ${after.apt.chromium}, shellcheck ${after.apt.shellcheck}, yamllint ${after.apt.yamllint}, ` +
      `docker-compose ${after.compose}, kubectl ${after.kubectl}`,
  );
  console.log(
    "Use Compose as `DOCKER_CONFIG=.tools/docker-config docker compose …` or .tools/bin/docker-compose.",
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
