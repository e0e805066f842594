import assert from "node:assert/strict";
import {
  compareVersions,
  debianMirror,
  extractVersion,
  planSetup,
  privateAptOptions,
} from "./setup.ts";

const allApt = { chromium: "156.0", shellcheck: "0.9.0", yamllint: "1.29.0" };

Deno.test("planSetup() installs everything on a fresh machine", () => {
  const plan = planSetup({ apt: {}, compose: undefined, kubectl: undefined });
  assert.deepEqual(plan.apt, ["chromium", "shellcheck", "yamllint"]);
  assert.deepEqual(plan.trixie, ["docker-compose", "kubectl"]);
});

Deno.test("planSetup() installs nothing when every tool is recent enough", () => {
  const plan = planSetup({ apt: allApt, compose: "2.26.1", kubectl: "1.32.3" });
  assert.deepEqual(plan.apt, []);
  assert.deepEqual(plan.trixie, []);
  assert.equal(plan.kept.length, 5);
});

Deno.test("planSetup() replaces a Compose older than the file needs", () => {
  const plan = planSetup({ apt: allApt, compose: "2.20.2", kubectl: "1.32.3" });
  assert.deepEqual(plan.trixie, ["docker-compose"]);
  assert.match(plan.kept.join("\n"), /docker-compose: 2\.20\.2 is older than 2\.24\.0/);
});

Deno.test("compareVersions() compares numerically, not as text", () => {
  assert.equal(compareVersions("2.26.1", "2.9.0"), 1);
  assert.equal(compareVersions("v1.27.0", "1.27"), 0);
  assert.equal(compareVersions("1.26.9", "1.27.0"), -1);
});

Deno.test("extractVersion() reads the version out of each tool's banner", () => {
  assert.equal(extractVersion("Docker Compose version v2.26.1-4"), "2.26.1");
  assert.equal(extractVersion("Client Version: v1.32.3\nKustomize Version: v5.5.0"), "1.32.3");
  assert.equal(extractVersion("Chromium 156.0.8078.1 built on Debian"), "156.0.8078");
  assert.equal(extractVersion("yamllint 1.29.0"), "1.29.0");
  assert.equal(extractVersion("no digits"), undefined);
});

Deno.test("debianMirror() takes the machine's deb822 mirror and skips the security archive", () => {
  const sources = [
    "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n" +
    "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n",
  ];
  assert.equal(debianMirror(sources), "http://mirror.example/debian");
});

Deno.test("debianMirror() reads a one-line sources.list and falls back to the default", () => {
  assert.equal(
    debianMirror(["# comment\ndeb [arch=amd64] http://m.example/debian bookworm main\n"]),
    "http://m.example/debian",
  );
  assert.equal(debianMirror([""]), "http://deb.debian.org/debian");
});

Deno.test("privateAptOptions() keeps apt's sources, lists and cache inside the work folder", () => {
  const options = privateAptOptions("/w");
  assert.ok(options.includes("Dir::Etc::sourcelist=/w/sources.list"));
  assert.ok(options.includes("Dir::Etc::sourceparts=-"));
  assert.ok(options.includes("Dir::State::Lists=/w/lists"));
  assert.ok(options.includes("Dir::Cache=/w/cache"));
});
