/**
 * Traces and logs are queued as received and decoded only when read: what a reader sees
 * must be what decoding on arrival would have kept, and the queues stay bounded.
 */
import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { putMsgpack, testAgent } from "./_testing.ts";
import { jsonLogBatch, logRecords, textLogBatch } from "./logs.ts";
import { AgentStore, type StoreLimits } from "./store.ts";
import { skimTraces } from "./trace_skim.ts";
import { decodeTraces } from "./traces.ts";

const setup = (limits: Partial<StoreLimits> = {}) => testAgent({ limits });

function span(traceId: bigint, spanId: bigint, service = "web-frontend") {
  return {
    trace_id: traceId,
    span_id: spanId,
    parent_id: spanId > 1n ? spanId - 1n : 0n,
    name: "web.request",
    resource: "POST /api/pay",
    service,
    type: "web",
    error: 0,
    start: 1_764_000_000_000_000_000n + spanId * 1000n,
    duration: 1_000_000,
    meta: { "http.method": "POST", pad: "x".repeat(100) },
    metrics: { _sampling_priority_v1: 1 },
  };
}

function payload(traceIds: bigint[], spansPerTrace = 2): Uint8Array<ArrayBuffer> {
  return encode(
    traceIds.map((id) =>
      Array.from({ length: spansPerTrace }, (_, i) => span(id, BigInt(i + 1), `svc-${i}`))
    ),
    { useBigInt64: true },
  ) as Uint8Array<ArrayBuffer>;
}

const ids = (traces: { trace_id: string }[]) => traces.map((t) => t.trace_id);

// ---- traces ------------------------------------------------------------------------------

Deno.test("a trace payload is queued as bytes and decoded only when traces are read", async () => {
  const { app, store, json } = setup();
  const response = await app.request("/v0.4/traces", putMsgpack(payload([1n, 2n])));
  assert.equal(response.status, 200);
  // Counted on arrival; nothing decoded yet.
  assert.deepEqual(store.counters.traces, {
    payloads: 1,
    received: 2,
    spans: 4,
    dropped: 0,
    spans_dropped: 0,
  });
  assert.deepEqual(ids(await json("/local/traces")), ["2", "1"]);
  assert.equal((await json("/local/traces/1")).spans.length, 2);
});

Deno.test("traces read after many posts are the newest, the same as decoding every post on arrival", async () => {
  const limits = { maxTraces: 50, maxSpans: 120 };
  const { app, json, store } = setup(limits);
  const eager = new AgentStore(limits);
  const receivedAt = 1_764_000_000_000;
  for (let i = 0; i < 40; i++) {
    // Later posts carry more chunks of traces already sent, as services flush apart.
    const traceIds = [BigInt(1000 + i * 3), BigInt(1001 + i * 3), BigInt(1000 + i)];
    const body = payload(traceIds, 1 + (i % 3));
    assert.equal((await app.request("/v0.4/traces", putMsgpack(body))).status, 200);
    eager.addTraces(decodeTraces(body, "0.4"), receivedAt);
  }
  const held = await json("/local/traces?limit=1000");
  const expected = eager.traces.newestFirst();
  assert.equal(held.length, expected.length);
  assert.deepEqual(ids(held), expected.map((t) => t.trace_id));
  // The last post's traces, newest first (1039 had been evicted and comes back new).
  assert.deepEqual(ids(held).slice(0, 3), ["1039", "1118", "1117"]);
  for (const [i, trace] of held.entries()) {
    assert.deepEqual(
      trace.spans.map((s: { span_id: string; service: string }) => `${s.span_id}/${s.service}`),
      expected[i].spans
        .slice()
        .sort((a, b) => a.start - b.start)
        .map((s) => `${s.span_id}/${s.service}`),
    );
  }
  const stats = await json("/local/stats");
  assert.deepEqual(stats.traces, eager.counters.traces);
  assert.equal(stats.held.traces, eager.traces.size);
  assert.equal(stats.held.spans, eager.traces.spanCount);
  assert.deepEqual(store.counters.traces, eager.counters.traces);
});

Deno.test("the trace queue is bounded in bytes: the oldest payloads go first and are counted", () => {
  const sizes = [1n, 2n, 3n, 4n].map((id) => payload([id]).byteLength);
  // Room for the two newest payloads only.
  const store = new AgentStore({ maxPendingTraceBytes: sizes[2] + sizes[3] });
  for (const id of [1n, 2n, 3n, 4n]) {
    const bytes = payload([id]);
    store.queueTraces(bytes, "0.4", skimTraces(bytes, "0.4"), 1000);
  }
  assert.deepEqual(store.counters.traces, {
    payloads: 4,
    received: 4,
    spans: 8,
    dropped: 2,
    spans_dropped: 4,
  });
  assert.deepEqual(store.traces.newestFirst().map((t) => t.trace_id), ["4", "3"]);
  assert.equal(store.traces.get("4")?.received_at, 1000);
});

Deno.test("a payload larger than the trace queue's bound is still kept, alone", () => {
  const big = payload([7n], 5);
  const store = new AgentStore({ maxPendingTraceBytes: 10 });
  store.queueTraces(payload([6n]), "0.4", { traces: 1, spans: 2 });
  store.queueTraces(big, "0.4", skimTraces(big, "0.4"));
  assert.deepEqual(store.traces.newestFirst().map((t) => t.trace_id), ["7"]);
  assert.equal(store.counters.traces.dropped, 1);
});

Deno.test("a malformed trace payload still answers 400 and queues nothing", async () => {
  const { app, store, json } = setup();
  const good = payload([1n]);
  for (
    const [body, field] of [
      [good.subarray(0, good.length - 3), "body"],
      [new Uint8Array([...good, 0xc0]), "body"],
      [
        encode([[{ ...span(1n, 1n), span_id: "nope" }]], { useBigInt64: true }),
        "traces[0][0].span_id",
      ],
      [encode({ traces: [] }), "traces"],
    ] as const
  ) {
    const response = await app.request("/v0.4/traces", putMsgpack(new Uint8Array(body)));
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error.field, field);
  }
  assert.equal(store.counters.traces.payloads, 0);
  assert.deepEqual(await json("/local/traces"), []);
  assert.equal((await json("/local/stats")).rejected["400"], 4);
});

Deno.test("DELETE /local/session forgets queued traces and logs too", async () => {
  const { app, json } = setup();
  await app.request("/v0.4/traces", putMsgpack(payload([1n])));
  await app.request("/api/v2/logs?service=s", {
    method: "POST",
    body: "one\ntwo\n",
    headers: { "content-type": "text/plain" },
  });
  assert.equal((await app.request("/local/session", { method: "DELETE" })).status, 200);
  assert.deepEqual(await json("/local/traces"), []);
  assert.deepEqual(await json("/local/logs"), []);
  const stats = await json("/local/stats");
  assert.equal(stats.traces.received, 0);
  assert.equal(stats.logs.received, 0);
});

// ---- logs --------------------------------------------------------------------------------

const text = (body: string, query = "service=payment-service&ddsource=deno&hostname=h"): [
  string,
  RequestInit,
] => [
  `/api/v2/logs?${query}`,
  { method: "POST", body, headers: { "content-type": "text/plain; charset=utf-8" } },
];

Deno.test("POST /api/v2/logs takes text/plain: one log per line, the envelope in the query", async () => {
  const { app, json, store } = setup();
  const lines = [
    JSON.stringify({
      level: "info",
      message: "payment_created",
      dd: { trace_id: "6925a1b200000000fedcba9876543210", span_id: "5" },
    }),
    "",
    "plain text line\r",
    JSON.stringify({ level: "warn", message: "payment_failed", service: "from-line" }),
  ];
  const response = await app.request(
    ...text(lines.join("\n"), "service=payment-service&ddsource=deno&hostname=h&ddtags=env:dev"),
  );
  assert.equal(response.status, 202);
  assert.equal(store.counters.logs.received, 3);
  const logs = await json("/local/logs");
  assert.deepEqual(logs.map((l: { message: string }) => l.message), [
    "payment_failed",
    "plain text line",
    "payment_created",
  ]);
  assert.equal(logs[0].service, "from-line");
  assert.equal(logs[1].service, "payment-service");
  assert.equal(logs[2].trace_id, "18364758544493064720");
  assert.equal(logs[2].span_id, "5");
  assert.equal(logs[2].ddsource, "deno");
  assert.equal(logs[2].hostname, "h");
  assert.equal(logs[2].ddtags, "env:dev");
  assert.equal(logs[2].level, "info");
  assert.deepEqual(
    (await json("/local/logs?trace_id=18364758544493064720")).map((l: { message: string }) =>
      l.message
    ),
    ["payment_created"],
  );
});

Deno.test("text/plain logs and JSON logs give the same records", () => {
  const line = JSON.stringify({ level: "info", message: "m", dd: { trace_id: "42" } });
  const envelope = { service: "s", ddsource: "deno", hostname: "h" };
  const fromText = logRecords(textLogBatch(new TextEncoder().encode(`${line}\r\n`), envelope), 9);
  const fromJson = logRecords(jsonLogBatch([{ ...envelope, message: line }], 0), 9);
  assert.deepEqual(fromText, fromJson);
});

Deno.test("textLogBatch() counts the lines logRecords() makes, odd bytes included", () => {
  const cases = [
    "",
    "\n\n\r\n",
    "a",
    "a\nb",
    "a\r\nb\r\n",
    "\ufeffbom first\n",
    "é✓ multi-byte\nlast",
    "\r\r\n\r",
  ];
  const bytes = cases.map((c) => new TextEncoder().encode(c));
  bytes.push(new Uint8Array([0xff, 0x0a, 0xe2, 0x82, 0x0d, 0x0a, 0x41, 0xc3]));
  for (const body of bytes) {
    const batch = textLogBatch(body, {});
    assert.equal(logRecords(batch).length, batch.lines, JSON.stringify(Array.from(body)));
  }
  assert.deepEqual(
    logRecords(textLogBatch(new Uint8Array([0x61, 0xff, 0x0a]), {})).map((r) => r.message),
    ["a\ufffd"],
  );
});

Deno.test("the log queue drops a batch whose records newer batches would push out anyway", () => {
  const limits = { maxLogs: 4 };
  const lazy = new AgentStore(limits);
  const eager = new AgentStore(limits);
  for (let i = 0; i < 6; i++) {
    const lines = Array.from({ length: 1 + (i % 3) }, (_, j) => `batch ${i} line ${j}`);
    const batch = textLogBatch(new TextEncoder().encode(lines.join("\n")), { service: "s" });
    lazy.queueLogs(batch, 5);
    eager.addLogs(logRecords(batch, 5));
  }
  assert.deepEqual(Array.from(lazy.logs.newestFirst()), Array.from(eager.logs.newestFirst()));
  assert.deepEqual(lazy.counters.logs, eager.counters.logs);
  assert.equal(lazy.counters.logs.dropped, 8);
});

Deno.test("the log queue is bounded in bytes: the oldest batches go first and are counted", () => {
  const store = new AgentStore({ maxPendingLogBytes: 25 });
  for (const word of ["aaaaaaaaa", "bbbbbbbbb", "ccccccccc", "ddddddddd"]) {
    store.queueLogs(textLogBatch(new TextEncoder().encode(`${word}\n`), {}));
  }
  assert.deepEqual(store.counters.logs, { payloads: 4, received: 4, dropped: 2, truncated: 0 });
  assert.deepEqual(Array.from(store.logs.newestFirst(), (r) => r.message), [
    "ddddddddd",
    "ccccccccc",
  ]);
});

Deno.test("POST /api/v2/logs still answers 400 for a bad JSON body, whatever the query says", async () => {
  const { app, store } = setup();
  const bad = await app.request("/api/v2/logs?service=s", {
    method: "POST",
    body: '[{"service":"s","message":1}]',
    headers: { "content-type": "application/json" },
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.field, "[0].message");
  assert.equal(store.counters.logs.payloads, 0);
});

Deno.test("logs read after many text/plain posts are the newest", async () => {
  const { app, json } = setup({ maxLogs: 10 });
  for (let i = 0; i < 30; i++) {
    await app.request(...text(`line ${i}a\nline ${i}b\n`));
  }
  const logs = await json("/local/logs?limit=3");
  assert.deepEqual(logs.map((l: { message: string }) => l.message), [
    "line 29b",
    "line 29a",
    "line 28b",
  ]);
  const stats = await json("/local/stats");
  assert.equal(stats.logs.received, 60);
  assert.equal(stats.logs.dropped, 50);
  assert.equal(stats.held.logs, 10);
});
