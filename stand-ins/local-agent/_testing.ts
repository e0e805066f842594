/**
 * Test data shared by the stand-in's trace tests.
 *
 * @module
 */
import { encode } from "@msgpack/msgpack";

/** msgpack with 64-bit integers as dd-trace sends them. */
export function encode64(value: unknown): Uint8Array {
  return encode(value, { useBigInt64: true });
}

/** A v0.4 span as dd-trace encodes one, with `overrides` applied. */
export function v04Span(overrides: Record<string, unknown> = {}) {
  return {
    trace_id: 0xfedcba9876543210n,
    span_id: 1234567890123456789n,
    parent_id: 0n,
    name: "web.request",
    resource: "POST /api/pay",
    service: "web-frontend",
    type: "web",
    error: 0,
    start: 1_764_000_000_123_456_789n,
    duration: 42_000_000,
    meta: { "http.method": "POST", "_dd.p.tid": "6925a1b200000000" },
    metrics: { "_sampling_priority_v1": 1, "_dd.measured": 1 },
    ...overrides,
  };
}
