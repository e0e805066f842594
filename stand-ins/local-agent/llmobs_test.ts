import assert from "node:assert/strict";
import { AgentError } from "./_errors.ts";
import {
  linkEvaluations,
  llmObsKindOf,
  MAX_EVENT_BYTES,
  parseLlmObsEvaluations,
  parseLlmObsSpans,
} from "./llmobs.ts";

function llmSpan(overrides: Record<string, unknown> = {}) {
  return {
    trace_id: "6925a1b2000000001111111111111111",
    span_id: "42",
    parent_id: "undefined",
    name: "generate_text",
    tags: ["ml_app:payments-assistant", "service:llm-service"],
    start_ns: 1,
    duration: 2_000_000,
    status: "ok",
    meta: { "span.kind": "llm", input: { messages: [] }, output: { messages: [] } },
    metrics: { input_tokens: 3 },
    _dd: { apm_trace_id: "6925a1b200000000fedcba9876543210", span_id: "42" },
    ...overrides,
  };
}

Deno.test("llmObsKindOf() knows the span and evaluation intakes behind the EVP proxy", () => {
  assert.equal(llmObsKindOf("/api/v2/llmobs"), "span");
  assert.equal(llmObsKindOf("/api/intake/llm-obs/v2/eval-metric"), "evaluation");
  assert.equal(llmObsKindOf("/api/intake/llm-obs/v1/eval-metric"), "evaluation");
  assert.equal(llmObsKindOf("/api/v2/citestcycle"), undefined);
});

Deno.test("parseLlmObsSpans() reads dd-trace's array of span envelopes", () => {
  const records = parseLlmObsSpans([
    { "_dd.stage": "raw", event_type: "span", spans: [llmSpan()] },
    {
      event_type: "span",
      spans: [llmSpan({ name: "llm_request", meta: { "span.kind": "workflow" } })],
    },
  ], 9);
  assert.equal(records.length, 2);
  assert.equal(records[0].kind, "span");
  assert.equal(records[0].span_kind, "llm");
  assert.equal(records[0].ml_app, "payments-assistant");
  assert.equal(records[0].apm_trace_id, "18364758544493064720");
  assert.equal(records[0].received_at, 9);
  assert.equal(records[1].span_kind, "workflow");
  assert.equal(records[1].event.name, "llm_request");
});

Deno.test("parseLlmObsSpans() accepts a single envelope", () => {
  assert.equal(parseLlmObsSpans({ ml_app: "app", spans: [llmSpan()] })[0].ml_app, "app");
});

Deno.test("parseLlmObsSpans() names the span missing its id", () => {
  assert.throws(
    () => parseLlmObsSpans([{ spans: [llmSpan(), llmSpan({ span_id: undefined })] }]),
    (error) => error instanceof AgentError && error.field === "[0].spans[1].span_id",
  );
  assert.throws(
    () => parseLlmObsSpans("nope"),
    (error) => error instanceof AgentError && error.status === 400,
  );
});

Deno.test("parseLlmObsSpans() drops the input and output of an oversized span", () => {
  const big = "x".repeat(MAX_EVENT_BYTES);
  const [record] = parseLlmObsSpans([{
    spans: [llmSpan({ meta: { "span.kind": "llm", input: { value: big } } })],
  }]);
  assert.equal(record.event.truncated, true);
  assert.ok(JSON.stringify(record.event).length < MAX_EVENT_BYTES);
});

Deno.test("parseLlmObsEvaluations() reads evaluation metrics joined to a span", () => {
  const [record] = parseLlmObsEvaluations({
    data: {
      type: "evaluation_metric",
      attributes: {
        metrics: [{
          join_on: { span: { span_id: "42", trace_id: "6925a1b200000000fedcba9876543210" } },
          label: "helpfulness",
          metric_type: "score",
          score_value: 0.9,
          ml_app: "payments-assistant",
          timestamp_ms: 1,
        }],
      },
    },
  });
  assert.equal(record.kind, "evaluation");
  assert.equal(record.ml_app, "payments-assistant");
  assert.equal(record.event.score_value, 0.9);
});

Deno.test("linkEvaluations() links an evaluation to the APM trace of its span", () => {
  const [span] = parseLlmObsSpans([{ spans: [llmSpan({ span_id: "42" })] }]);
  const evaluations = parseLlmObsEvaluations({
    data: {
      attributes: {
        metrics: [
          { join_on: { span: { span_id: "42", trace_id: "x" } }, label: "a", metric_type: "score" },
          { join_on: { span: { span_id: "43", trace_id: "y" } }, label: "b", metric_type: "score" },
        ],
      },
    },
  });
  const linked = linkEvaluations([...evaluations, span]);
  assert.equal(linked[0].apm_trace_id, "18364758544493064720");
  assert.equal(linked[1].apm_trace_id, undefined);
});

Deno.test("parseLlmObsEvaluations() answers 400 naming what is missing", () => {
  assert.throws(
    () => parseLlmObsEvaluations({ data: {} }),
    (error) => error instanceof AgentError && error.field === "data.attributes.metrics",
  );
  assert.throws(
    () => parseLlmObsEvaluations({ data: { attributes: { metrics: [{ metric_type: "score" }] } } }),
    (error) => error instanceof AgentError && error.field === "data.attributes.metrics[0].label",
  );
});
