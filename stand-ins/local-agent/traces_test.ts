import assert from "node:assert/strict";
import { AgentError } from "./_errors.ts";
import { encode64, v04Span } from "./_testing.ts";
import { decodeTraces } from "./traces.ts";

const MAX_U64 = 2n ** 64n - 1n;

function rejection(fn: () => unknown): AgentError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AgentError, `expected an AgentError, got ${error}`);
    return error;
  }
  assert.fail("expected the payload to be rejected");
}

Deno.test("decodeTraces() reads v0.4 ids as unsigned 64-bit decimals without losing digits", () => {
  const payload = encode64([[
    v04Span(),
    v04Span({ span_id: MAX_U64, parent_id: 1234567890123456789n }),
  ]]);
  const [trace] = decodeTraces(payload, "0.4");
  assert.equal(trace.length, 2);
  assert.equal(trace[0].trace_id, "18364758544493064720");
  assert.equal(trace[0].span_id, "1234567890123456789");
  assert.equal(trace[0].parent_id, "0");
  assert.equal(trace[1].span_id, "18446744073709551615");
  assert.equal(trace[1].parent_id, "1234567890123456789");
});

Deno.test("decodeTraces() keeps v0.4 names, times, meta and metrics", () => {
  const [[span]] = decodeTraces(encode64([[v04Span({ error: 1 })]]), "0.4");
  assert.equal(span.service, "web-frontend");
  assert.equal(span.name, "web.request");
  assert.equal(span.resource, "POST /api/pay");
  assert.equal(span.type, "web");
  assert.equal(span.error, 1);
  assert.equal(span.duration, 42_000_000);
  assert.ok(Math.abs(span.start - 1_764_000_000_123_456_789) < 1000);
  assert.equal(span.meta["http.method"], "POST");
  assert.equal(span.metrics["_sampling_priority_v1"], 1);
});

Deno.test("decodeTraces() reads small and signed v0.4 ids as their unsigned bits", () => {
  const [[span]] = decodeTraces(
    encode64([[v04Span({ trace_id: 7, span_id: -1n, parent_id: undefined })]]),
    "0.4",
  );
  assert.equal(span.trace_id, "7");
  assert.equal(span.span_id, MAX_U64.toString());
  assert.equal(span.parent_id, "0");
});

Deno.test("decodeTraces() turns non-string meta scalars into strings and 64-bit metrics into numbers", () => {
  const [[span]] = decodeTraces(
    encode64([[v04Span({ meta: { retries: 3, ok: true }, metrics: { big: 2n ** 40n } })]]),
    "0.4",
  );
  assert.deepEqual(span.meta, { retries: "3", ok: "true" });
  assert.equal(span.metrics.big, 2 ** 40);
});

Deno.test("decodeTraces() drops binary meta_struct and keeps native span events JSON-safe", () => {
  const [[span]] = decodeTraces(
    encode64([[v04Span({
      meta_struct: { appsec: new Uint8Array([1, 2, 3]) },
      span_events: [{ name: "retry", time_unix_nano: 1_764_000_000_000_000_000n }],
    })]]),
    "0.4",
  );
  assert.equal("meta_struct" in span, false);
  assert.deepEqual(span.span_events, [{
    name: "retry",
    time_unix_nano: 1_764_000_000_000_000_000,
  }]);
  assert.doesNotThrow(() => JSON.stringify(span));
});

Deno.test("decodeTraces() reads several v0.4 traces in one payload", () => {
  const traces = decodeTraces(
    encode64([[v04Span({ trace_id: 1n })], [v04Span({ trace_id: 2n }), v04Span({ trace_id: 2n })]]),
    "0.4",
  );
  assert.deepEqual(traces.map((t) => t.map((s) => s.trace_id)), [["1"], ["2", "2"]]);
});

Deno.test("decodeTraces() reads v0.5 spans through the string table", () => {
  const strings = [
    "",
    "payment-service",
    "payment.pay",
    "POST /pay",
    "bank",
    "FNB",
    "_sampling_priority_v1",
    "custom",
  ];
  const span = [
    1,
    2,
    3,
    0xfedcba9876543210n,
    99n,
    7n,
    1_764_000_000_000_000_000n,
    5_000_000,
    1,
    {
      4: 5,
    },
    { 6: 2 },
    7,
  ];
  const [[decoded]] = decodeTraces(encode64([strings, [[span]]]), "0.5");
  assert.equal(decoded.service, "payment-service");
  assert.equal(decoded.name, "payment.pay");
  assert.equal(decoded.resource, "POST /pay");
  assert.equal(decoded.trace_id, "18364758544493064720");
  assert.equal(decoded.span_id, "99");
  assert.equal(decoded.parent_id, "7");
  assert.equal(decoded.error, 1);
  assert.equal(decoded.duration, 5_000_000);
  assert.deepEqual(decoded.meta, { bank: "FNB" });
  assert.deepEqual(decoded.metrics, { _sampling_priority_v1: 2 });
  assert.equal(decoded.type, "custom");
});

Deno.test("decodeTraces() answers 400 for bytes that are not msgpack", () => {
  const error = rejection(() => decodeTraces(new Uint8Array([0xc1, 0xff, 0x00]), "0.4"));
  assert.equal(error.status, 400);
  assert.match(error.message, /expected msgpack/);
});

Deno.test("decodeTraces() answers 400 for a truncated payload", () => {
  const bytes = encode64([[v04Span()]]);
  const error = rejection(() => decodeTraces(bytes.subarray(0, bytes.length - 5), "0.4"));
  assert.equal(error.status, 400);
});

Deno.test("decodeTraces() names the trace that is not an array", () => {
  const error = rejection(() => decodeTraces(encode64([[v04Span()], { not: "a trace" }]), "0.4"));
  assert.equal(error.field, "traces[1]");
});

Deno.test("decodeTraces() names the span whose id is not an integer", () => {
  const error = rejection(() =>
    decodeTraces(encode64([[v04Span(), v04Span({ span_id: "abc" })]]), "0.4")
  );
  assert.equal(error.status, 400);
  assert.equal(error.field, "traces[0][1].span_id");
});

Deno.test("decodeTraces() rejects a span without a trace id", () => {
  const error = rejection(() =>
    decodeTraces(encode64([[v04Span({ trace_id: undefined })]]), "0.4")
  );
  assert.equal(error.field, "traces[0][0].trace_id");
});

Deno.test("decodeTraces() rejects a v0.4 payload that is a map", () => {
  const error = rejection(() => decodeTraces(encode64({ traces: [] }), "0.4"));
  assert.equal(error.field, "traces");
});

Deno.test("decodeTraces() rejects a v0.5 string index outside the table", () => {
  const span = [1, 1, 1, 1n, 2n, 0n, 0, 0, 0, {}, {}, 9];
  const error = rejection(() => decodeTraces(encode64([["", "svc"], [[span]]]), "0.5"));
  assert.equal(error.field, "traces[0][0].type");
});

Deno.test("decodeTraces() rejects a v0.5 span of the wrong length", () => {
  const error = rejection(() => decodeTraces(encode64([[""], [[[0, 0, 0]]]]), "0.5"));
  assert.equal(error.field, "traces[0][0]");
});

Deno.test("decodeTraces() refuses a forged huge array length instead of allocating it", () => {
  // array32 header claiming 4 billion elements, followed by nothing.
  const error = rejection(() =>
    decodeTraces(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xf0]), "0.4")
  );
  assert.equal(error.status, 400);
});
