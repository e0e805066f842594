import assert from "node:assert/strict";
import { jsonRequest } from "@demo/observability/testing";
import { setup } from "./_testing.ts";
import { LOG, METRIC } from "./telemetry.ts";

type App = ReturnType<typeof setup>["app"];

function generate(app: App, body: unknown, headers?: Record<string, string>) {
  return app.request(jsonRequest("POST", "/llm/generate", { body, headers }));
}

Deno.test("POST /llm/generate answers the output, model and token usage", async () => {
  const { app } = setup();
  const res = await generate(app, { prompt: "hello world" });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    ok: true,
    output: "Response: dlrow olleh",
    model: "payments-sim-1",
    usage: { input_tokens: 3, output_tokens: 6, total_tokens: 9 },
  });
});

for (
  const [label, prompt, output] of [
    [
      "summarizes",
      "Summarize my last payments please",
      "Summary: Summarize my last payments please",
    ],
    ["classifies", "CLASSIFY: refund request", "Label: neutral"],
    ["reverses", "abc", "Response: cba"],
  ]
) {
  Deno.test(`POST /llm/generate ${label} by the simulation rules`, async () => {
    const { app } = setup();
    const res = await generate(app, { prompt });
    assert.equal((await res.json()).output, output);
  });
}

Deno.test("POST /llm/generate honours max_tokens", async () => {
  const { app } = setup();
  const res = await generate(app, { prompt: "hello world", max_tokens: 2 });
  const body = await res.json();
  assert.equal(body.output, "Response");
  assert.equal(body.usage.output_tokens, 2);
});

Deno.test("POST /llm/generate counts llm.request.ok, records llm.latency_ms and logs llm_ok without the prompt", async () => {
  const { app, t, slept } = setup({
    config: { latency: { minMs: 40, maxMs: 160 } },
    draws: [0.99, 0],
  });
  const res = await generate(app, { prompt: "my secret card 4111" });
  assert.equal(res.status, 200);
  assert.deepEqual(slept, [40]);
  assert.equal(t.metrics.total(METRIC.ok), 1);
  const latency = t.metrics.records.filter((r) => r.name === METRIC.latency);
  assert.equal(latency.length, 1);
  assert.equal(latency[0].type, "distribution");
  assert.ok(latency[0].value >= 0);
  assert.equal(t.metrics.total(METRIC.error), 0);
  const [line] = t.logged(LOG.ok);
  assert.equal(line.level, "info");
  assert.equal(line.model, "payments-sim-1");
  assert.equal(line.total_tokens, 13); // ceil(19 / 4) + ceil(29 / 4)
  assert.doesNotMatch(JSON.stringify(t.lines), /4111|1114/);
});

Deno.test("POST /llm/generate answers 503 llm_unavailable on a simulated failure, counting the error", async () => {
  const { app, t, obs } = setup({ config: { failRate: 0.08 }, draws: [0.05, 0] });
  const res = await generate(app, { prompt: "hello" });
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.ok, false);
  assert.equal(body.error.code, "llm_unavailable");
  assert.equal(t.metrics.total(METRIC.error, { error: "simulated_failure" }), 1);
  assert.equal(t.metrics.total(METRIC.ok), 0);
  assert.equal(t.metrics.records.some((r) => r.name === METRIC.latency), false);
  const [line] = t.logged(LOG.error);
  assert.equal(line.level, "error");
  assert.equal(line.error_kind, "simulated_failure");
  assert.equal(t.logged(LOG.ok).length, 0);
  assert.ok(obs.named("generate_text")?.error, "the llm span carries the error");
});

Deno.test("POST /llm/generate answers 504 when the caller's budget runs out before the model", async () => {
  const { app, t } = setup({ config: { latency: { minMs: 500, maxMs: 500 } } });
  const res = await generate(app, { prompt: "hello" }, { "x-request-budget-ms": "20" });
  assert.equal(res.status, 504);
  assert.equal((await res.json()).error.code, "deadline_exceeded");
  assert.equal(t.metrics.total(METRIC.error, { error: "deadline_exceeded" }), 1);
});

Deno.test("POST /llm/generate fails at about LLM_FAIL_RATE with a seeded Random", async () => {
  const { createRandom } = await import("@demo/observability");
  const { app, t } = setup({ config: { failRate: 0.08 }, random: createRandom(11) });
  for (let i = 0; i < 400; i++) {
    const res = await generate(app, { prompt: "hi" });
    await res.body?.cancel();
  }
  const failed = t.metrics.total(METRIC.error, { error: "simulated_failure" });
  assert.equal(failed + t.metrics.total(METRIC.ok), 400);
  assert.ok(failed > 15 && failed < 50, `failed ${failed} of 400`);
});

const bad: [string, unknown, string][] = [
  ["a missing prompt", {}, "prompt"],
  ["an empty prompt", { prompt: "" }, "prompt"],
  ["a blank prompt", { prompt: "   \n" }, "prompt"],
  ["a 4001-character prompt", { prompt: "p".repeat(4001) }, "prompt"],
  ["a numeric prompt", { prompt: 42 }, "prompt"],
  ["a zero max_tokens", { prompt: "hi", max_tokens: 0 }, "max_tokens"],
  ["a fractional max_tokens", { prompt: "hi", max_tokens: 1.5 }, "max_tokens"],
  ["a huge max_tokens", { prompt: "hi", max_tokens: 100_000 }, "max_tokens"],
  ["a string max_tokens", { prompt: "hi", max_tokens: "10" }, "max_tokens"],
  ["an unknown field", { prompt: "hi", temperature: 0.7 }, "temperature"],
  ["a JSON array", [{ prompt: "hi" }], "body"],
  ["a body that is not JSON", "prompt=hi", "body"],
];
for (const [label, body, field] of bad) {
  Deno.test(`POST /llm/generate answers 400 naming '${field}' for ${label}`, async () => {
    const { app, t, obs } = setup();
    const res = await generate(app, body);
    assert.equal(res.status, 400);
    const json = await res.json();
    assert.equal(json.ok, false);
    assert.equal(json.error.field, field);
    assert.match(json.error.message, new RegExp(field));
    assert.equal(t.metrics.records.length, 0, "bad input is not a model request");
    assert.equal(obs.spans.length, 0);
  });
}

Deno.test("POST /llm/generate accepts a 4000-character prompt", async () => {
  const { app } = setup();
  const res = await generate(app, { prompt: "summarize " + "p".repeat(3990) });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).output.length, "Summary: ".length + 160);
});

Deno.test("POST /llm/generate answers 415 naming content-type for a text body", async () => {
  const { app } = setup();
  const res = await app.request("/llm/generate", {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: "hi",
  });
  assert.equal(res.status, 415);
  assert.equal((await res.json()).error.field, "content-type");
});

Deno.test("GET /healthz and /readyz answer 200 when ready", async () => {
  const { app } = setup();
  assert.equal((await app.request("/healthz")).status, 200);
  assert.equal((await app.request("/readyz")).status, 200);
});
