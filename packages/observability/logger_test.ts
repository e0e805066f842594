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
