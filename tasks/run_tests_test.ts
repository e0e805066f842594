import assert from "node:assert/strict";
import { countResults } from "./run_tests.ts";

Deno.test("countResults() counts test cases and the failed ones in a JUnit report", () => {
  const xml = `<testsuites><testsuite name="a">
    <testcase name="one" classname="a"/>
    <testcase name="two" classname="a"><failure message="boom"/></testcase>
    <testcase name="three" classname="a"></testcase>
    <testcase name="four" classname="a"><error message="x"/></testcase>
  </testsuite></testsuites>`;
  assert.deepEqual(countResults(xml), { total: 4, failed: 2 });
  assert.deepEqual(countResults(""), { total: 0, failed: 0 });
});

Deno.test("no module is named like a test file without being one (the runner would execute it)", async () => {
  const root = new URL("../", import.meta.url);
  const offenders: string[] = [];
  const walk = async (dir: URL, rel: string) => {
    for await (const entry of Deno.readDir(dir)) {
      if (["node_modules", ".git", ".tools", "dist"].includes(entry.name)) continue;
      const path = `${rel}${entry.name}`;
      if (entry.isDirectory) await walk(new URL(`${entry.name}/`, dir), `${path}/`);
      else if (/^(test|.*\.test)\.(ts|js|mts|tsx)$/.test(entry.name)) offenders.push(path);
    }
  };
  await walk(root, "");
  assert.deepEqual(offenders, []);
});
