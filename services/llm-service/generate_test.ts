import assert from "node:assert/strict";
import { createRandom } from "@demo/observability";
import { recordingLlmObs, scriptedRandom } from "./_testing.ts";
import { generate, type GenerateDeps, GenerationError } from "./generate.ts";

function deps(
  overrides: Partial<GenerateDeps> & { obs?: ReturnType<typeof recordingLlmObs> } = {},
) {
  const obs = overrides.obs ?? recordingLlmObs();
  const slept: number[] = [];
  const d: GenerateDeps = {
    random: scriptedRandom([0.99, 0.5]),
    failRate: 0.08,
    latency: { minMs: 40, maxMs: 160 },
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    llmobs: obs.llmobs,
    remainingMs: () => 10_000,
    ...overrides,
  };
  return { d, obs, slept };
}

Deno.test("generate() wraps the llm span generate_text in the workflow span llm_request", async () => {
  const { d, obs } = deps();
  await generate({ prompt: "hello world", requestId: "req-1" }, d);
  assert.deepEqual(obs.spans.map((s) => [s.options.kind, s.options.name]), [
    ["workflow", "llm_request"],
    ["llm", "generate_text"],
  ]);
  const [workflow, llm] = obs.spans;
  assert.equal(llm.parent, workflow);
  assert.equal(llm.options.modelName, "payments-sim-1");
  assert.equal(llm.options.modelProvider, "simulated");
  assert.ok(workflow.finished && llm.finished);
  assert.deepEqual(workflow.annotations, [
    { inputData: "hello world", tags: { request_id: "req-1" } },
    { outputData: "Response: dlrow olleh" },
  ]);
});

Deno.test("generate() annotates generate_text with the messages and token metrics", async () => {
  const { d, obs } = deps();
  const generation = await generate({ prompt: "hello world", maxTokens: 50 }, d);
  assert.deepEqual(obs.named("generate_text")?.annotations, [{
    inputData: [{ role: "user", content: "hello world" }],
    outputData: [{ role: "assistant", content: "Response: dlrow olleh" }],
    metadata: { max_tokens: 50 },
    metrics: { input_tokens: 3, output_tokens: 6, total_tokens: 9 },
  }]);
  assert.deepEqual(generation.usage, { input_tokens: 3, output_tokens: 6, total_tokens: 9 });
});

Deno.test("generate() waits a latency drawn from the configured range", async () => {
  const { d, slept } = deps({ random: scriptedRandom([0.99, 0.5]) });
  const generation = await generate({ prompt: "x" }, d);
  // int(40, 160) with 0.5 → 40 + floor(0.5 * 121) = 100
  assert.equal(generation.latencyMs, 100);
  assert.deepEqual(slept, [100]);
  const seeded = deps({ random: createRandom(3), failRate: 0 });
  for (let i = 0; i < 50; i++) await generate({ prompt: "x" }, seeded.d);
  assert.ok(seeded.slept.every((ms) => ms >= 40 && ms <= 160));
  assert.ok(new Set(seeded.slept).size > 10, "latencies vary");
});

Deno.test("generate() fails below LLM_FAIL_RATE, marking both spans and annotating the error", async () => {
  const { d, obs } = deps({ random: scriptedRandom([0.01, 0]) });
  await assert.rejects(generate({ prompt: "hello" }, d), (e: unknown) => {
    assert.ok(e instanceof GenerationError);
    assert.equal(e.kind, "simulated_failure");
    return true;
  });
  const [workflow, llm] = obs.spans;
  assert.ok(workflow.error instanceof GenerationError);
  assert.ok(llm.error instanceof GenerationError);
  assert.deepEqual(llm.annotations, [{
    inputData: [{ role: "user", content: "hello" }],
    metadata: { error: "simulated_failure" },
  }]);
  assert.equal(workflow.annotations.some((a) => "outputData" in a), false);
});

Deno.test("generate() gives up when the model is slower than the time left", async () => {
  const { d, obs, slept } = deps({
    random: scriptedRandom([0.99, 1 - 1e-9]),
    remainingMs: () => 30,
  });
  await assert.rejects(generate({ prompt: "hello" }, d), { kind: "deadline_exceeded" });
  assert.deepEqual(slept, [30], "waits only what is left");
  assert.deepEqual(obs.named("generate_text")?.annotations[0].metadata, {
    error: "deadline_exceeded",
  });
});

Deno.test("generate() still answers when LLM Observability rejects an annotation", async () => {
  const { d } = deps({ obs: recordingLlmObs({ annotateThrows: true }) });
  const generation = await generate({ prompt: "classify me" }, d);
  assert.equal(generation.output, "Label: neutral");
});

Deno.test("generate() leaves metadata off generate_text when no max_tokens was asked", async () => {
  const { d, obs } = deps();
  await generate({ prompt: "hi" }, d);
  assert.equal("metadata" in obs.named("generate_text")!.annotations[0], false);
});
