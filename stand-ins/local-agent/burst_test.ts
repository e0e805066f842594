import assert from "node:assert/strict";
import { createRandom, MAX_PACKET_BYTES, packLines, syntheticRequest } from "./burst.ts";
import { parseDogStatsDToLists } from "./dogstatsd.ts";
import { logRecords, textLogBatch } from "./logs.ts";

Deno.test("packLines() fills packets up to the size limit without splitting a line", () => {
  const lines = Array.from({ length: 200 }, (_, i) => `metric.${i}:1|c|#service:payment-service`);
  const packets = packLines(lines);
  assert.ok(packets.length > 1);
  assert.ok(packets.every((p) => p.length <= MAX_PACKET_BYTES));
  assert.deepEqual(packets.join("\n").split("\n"), lines);
});

Deno.test("syntheticRequest() is deterministic for a seed and spreads spans over services", () => {
  const a = syntheticRequest(createRandom(7), 4, 0n);
  const b = syntheticRequest(createRandom(7), 4, 0n);
  assert.deepEqual(a.statsd, b.statsd);
  assert.equal(a.spans.size, 4);
  const spans = [...a.spans.values()].flat();
  assert.equal(spans.length, 4);
  assert.equal(new Set(spans.map((s) => s.trace_id)).size, 1);
});

Deno.test("syntheticRequest() produces lines the stand-in's parsers accept", () => {
  const request = syntheticRequest(createRandom(1), 3, 1_764_000_000_000_000_000n);
  const parsed = parseDogStatsDToLists(request.statsd.join("\n"));
  assert.equal(parsed.invalid.length, 0);
  assert.equal(parsed.metrics.length, request.statsd.length);
  // As the burst sends them: one text/plain body per service, a line each.
  for (const { service, message } of request.logs) {
    const [log] = logRecords(textLogBatch(new TextEncoder().encode(message), { service }));
    assert.equal(log.service, service);
    assert.notEqual(log.trace_id, undefined);
  }
});
