import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import {
  extractionCarrier,
  finishAfterResponse,
  parseStatusRanges,
  planExtract,
  v05Fits,
} from "./tracer.ts";

Deno.test("planExtract() lists the Datadog and W3C headers of the contract's styles", () => {
  const plan = planExtract(["tracecontext", "datadog"], false);
  assert.equal(plan.copyAll, false);
  assert.deepEqual([...plan.names].sort(), [
    "traceparent",
    "tracestate",
    "x-datadog-origin",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
    "x-datadog-tags",
    "x-datadog-trace-id",
  ]);
});

Deno.test("planExtract() copies every header for legacy baggage or an unknown style", () => {
  assert.equal(planExtract(["tracecontext", "datadog"], true).copyAll, true);
  assert.equal(planExtract(["tracecontext", "jaeger"], false).copyAll, true);
  assert.deepEqual(planExtract(["B3 single header", "baggage"], false), {
    names: ["b3", "baggage"],
    copyAll: false,
  });
});

Deno.test("extractionCarrier() keeps only the propagation headers a request carries", () => {
  const plan = planExtract(["tracecontext", "datadog"], false);
  const headers = new Headers({
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "x-datadog-trace-id": "123",
    "user-agent": "test",
    cookie: "session_id=secret",
  });
  assert.deepEqual(extractionCarrier(headers, plan), {
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "x-datadog-trace-id": "123",
  });
});

Deno.test("extractionCarrier() answers undefined when there is nothing to extract", () => {
  const plan = planExtract(["tracecontext", "datadog"], false);
  assert.equal(extractionCarrier(new Headers({ "user-agent": "test" }), plan), undefined);
});

Deno.test("extractionCarrier() copies every header when the plan says so", () => {
  const headers = new Headers({ "ot-baggage-user": "alice", "user-agent": "test" });
  assert.deepEqual(extractionCarrier(headers, { names: [], copyAll: true }), {
    "ot-baggage-user": "alice",
    "user-agent": "test",
  });
});

Deno.test("parseStatusRanges() reads DD_TRACE_HTTP_CLIENT_ERROR_STATUSES ranges and codes", () => {
  assert.deepEqual(parseStatusRanges("400-499"), [[400, 499]]);
  assert.deepEqual(parseStatusRanges("500-599, 404"), [[500, 599], [404, 404]]);
  assert.equal(parseStatusRanges(undefined), undefined);
  assert.equal(parseStatusRanges("4xx"), undefined);
});

Deno.test("finishAfterResponse() finishes server spans at the end of the turn, without a timer", async () => {
  const finished: string[] = [];
  const span = (name: string) => ({ finish: () => void finished.push(name) });
  finishAfterResponse(span("first"));
  finishAfterResponse(span("second"));
  assert.deepEqual(finished, [], "not inline: the responses go out first");
  // An immediate queued now runs after the one the spans wait for, in the same turn.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(finished, ["first", "second"]);
});

Deno.test("v05Fits() keeps v0.4 where it is asked for or v0.5 cannot carry the data", () => {
  assert.equal(v05Fits({}), true);
  assert.equal(v05Fits({ DD_APPSEC_ENABLED: "false", OTEL_TRACES_EXPORTER: "none" }), true);
  for (
    const env of [
      { DD_TRACE_AGENT_PROTOCOL_VERSION: "0.4" },
      { OTEL_TRACES_EXPORTER: "otlp" },
      { DD_APPSEC_ENABLED: "true" },
      { DD_IAST_ENABLED: "1" },
      { DD_AI_GUARD_ENABLED: "yes" },
      { DD_TRACE_NATIVE_SPAN_EVENTS: "true" },
    ]
  ) {
    assert.equal(v05Fits(env), false, JSON.stringify(env));
  }
});
