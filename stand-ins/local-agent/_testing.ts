/**
 * Test helpers shared by the stand-in's tests: an app on an empty store, and trace data.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { createAgentLog } from "./_log.ts";
import { type BodyLimits, createAgentApp } from "./app.ts";
import type { PageAssets } from "./page.ts";
import { AgentStore, type StoreLimits } from "./store.ts";

/**
 * The stand-in's HTTP app on a store of its own, called in memory. Its log lines are parsed
 * into `lines`; `json(path)` asserts a 200 and returns the body.
 */
export function testAgent(
  options: { limits?: Partial<StoreLimits>; bodyLimits?: Partial<BodyLimits>; page?: PageAssets } =
    {},
) {
  const lines: Record<string, unknown>[] = [];
  const store = new AgentStore(options.limits);
  const app = createAgentApp({
    store,
    log: createAgentLog({ level: "debug", sink: (line) => lines.push(JSON.parse(line)) }),
    page: options.page ?? { html: "", css: "", js: "" },
    ports: () => ({ http: 8126, statsd: 8125 }),
    bodyLimits: options.bodyLimits,
  });
  const request = (path: string, init: RequestInit = {}) => app.request(path, init);
  const json = async (path: string) => {
    const response = await request(path);
    assert.equal(response.status, 200, `GET ${path}`);
    return await response.json();
  };
  return { app, store, lines, request, json };
}

/** msgpack with 64-bit integers as dd-trace sends them. */
export function encode64(value: unknown): Uint8Array<ArrayBuffer> {
  return encode(value, { useBigInt64: true }) as Uint8Array<ArrayBuffer>;
}

/** A `PUT` of a msgpack body, as dd-trace sends traces. */
export function putMsgpack(body: BodyInit, headers: Record<string, string> = {}): RequestInit {
  return { method: "PUT", body, headers: { "content-type": "application/msgpack", ...headers } };
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
