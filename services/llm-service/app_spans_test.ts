import assert from "node:assert/strict";
import { llmobs } from "@demo/observability";
import {
  captureSpans,
  createTestTelemetry,
  jsonRequest,
  testBaseConfig,
} from "@demo/observability/testing";
import { scriptedRandom } from "./_testing.ts";
import { createApp } from "./app.ts";
import { LLMOBS_SPAN, SPAN } from "./telemetry.ts";

// The tracer is global to this module and keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };
const capture = await captureSpans();

function setup(draws: number[], failRate = 0) {
  const t = createTestTelemetry("llm-service");
  // The kit's SDK with LLM Observability off: its spans still reach APM, annotations do not.
  const app = createApp({
    config: {
      base: testBaseConfig("llm-service"),
      failRate,
      latency: { minMs: 0, maxMs: 0 },
      seed: 1,
    },
    ...t,
    random: scriptedRandom(draws),
    llmobs,
  });
  return { app, t };
}

Deno.test(
  "POST /llm/generate traces llm.endpoint under the server span, wrapping llm_request and generate_text",
  opts,
  async () => {
    const { app, t } = setup([0.99, 0]);
    const res = await app.request(
      jsonRequest("POST", "/llm/generate", {
        body: { prompt: "hello spans" },
        headers: { "x-request-id": "req-span-ok" },
      }),
    );
    assert.equal(res.status, 200);
    assert.equal(llmobs.enabled, false);
    const server = await capture.waitFor((s) =>
      s.resource === "POST /llm/generate" && s.meta["request.id"] === "req-span-ok"
    );
    const endpoint = await capture.waitFor((s) =>
      s.name === SPAN.endpoint && s.parent_id === server.span_id
    );
    assert.equal(endpoint.meta["llm.model_name"], "payments-sim-1");
    assert.equal(endpoint.metrics["llm.usage.total_tokens"], 9);
    assert.equal(endpoint.error, 0);
    assert.equal(JSON.stringify(endpoint).includes("hello spans"), false, "no prompt on APM");
    const workflow = await capture.waitFor((s) =>
      s.name === LLMOBS_SPAN.workflow && s.parent_id === endpoint.span_id
    );
    await capture.waitFor((s) => s.name === LLMOBS_SPAN.llm && s.parent_id === workflow.span_id);
    const [line] = t.logged("llm_ok") as { dd: { span_id: string } }[];
    assert.equal(line.dd.span_id, server.span_id, "llm_ok is logged in the request's trace");
  },
);

Deno.test(
  "POST /llm/generate marks llm.endpoint and the server span as errors on a failure",
  opts,
  async () => {
    const { app } = setup([0.01, 0], 0.5);
    const res = await app.request(
      jsonRequest("POST", "/llm/generate", {
        body: { prompt: "fail please" },
        headers: { "x-request-id": "req-span-fail" },
      }),
    );
    assert.equal(res.status, 503);
    const server = await capture.waitFor((s) =>
      s.resource === "POST /llm/generate" && s.meta["request.id"] === "req-span-fail"
    );
    assert.equal(server.error, 1);
    const endpoint = await capture.waitFor((s) =>
      s.name === SPAN.endpoint && s.parent_id === server.span_id
    );
    assert.equal(endpoint.error, 1);
    assert.equal(endpoint.meta["llm.error"], "simulated_failure");
    const llm = await capture.waitFor((s) =>
      s.name === LLMOBS_SPAN.llm && s.trace_id === server.trace_id
    );
    assert.equal(llm.error, 1);
    assert.equal(llm.meta["error.type"], "GenerationError");
  },
);
