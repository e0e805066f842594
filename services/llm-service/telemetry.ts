/** llm-service's telemetry names, kept exactly as the contract's dashboards query them. */
export const METRIC = {
  ok: "llm.request.ok",
  error: "llm.request.error",
  latency: "llm.latency_ms",
} as const;

/** Metric tag keys; values stay low-cardinality. */
export const TAG = { error: "error" } as const;

/** Values of the `error` tag of `llm.request.error`. */
export const ERROR_KIND = {
  simulatedFailure: "simulated_failure",
  deadlineExceeded: "deadline_exceeded",
  exception: "exception",
} as const;

export type ErrorKind = typeof ERROR_KIND[keyof typeof ERROR_KIND];

/** The APM span around a generation. */
export const SPAN = { endpoint: "llm.endpoint" } as const;

/** Span tag keys of `llm.endpoint` (never the prompt: it may hold personal data). */
export const SPAN_TAG = {
  model: "llm.model_name",
  provider: "llm.model_provider",
  promptChars: "llm.prompt_chars",
  inputTokens: "llm.usage.input_tokens",
  outputTokens: "llm.usage.output_tokens",
  totalTokens: "llm.usage.total_tokens",
  error: "llm.error",
} as const;

/** LLM Observability spans: a workflow per request wrapping the model call. */
export const LLMOBS_SPAN = { workflow: "llm_request", llm: "generate_text" } as const;

export const LOG = { ok: "llm_ok", error: "llm_error" } as const;
