import assert from "node:assert/strict";
import { formatPlan, probe, runPlan, StepFailedError } from "./plan.ts";

Deno.test("formatPlan() numbers steps and quotes arguments with spaces", () => {
  const text = formatPlan([{ title: "Say hello", command: ["echo", "hello world"] }]);
  assert.equal(text, "1. Say hello\n   $ echo 'hello world'");
});

Deno.test("runPlan() runs steps in order and stops at the first failing one", async () => {
  const lines: string[] = [];
  const marker = await Deno.makeTempFile();
  await assert.rejects(
    runPlan([
      { title: "write", command: ["sh", "-c", `echo one >> ${marker}`] },
      { title: "fail", command: ["sh", "-c", "echo broken >&2; exit 3"] },
      { title: "never", command: ["sh", "-c", `echo two >> ${marker}`] },
    ], { progress: (l) => lines.push(l) }),
    (error: unknown) => {
      assert.ok(error instanceof StepFailedError);
      assert.match(error.message, /Step failed: fail \(sh exited with 3\)\nbroken/);
      return true;
    },
  );
  assert.equal(await Deno.readTextFile(marker), "one\n");
  assert.deepEqual(lines.filter((l) => l.startsWith("[")), ["[1/3] write", "[2/3] fail"]);
  await Deno.remove(marker);
});

Deno.test("runPlan() passes stdin and environment to a step", async () => {
  const out = await Deno.makeTempFile();
  await runPlan([{
    title: "cat",
    command: ["sh", "-c", `cat > ${out}; printf %s "$GREETING" >> ${out}`],
    stdin: "in:",
    env: { GREETING: "hi" },
  }], { progress: () => {} });
  assert.equal(await Deno.readTextFile(out), "in:hi");
  await Deno.remove(out);
});

Deno.test("probe() reports exit code and stdout without throwing", async () => {
  assert.deepEqual(await probe(["sh", "-c", "echo yes; exit 2"]), { code: 2, stdout: "yes\n" });
});
