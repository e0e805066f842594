import assert from "node:assert/strict";
import { AgentError } from "./_errors.ts";
import { jsonLogBatch, logRecords, MAX_LINE_CHARS, normalizeTraceId } from "./logs.ts";

Deno.test("normalizeTraceId() keeps the lower 64 bits of a 128-bit hex id, in decimal", () => {
  assert.equal(normalizeTraceId("6925a1b200000000fedcba9876543210"), "18364758544493064720");
  assert.equal(normalizeTraceId("6925A1B200000000FEDCBA9876543210"), "18364758544493064720");
});

Deno.test("normalizeTraceId() keeps a decimal id as it is", () => {
  assert.equal(normalizeTraceId("1234567890123456789"), "1234567890123456789");
  assert.equal(normalizeTraceId("18446744073709551615"), "18446744073709551615");
  assert.equal(normalizeTraceId(42), "42");
  assert.equal(normalizeTraceId(42n), "42");
});

Deno.test("normalizeTraceId() reads 16 hex characters with a letter as hex", () => {
  assert.equal(normalizeTraceId("fedcba9876543210"), "18364758544493064720");
  // Only digits: dd-trace's decimal form, even at 16 characters.
  assert.equal(normalizeTraceId("1234567890123456"), "1234567890123456");
});

Deno.test("normalizeTraceId() gives undefined for what is not an id", () => {
  for (const value of ["", "abc", "12-34", "0x12", 1.5, -3, null, undefined, {}, "g".repeat(32)]) {
    assert.equal(normalizeTraceId(value), undefined, `for ${String(value)}`);
  }
});

function line(fields: Record<string, unknown>): string {
  return JSON.stringify(fields);
}

/** The records the intake keeps for a parsed JSON body, as `POST /api/v2/logs` makes them. */
function records(body: unknown, now?: number) {
  return logRecords(jsonLogBatch(body, 0), now);
}

Deno.test("a JSON logs body: keeps a JSON line's fields and links it to its trace", () => {
  const [record] = records([{
    service: "payment-service",
    ddsource: "deno",
    hostname: "host-1",
    message: line({
      timestamp: "2026-01-01T00:00:00.000Z",
      level: "info",
      message: "payment_settled",
      service: "payment-service",
      payment_id: "pay_1",
      dd: { trace_id: "6925a1b200000000fedcba9876543210", span_id: "99", env: "dev" },
    }),
  }], 1000);
  assert.equal(record.message, "payment_settled");
  assert.equal(record.level, "info");
  assert.equal(record.payment_id, "pay_1");
  assert.equal(record.service, "payment-service");
  assert.equal(record.ddsource, "deno");
  assert.equal(record.hostname, "host-1");
  assert.equal(record.received_at, 1000);
  assert.equal(record.trace_id, "18364758544493064720");
  assert.equal(record.span_id, "99");
});

Deno.test("a JSON logs body: reads a dotted dd.trace_id key and a decimal id", () => {
  const [record] = records([{
    service: "auth-service",
    message: line({ message: "auth_ok", "dd.trace_id": "1234567890123456789" }),
  }]);
  assert.equal(record.trace_id, "1234567890123456789");
});

Deno.test("a JSON logs body: keeps a plain-text line as the message", () => {
  const [record] = records([{ service: "jira-stand-in", message: "listening on 8190" }]);
  assert.equal(record.message, "listening on 8190");
  assert.equal(record.service, "jira-stand-in");
  assert.equal(record.trace_id, undefined);
  assert.equal("trace_id" in record, false);
});

Deno.test("a JSON logs body: does not let a line overwrite when or where it was received", () => {
  const [record] = records(
    [{ hostname: "real", message: line({ message: "x", received_at: 1, hostname: "fake" }) }],
    5,
  );
  assert.equal(record.received_at, 5);
  assert.equal(record.hostname, "real");
});

Deno.test("a JSON logs body: accepts a single object as a batch of one", () => {
  assert.equal(records({ service: "s", message: "hello" }).length, 1);
});

Deno.test("a JSON logs body: cuts a very long line and marks it", () => {
  const [record] = records([{ message: "x".repeat(MAX_LINE_CHARS + 10) }]);
  assert.equal(record.message.length, MAX_LINE_CHARS);
  assert.equal(record.truncated, true);
});

Deno.test("a JSON logs body: an entry without a message is the log's attributes", () => {
  const [plain, attributes] = records([
    { message: "ok" },
    { service: "s", ddsource: "curl", level: "warn", "dd.trace_id": "1234567890123456789" },
  ]);
  assert.equal(plain.message, "ok");
  assert.equal(attributes.message, "");
  assert.equal(attributes.service, "s");
  assert.equal(attributes.ddsource, "curl");
  assert.equal(attributes.level, "warn");
  assert.equal(attributes.trace_id, "1234567890123456789");
});

Deno.test("a JSON logs body: attributes beside a message are kept, under the message's own", () => {
  const [record] = records([{
    service: "s",
    env: "dev",
    level: "info",
    message: line({ message: "payment_settled", level: "warn" }),
  }]);
  assert.equal(record.message, "payment_settled");
  assert.equal(record.env, "dev");
  assert.equal(record.level, "warn");
});

Deno.test("a JSON logs body: names the entry whose message is not a string", () => {
  try {
    records([{ message: "ok" }, { service: "s", message: 42 }]);
    assert.fail("expected a rejection");
  } catch (error) {
    assert.ok(error instanceof AgentError);
    assert.equal(error.status, 400);
    assert.equal(error.field, "[1].message");
  }
});

Deno.test("a JSON logs body: rejects entries that are not objects and envelope fields of the wrong type", () => {
  assert.throws(() => records(["just a string"]), (e) => (e as AgentError).field === "[0]");
  assert.throws(
    () => records([{ message: "m", service: 5 }]),
    (e) => (e as AgentError).field === "[0].service",
  );
});
