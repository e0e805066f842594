/** The simulated model, as LLM Observability and the API name it. */
export const MODEL = { name: "payments-sim-1", provider: "simulated" } as const;

/** How much of the prompt a summary keeps, and of the reversed prompt a response. */
export const SUMMARY_CHARS = 160;
export const RESPONSE_CHARS = 220;

/** The usual rule of thumb for English text: about four characters a token. */
const CHARS_PER_TOKEN = 4;

/** Token counts of one generation, as the API answers them. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

/**
 * The simulated model's answer, by the original's rules: a prompt mentioning "summarize"
 * gets `Summary: ` and its first 160 characters; one mentioning "classify" gets
 * `Label: neutral`; any other gets `Response: ` and itself reversed, at most 220
 * characters. Characters are code points, so no emoji is cut in half. With `maxTokens`
 * the output is cut to what that many tokens hold.
 */
export function simulateOutput(prompt: string, maxTokens?: number): string {
  const chars = Array.from(prompt);
  let output: string;
  if (/summarize/i.test(prompt)) {
    output = `Summary: ${chars.slice(0, SUMMARY_CHARS).join("")}`;
  } else if (/classify/i.test(prompt)) {
    output = "Label: neutral";
  } else {
    output = `Response: ${chars.reverse().slice(0, RESPONSE_CHARS).join("")}`;
  }
  if (maxTokens === undefined) return output;
  return Array.from(output).slice(0, maxTokens * CHARS_PER_TOKEN).join("");
}

/** Estimates the tokens of `text` as ceil(characters / 4). */
export function estimateTokens(text: string): number {
  return Math.ceil(Array.from(text).length / CHARS_PER_TOKEN);
}

/** The usage of a generation from its prompt and output. */
export function usageOf(prompt: string, output: string): Usage {
  const input = estimateTokens(prompt);
  const out = estimateTokens(output);
  return { input_tokens: input, output_tokens: out, total_tokens: input + out };
}
