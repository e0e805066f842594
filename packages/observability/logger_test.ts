import assert from "node:assert/strict";
import { createLogger } from "./logger.ts";

function capture(level?: "debug" | "info" | "warn" | "error") {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ service: "svc", level, sink: (l) => lines.push(JSON.parse(l)) });
  return { log, lines };
}

Deno.test("createLogger() writes one JSON object with level, message and service", () => {
  const { log, lines } = capture();
  log.info("payment_settled", { bank: "ING" });
  assert.equal(lines.length, 1);
  assert.equal(lines[0].level, "info");
  assert.equal(lines[0].message, "payment_settled");
  assert.equal(lines[0].service, "svc");
  assert.equal(lines[0].bank, "ING");
  assert.match(String(lines[0].timestamp), /^\d{4}-\d{2}-\d{2}T/);
});

Deno.test("createLogger() never lets a field named status override the log level", () => {
  const { log, lines } = capture();
  log.warn("payment_failed", { status: "failed", level: "emergency" });
  assert.equal(lines[0].level, "warn");
  assert.equal(lines[0].status, undefined);
  assert.equal(lines[0].status_field, "failed");
  assert.equal(lines[0].level_field, "emergency");
});

Deno.test("createLogger() drops lines below its level", () => {
  const { log, lines } = capture("warn");
  log.debug("a");
  log.info("b");
  log.warn("c");
  log.error("d");
  assert.deepEqual(lines.map((l) => l.message), ["c", "d"]);
});

Deno.test("child() loggers carry their fields and serialise errors safely", () => {
  const { log, lines } = capture();
  log.child({ request_id: "r1" }).error("failed", { error: new TypeError("nope") });
  assert.equal(lines[0].request_id, "r1");
  assert.deepEqual(lines[0].error, { kind: "TypeError", message: "nope" });
});

Deno.test("createLogger() adds no dd fields outside a span", () => {
  const { log, lines } = capture();
  log.info("x");
  assert.equal(lines[0].dd, undefined);
});

/** Runs a script with the real stdout sink and returns what it printed. */
async function runWithStdoutSink(body: string) {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/main.ts`;
  await Deno.writeTextFile(
    script,
    `import { createLogger } from ${JSON.stringify(new URL("./logger.ts", import.meta.url).href)};
const log = createLogger({ service: "svc" });
${body}`,
  );
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", new URL("../../deno.json", import.meta.url).pathname, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\n").filter(Boolean)
      .map((line) => JSON.parse(line).message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the stdout sink writes every line of a turn, in order, before the process ends", async () => {
  assert.deepEqual(
    await runWithStdoutSink(`for (let i = 0; i < 3; i++) log.info("line_" + i);`),
    ["line_0", "line_1", "line_2"],
  );
  assert.deepEqual(
    await runWithStdoutSink(`log.info("before_exit"); Deno.exit(0);`),
    ["before_exit"],
  );
  assert.deepEqual(
    await runWithStdoutSink(`log.info("before_crash"); throw new Error("boom");`),
    ["before_crash"],
  );
  assert.deepEqual(
    await runWithStdoutSink(`log.info("before_rejection"); Promise.reject(new Error("boom"));`),
    ["before_rejection"],
  );
  assert.deepEqual(
    await runWithStdoutSink(
      `log.info("a"); setTimeout(() => { log.warn("b"); log.error("c"); }, 5);`,
    ),
    ["a", "b", "c"],
  );
});
