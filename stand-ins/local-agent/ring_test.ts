import assert from "node:assert/strict";
import type { MetricSample } from "./dogstatsd.ts";
import { RingBuffer } from "./ring.ts";
import { AgentStore, MetricStore, TraceStore } from "./store.ts";
import type { AgentSpan } from "./traces.ts";

function span(traceId: string, spanId: string, service = "svc"): AgentSpan {
  return {
    service,
    name: "op",
    resource: "op",
    type: "",
    trace_id: traceId,
    span_id: spanId,
    parent_id: "0",
    error: 0,
    start: 0,
    duration: 0,
    meta: {},
    metrics: {},
  };
}

function sample(name: string, tags: string[], overrides: Partial<MetricSample> = {}): MetricSample {
  return {
    name,
    type: "count",
    values: [1],
    members: [],
    sampleRate: 1,
    tags,
    rawTags: tags.join(","),
    ...overrides,
  };
}

Deno.test("RingBuffer drops the oldest item first once full", () => {
  const ring = new RingBuffer<number>(3);
  assert.equal(ring.push(1), false);
  assert.equal(ring.push(2), false);
  assert.equal(ring.push(3), false);
  assert.equal(ring.push(4), true);
  assert.equal(ring.push(5), true);
  assert.equal(ring.size, 3);
  assert.deepEqual([...ring.newestFirst()], [5, 4, 3]);
});

Deno.test("RingBuffer stays at its capacity however much is pushed", () => {
  const ring = new RingBuffer<number>(10);
  for (let i = 0; i < 10_000; i++) ring.push(i);
  assert.equal(ring.size, 10);
  assert.deepEqual([...ring.newestFirst()].slice(0, 2), [9999, 9998]);
});

Deno.test("RingBuffer forgets everything on clear()", () => {
  const ring = new RingBuffer<string>(2);
  ring.push("a");
  ring.clear();
  assert.equal(ring.size, 0);
  assert.deepEqual([...ring.newestFirst()], []);
});

Deno.test("RingBuffer refuses a capacity that is not a positive integer", () => {
  assert.throws(() => new RingBuffer(0), RangeError);
  assert.throws(() => new RingBuffer(1.5), RangeError);
});

Deno.test("TraceStore groups spans by trace id, late spans joining their trace", () => {
  const store = new TraceStore({ maxTraces: 10, maxSpans: 100, maxSpansPerTrace: 10 });
  store.add([span("1", "a", "web-frontend"), span("2", "b")]);
  store.add([span("1", "c", "payment-service")]);
  assert.equal(store.size, 2);
  assert.deepEqual(store.get("1")?.spans.map((s) => s.span_id), ["a", "c"]);
  assert.deepEqual(store.newestFirst().map((t) => t.trace_id), ["2", "1"]);
});

Deno.test("TraceStore evicts the oldest whole trace once it holds the most traces", () => {
  const store = new TraceStore({ maxTraces: 2, maxSpans: 100, maxSpansPerTrace: 10 });
  store.add([span("1", "a"), span("1", "b")]);
  store.add([span("2", "c")]);
  const dropped = store.add([span("3", "d")]);
  assert.deepEqual(dropped, { traces: 1, spans: 2 });
  assert.equal(store.get("1"), undefined);
  assert.deepEqual(store.newestFirst().map((t) => t.trace_id), ["3", "2"]);
  assert.equal(store.spanCount, 2);
});

Deno.test("TraceStore evicts old traces when the span budget is spent", () => {
  const store = new TraceStore({ maxTraces: 100, maxSpans: 4, maxSpansPerTrace: 10 });
  store.add([span("1", "a"), span("1", "b")]);
  store.add([span("2", "c"), span("2", "d")]);
  const dropped = store.add([span("3", "e")]);
  assert.equal(dropped.traces, 1);
  assert.equal(store.get("1"), undefined);
  assert.ok(store.spanCount <= 4);
});

Deno.test("TraceStore caps the spans of one trace and counts the rest as dropped", () => {
  const store = new TraceStore({ maxTraces: 10, maxSpans: 100, maxSpansPerTrace: 2 });
  const dropped = store.add([span("1", "a"), span("1", "b"), span("1", "c")]);
  assert.deepEqual(dropped, { traces: 0, spans: 1 });
  assert.equal(store.get("1")?.spans.length, 2);
});

Deno.test("MetricStore aggregates per name and sorted tag set", () => {
  const metrics = new MetricStore(10);
  metrics.record(sample("payment.created", ["service:pay", "bank:FNB"]));
  metrics.record(sample("payment.created", ["bank:FNB", "service:pay"], { values: [2] }));
  metrics.record(sample("payment.created", ["bank:ING", "service:pay"]));
  const list = metrics.list({ name: "payment.created" });
  assert.equal(list.length, 2);
  const fnb = list.find((s) => s.tags.includes("bank:FNB"));
  assert.deepEqual(fnb, {
    name: "payment.created",
    type: "count",
    tags: ["bank:FNB", "service:pay"],
    count: 2,
    sum: 3,
    last: 2,
  });
});

Deno.test("MetricStore keeps a series per tag set without the clients' dd.internal tags", () => {
  const metrics = new MetricStore(10);
  // Two pods of one Deployment, as hot-shots tags them with DD_ENTITY_ID in kind.
  metrics.record(sample("payment.created", ["dd.internal.entity_id:pod-a", "service:pay"]));
  metrics.record(sample("payment.created", ["service:pay", "dd.internal.entity_id:pod-b"]));
  const [series, ...rest] = metrics.list({ name: "payment.created" });
  assert.deepEqual(rest, []);
  assert.deepEqual(series.tags, ["service:pay"]);
  assert.equal(series.count, 2);
});

Deno.test("MetricStore scales counts by the sample rate but not gauges", () => {
  const metrics = new MetricStore(10);
  metrics.record(sample("hits", [], { sampleRate: 0.5, values: [1] }));
  metrics.record(sample("open", [], { type: "gauge", sampleRate: 0.5, values: [7] }));
  metrics.record(sample("open", [], { type: "gauge", values: [3] }));
  assert.deepEqual(metrics.list({ name: "hits" })[0], {
    name: "hits",
    type: "count",
    tags: [],
    count: 2,
    sum: 2,
    last: 1,
  });
  const gauge = metrics.list({ name: "open" })[0];
  assert.equal(gauge.count, 2);
  assert.equal(gauge.last, 3);
});

Deno.test("MetricStore counts distinct members of a set", () => {
  const metrics = new MetricStore(10);
  for (const user of ["a", "b", "a"]) {
    metrics.record(sample("users", [], { type: "set", values: [], members: [user] }));
  }
  const set = metrics.list({ name: "users" })[0];
  assert.equal(set.count, 3);
  assert.equal(set.last, 2);
});

Deno.test("MetricStore evicts the least recently updated series first", () => {
  const metrics = new MetricStore(2);
  metrics.record(sample("a", []));
  metrics.record(sample("b", []));
  metrics.record(sample("a", []));
  assert.equal(metrics.record(sample("c", [])), 1);
  assert.deepEqual(metrics.list().map((s) => s.name), ["c", "a"]);
  // An evicted series starts again from zero when it comes back.
  metrics.record(sample("b", []));
  assert.equal(metrics.list({ name: "b" })[0].count, 1);
  assert.equal(metrics.size, 2);
});

Deno.test("MetricStore filters by tags", () => {
  const metrics = new MetricStore(10);
  metrics.record(sample("m", ["bank:FNB", "env:dev"]));
  metrics.record(sample("m", ["bank:ING", "env:dev"]));
  assert.equal(metrics.list({ tags: ["env:dev"] }).length, 2);
  assert.deepEqual(metrics.list({ tags: ["bank:ING"] }).map((s) => s.tags), [[
    "bank:ING",
    "env:dev",
  ]]);
});

Deno.test("AgentStore counts traces received and dropped across payloads", () => {
  const store = new AgentStore({ maxTraces: 1 });
  store.addTraces([[span("1", "a")], [span("2", "b"), span("2", "c")]]);
  assert.deepEqual(store.counters.traces, {
    payloads: 1,
    received: 2,
    spans: 3,
    dropped: 1,
    spans_dropped: 1,
  });
  assert.equal(store.limits.maxSpans, 25);
});

Deno.test("AgentStore counts DogStatsD lines and forgets everything on clear()", () => {
  const store = new AgentStore({ maxMetricSeries: 1 });
  store.addDogStatsD("a:1|c\nb:1|c\nbad", "udp");
  assert.equal(store.counters.dogstatsd.packets, 1);
  assert.equal(store.counters.dogstatsd.lines, 3);
  assert.equal(store.counters.dogstatsd.invalid_lines, 1);
  assert.equal(store.counters.dogstatsd.series_dropped, 1);
  store.clear();
  assert.equal(store.metrics.size, 0);
  assert.equal(store.counters.dogstatsd.lines, 0);
});
