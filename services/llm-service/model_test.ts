import assert from "node:assert/strict";
import { estimateTokens, simulateOutput, usageOf } from "./model.ts";

Deno.test("simulateOutput() summarizes a prompt mentioning summarize with its first 160 characters", () => {
  const prompt = "Please SUMMARIZE this: " + "x".repeat(300);
  const output = simulateOutput(prompt);
  assert.equal(output, "Summary: " + prompt.slice(0, 160));
  assert.equal(output.length, "Summary: ".length + 160);
});

Deno.test("simulateOutput() labels a prompt mentioning classify as neutral, in any case", () => {
  assert.equal(simulateOutput("classify this payment"), "Label: neutral");
  assert.equal(simulateOutput("Can you Classify it?"), "Label: neutral");
});

Deno.test("simulateOutput() prefers summarize when a prompt mentions both", () => {
  assert.equal(simulateOutput("summarize then classify"), "Summary: summarize then classify");
});

Deno.test("simulateOutput() answers anything else with the prompt reversed", () => {
  assert.equal(simulateOutput("hello world"), "Response: dlrow olleh");
});

Deno.test("simulateOutput() keeps at most 220 characters of the reversed prompt", () => {
  const prompt = "a".repeat(100) + "b".repeat(200);
  const output = simulateOutput(prompt);
  assert.equal(output, "Response: " + "b".repeat(200) + "a".repeat(20));
});

Deno.test("simulateOutput() reverses by code point, so emoji survive", () => {
  assert.equal(simulateOutput("ab😀"), "Response: 😀ba");
});

Deno.test("simulateOutput() cuts the output to what max_tokens holds", () => {
  assert.equal(simulateOutput("hello world", 2), "Response");
  assert.equal(simulateOutput("hello world", 100), "Response: dlrow olleh");
});

Deno.test("estimateTokens() is ceil(characters / 4)", () => {
  assert.equal(estimateTokens(""), 0);
  assert.equal(estimateTokens("abcd"), 1);
  assert.equal(estimateTokens("abcde"), 2);
  assert.equal(estimateTokens("😀😀😀😀"), 1);
});

Deno.test("usageOf() adds input and output tokens into the total", () => {
  assert.deepEqual(usageOf("hello world", "Response: dlrow olleh"), {
    input_tokens: 3,
    output_tokens: 6,
    total_tokens: 9,
  });
});
