/**
 * `deno task test`: runs every test in the repository with Deno's test runner and closes
 * with one line `N passed, N failed` counted from the runner's JUnit report. Extra
 * arguments are passed to `deno test` (e.g. a folder, or `--filter`).
 *
 * Not named `test.ts`: Deno's runner would take that name for a test module and run this
 * script, and so itself, from inside the suite.
 */
import { parseArgs } from "node:util";

if (import.meta.main) {
  const { positionals } = parseArgs({ args: Deno.args, allowPositionals: true, strict: false });
  const report = await Deno.makeTempFile({ prefix: "junit-", suffix: ".xml" });
  const testArgs = [
    "test",
    "--allow-all",
    "--frozen",
    `--junit-path=${report}`,
    ...(positionals.length ? Deno.args : []),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: testArgs,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const { code } = await child.status;

  const counts = countResults(await Deno.readTextFile(report).catch(() => ""));
  await Deno.remove(report).catch(() => {});
  if (counts.total === 0) {
    console.error("No test ran: the test runner produced no results.");
    console.log("0 passed, 1 failed");
    Deno.exit(1);
  }
  // A failure outside a test case (e.g. a type error) makes the runner fail with no failing case.
  const failed = counts.failed || (code !== 0 ? 1 : 0);
  console.log(`${counts.total - counts.failed} passed, ${failed} failed`);
  Deno.exit(code === 0 && failed === 0 ? 0 : 1);
}

/** Counts test cases and failed ones in a JUnit report. */
export function countResults(xml: string): { total: number; failed: number } {
  let total = 0;
  let failed = 0;
  for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    total++;
    if (/<(failure|error)\b/.test(match[2] ?? "")) failed++;
  }
  return { total, failed };
}
