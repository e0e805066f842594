import assert from "node:assert/strict";
import { ExtData } from "@msgpack/msgpack";
import { AgentError } from "./_errors.ts";
import { encode64, v04Span } from "./_testing.ts";
import { createRandom } from "./burst.ts";
import { MAX_DEPTH, skimTraces } from "./trace_skim.ts";
import { decodeTraces, type TraceVersion } from "./traces.ts";

function v05Payload(span: unknown[] = [1, 2, 3, 5n, 6n, 0n, 1n, 2, 0, { 1: 2 }, { 3: 1.5 }, 0]) {
  return [["", "svc", "name", "res"], [[span]]];
}

type Outcome =
  | { ok: true; traces: number; spans: number }
  | { ok: false; status: number; field?: string; message: string };

function outcome(fn: () => { traces: number; spans: number }): Outcome {
  try {
    return { ok: true, ...fn() };
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    return { ok: false, status: error.status, field: error.field, message: error.message };
  }
}

function decoded(bytes: Uint8Array, version: TraceVersion): Outcome {
  return outcome(() => {
    const traces = decodeTraces(bytes, version);
    return { traces: traces.length, spans: traces.reduce((n, t) => n + t.length, 0) };
  });
}

function skimmed(bytes: Uint8Array, version: TraceVersion): Outcome {
  return outcome(() => skimTraces(bytes, version));
}

/** The skim answers exactly what decoding answers: the same counts or the same 400. */
function assertSame(bytes: Uint8Array, version: TraceVersion, label = ""): Outcome {
  const expected = decoded(bytes, version);
  assert.deepEqual(skimmed(bytes, version), expected, `${label} ${Array.from(bytes).join(",")}`);
  return expected;
}

Deno.test("skimTraces() counts the traces and spans of a v0.4 payload without decoding it", () => {
  const bytes = encode64([[v04Span(), v04Span({ span_id: 2n })], [v04Span({ trace_id: 9n })]]);
  assert.deepEqual(skimTraces(bytes, "0.4"), { traces: 2, spans: 3 });
  assert.deepEqual(skimTraces(encode64([]), "0.4"), { traces: 0, spans: 0 });
});

Deno.test("skimTraces() counts a v0.5 payload", () => {
  assert.deepEqual(skimTraces(encode64(v05Payload()), "0.5"), { traces: 1, spans: 1 });
});

Deno.test("skimTraces() refuses every payload decodeTraces refuses, naming the same field", () => {
  const cases: [unknown, TraceVersion, string][] = [
    [{ traces: [] }, "0.4", "traces"],
    [[[v04Span()], { not: "a trace" }], "0.4", "traces[1]"],
    [[[v04Span(), "span"]], "0.4", "traces[0][1]"],
    [[[v04Span(), v04Span({ span_id: "abc" })]], "0.4", "traces[0][1].span_id"],
    [[[v04Span({ trace_id: undefined })]], "0.4", "traces[0][0].trace_id"],
    [[[{ span_id: 1n, trace_id: "x" }]], "0.4", "traces[0][0].trace_id"],
    [[[v04Span({ parent_id: 1.5 })]], "0.4", "traces[0][0].parent_id"],
    [[[v04Span({ service: 7 })]], "0.4", "traces[0][0].service"],
    [[[v04Span({ start: "now" })]], "0.4", "traces[0][0].start"],
    [[[v04Span({ duration: NaN })]], "0.4", "traces[0][0].duration"],
    [[[v04Span({ meta: { a: "b", nested: { c: 1 } } })]], "0.4", "traces[0][0].meta"],
    [[[v04Span({ meta: ["a"] })]], "0.4", "traces[0][0].meta"],
    [[[v04Span({ meta: new Uint8Array(2) })]], "0.4", "traces[0][0].meta"],
    [[[v04Span({ metrics: { a: "1" } })]], "0.4", "traces[0][0].metrics"],
    [[[v04Span({ metrics: { a: null } })]], "0.4", "traces[0][0].metrics"],
    [[[v04Span({ meta: new ExtData(3, new Uint8Array(1)) })]], "0.4", "traces[0][0].meta"],
    // Several bad fields: the first in decodeTraces' order, not in the payload's.
    [[[{ meta: 1, service: 2, trace_id: 1n, span_id: 1n }]], "0.4", "traces[0][0].service"],
    [[[v04Span()], [v04Span({ error: "x" })], [v04Span({ name: 1 })]], "0.4", "traces[1][0].error"],
    [{ a: 1 }, "0.5", "body"],
    [[[""], [], []], "0.5", "body"],
    [[{}, []], "0.5", "body"],
    [[["", 1], []], "0.5", "strings[1]"],
    [[[""], {}], "0.5", "traces"],
    [[[""], [1]], "0.5", "traces[0]"],
    [[[""], [[[0, 0, 0]]]], "0.5", "traces[0][0]"],
    [v05Payload([1, 1, 1, 1n, 2n, 0n, 0, 0, 0, {}, {}, 9]), "0.5", "traces[0][0].type"],
    [v05Payload([1, 1, 1, 1n, 2n, 0n, 0, 0, 0, { 1: 7 }, {}, 0]), "0.5", "traces[0][0].meta"],
    [v05Payload([1, 1, 1, 1n, 2n, 0n, 0, 0, 0, { 9: 1 }, {}, 0]), "0.5", "traces[0][0].meta"],
    [v05Payload([1, 1, 1, 1n, 2n, 0n, 0, 0, 0, [], {}, 0]), "0.5", "traces[0][0].meta"],
    [v05Payload([1, 1, 1, 1n, 2n, 0n, 0, 0, 0, {}, { 1: "x" }, 0]), "0.5", "traces[0][0].metrics"],
    [v05Payload([1, 1, 1, 1n, 2n, 0n, 0, 0, 0, {}, { 8: 1 }, 0]), "0.5", "traces[0][0].metrics"],
    [v05Payload([1, 1, 1, "x", 2n, 0n, 0, 0, 0, {}, {}, 0]), "0.5", "traces[0][0].trace_id"],
    [v05Payload([1, 1, 1, 1n, 2n, 0n, 0, 0, 0, {}, {}, 1n]), "0.5", "traces[0][0].type"],
    [v05Payload([1, 1, 1, 1n, 2n, 0n, 0, 0, true, {}, {}, 0]), "0.5", "traces[0][0].error"],
    [v05Payload([1n, 1, 1, 1n, 2n, 0n, 0, 0, 0, {}, {}, 0]), "0.5", "traces[0][0].service"],
  ];
  for (const [payload, version, field] of cases) {
    const result = assertSame(encode64(payload), version, field);
    assert.equal(result.ok, false, `${field} is refused`);
    assert.equal(!result.ok && result.field, field);
    assert.equal(!result.ok && result.status, 400);
  }
});

Deno.test("skimTraces() answers 400 on body for bytes that are not msgpack, wherever they break", () => {
  const good = encode64([[v04Span()]]);
  const cases: Uint8Array[] = [
    new Uint8Array(),
    new Uint8Array([0xc1]),
    new TextEncoder().encode("definitely not msgpack"), // a fixint followed by extra bytes
    good.subarray(0, good.length - 5),
    new Uint8Array([...good, 0x00]),
    new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xf0]), // forged array32 length
    new Uint8Array([0x91, 0x91, 0xdf, 0x00, 0x02, 0x00, 0x00]), // map32 past the map limit
    encode64([[{ ...v04Span(), extra: new ExtData(-1, new Uint8Array(3)) }]]), // bad timestamp
    // A span map whose key is an array, then one keyed __proto__, then a uint64 key.
    new Uint8Array([0x91, 0x91, 0x81, 0x90, 0x01]),
    new Uint8Array([0x91, 0x91, 0x81, 0xa9, ...new TextEncoder().encode("__proto__"), 0x01]),
    new Uint8Array([0x91, 0x91, 0x81, 0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0x01]),
  ];
  // The same deep inside a value the span does not use (JSON.parse makes an own __proto__).
  cases.push(
    encode64([[{ ...v04Span(), meta_struct: JSON.parse('{"a":[[{"__proto__":1}]]}') }]]),
  );
  for (const bytes of cases) {
    for (const version of ["0.4", "0.5"] as const) {
      const result = assertSame(bytes, version);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.field, "body");
    }
  }
});

Deno.test("skimTraces() accepts what decodeTraces accepts: odd but valid values", () => {
  const cases: [unknown, TraceVersion][] = [
    [[[v04Span({ trace_id: 7, span_id: -1n, parent_id: null, error: null })]], "0.4"],
    [[[v04Span({ meta: { n: 1, b: true, z: null, big: 2n ** 40n }, metrics: { f: 0.5 } })]], "0.4"],
    [[[v04Span({ span_id: 3.0, start: 1.5, meta: new Date(0), metrics: null })]], "0.4"],
    [[[{ ...v04Span(), meta_struct: { appsec: new Uint8Array([1, 2, 3]) }, 5: [{}] }]], "0.4"],
    [[[{ ...v04Span(), span_events: [{ name: "retry", time_unix_nano: 1n }] }]], "0.4"],
    [[[new Date(0)]].map(() => [v04Span()]), "0.4"],
    [v05Payload([1, 2, 3, 5n, 6n, null, 1n, 2, 0, new Date(0), { "2": 2n }, 0.0]), "0.5"],
    [[[""], []], "0.5"],
  ];
  for (const [payload, version] of cases) {
    const result = assertSame(encode64(payload), version);
    assert.equal(result.ok, true, JSON.stringify(result));
  }
});

Deno.test("skimTraces() refuses values nested past MAX_DEPTH inside a span, and accepts up to it", () => {
  const nested = (depth: number) => {
    const head = encode64([[{ ...v04Span(), meta_struct: 0 }]]);
    // Replace the trailing 0 of meta_struct with `depth` one-element arrays around a 0.
    const bytes = new Uint8Array(head.length - 1 + depth + 1);
    bytes.set(head.subarray(0, head.length - 1));
    bytes.fill(0x91, head.length - 1, head.length - 1 + depth);
    return bytes;
  };
  assert.deepEqual(skimTraces(nested(MAX_DEPTH), "0.4"), { traces: 1, spans: 1 });
  const error = outcome(() => skimTraces(nested(MAX_DEPTH + 1), "0.4"));
  assert.equal(!error.ok && error.field, "body");
});

// ---- differential check against the decoder ----------------------------------------------

function randomValue(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 2 ? 9 : 12));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return Math.floor(random() * 300) - 100;
    case 3:
      return BigInt(Math.floor(random() * 2 ** 40)) * 99_991n;
    case 4:
      return random() < 0.5 ? random() * 10 : 3;
    case 5:
      return ["", "a", "svc", "é✓", "x".repeat(40)][Math.floor(random() * 5)];
    case 6:
      return new Uint8Array(Math.floor(random() * 4));
    case 7:
      return random() < 0.5 ? new Date(1_700_000_000_000) : new ExtData(5, new Uint8Array(2));
    case 8:
      return 2 ** 33;
    case 9:
      return Array.from({ length: Math.floor(random() * 3) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(
        Array.from(
          { length: Math.floor(random() * 3) },
          (_, i) => [`k${i}`, randomValue(random, depth + 1)],
        ),
      );
  }
}

function randomV04(random: () => number): unknown {
  const fields = Object.keys(v04Span());
  return Array.from(
    { length: 1 + Math.floor(random() * 3) },
    () =>
      Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
        const span: Record<string, unknown> = v04Span({
          span_id: BigInt(Math.floor(random() * 1e9)),
        });
        if (random() < 0.5) {
          const field = fields[Math.floor(random() * fields.length)];
          span[field] = random() < 0.15 ? undefined : randomValue(random, 1);
        }
        if (random() < 0.3) {
          const meta = { ...(span.meta as Record<string, unknown>) };
          meta[`m${Math.floor(random() * 3)}`] = randomValue(random, 2);
          span[random() < 0.5 ? "meta" : "metrics"] = meta;
        }
        if (random() < 0.2) span.span_events = randomValue(random, 1);
        return span;
      }),
  );
}

function randomV05(random: () => number): unknown {
  const strings = ["", "svc", "name", "res", "k", "v"];
  if (random() < 0.1) strings.push(randomValue(random, 1) as string);
  const slot = (i: number) => {
    if (random() < 0.85) {
      if (i >= 3 && i <= 5) return BigInt(1 + Math.floor(random() * 1e6));
      if (i === 9) return { 4: 5 };
      if (i === 10) return { 4: random() };
      return Math.floor(random() * strings.length);
    }
    return randomValue(random, 1);
  };
  return [
    strings,
    Array.from(
      { length: Math.floor(random() * 3) },
      () =>
        Array.from(
          { length: 1 + Math.floor(random() * 2) },
          () => Array.from({ length: random() < 0.95 ? 12 : 11 }, (_, i) => slot(i)),
        ),
    ),
  ];
}

function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const out = new Uint8Array(bytes);
  const changes = 1 + Math.floor(random() * 3);
  for (let i = 0; i < changes; i++) {
    out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
  }
  return random() < 0.2 ? out.subarray(0, Math.floor(random() * out.length)) : out;
}

Deno.test("skimTraces() and decodeTraces() agree on thousands of generated and mutated payloads", () => {
  const random = createRandom(20_260_101);
  let accepted = 0, refused = 0;
  for (let i = 0; i < 4000; i++) {
    const version: TraceVersion = i % 2 === 0 ? "0.4" : "0.5";
    let bytes: Uint8Array = encode64(version === "0.4" ? randomV04(random) : randomV05(random));
    if (random() < 0.5) bytes = mutate(bytes, random);
    const expected = decoded(bytes, version);
    const actual = skimmed(bytes, version);
    if (expected.ok) accepted++;
    else refused++;
    if (!expected.ok && !actual.ok && actual.message !== expected.message) {
      // Only the key named in a message may differ, when a map has several bad entries.
      assert.equal(actual.field, expected.field, `case ${i}: ${Array.from(bytes).join(",")}`);
      assert.match(actual.message, /^Cannot read traces\[\d+\]\[\d+\]\.(meta|metrics)/);
      continue;
    }
    assert.deepEqual(actual, expected, `case ${i} (v${version}): ${Array.from(bytes).join(",")}`);
  }
  // Enough of both to mean something.
  assert.ok(accepted > 500 && refused > 1000, `${accepted} accepted, ${refused} refused`);
});
