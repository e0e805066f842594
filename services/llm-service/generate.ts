import type { Random } from "@demo/observability";
import { MODEL, simulateOutput, type Usage, usageOf } from "./model.ts";
import { ERROR_KIND, LLMOBS_SPAN } from "./telemetry.ts";

/** Options of an LLM Observability span, as dd-trace's `llmobs.trace` takes them. */
export interface LlmObsSpanOptions {
  kind: "workflow" | "llm";
  name: string;
  modelName?: string;
  modelProvider?: string;
}

/** A chat message as LLM Observability shows it. */
export interface LlmObsMessage {
  role: string;
  content: string;
}

/** What an LLM Observability span is annotated with. */
export interface LlmObsAnnotation {
  inputData?: string | LlmObsMessage[];
  outputData?: string | LlmObsMessage[];
  metadata?: Record<string, unknown>;
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
}

/**
 * The part of dd-trace's LLM Observability SDK this service uses; the kit's `llmobs`
 * fits it, and tests pass a recording twin. When LLM Observability is disabled the SDK
 * still runs `fn` (inside a plain APM span) and ignores annotations.
 */
export interface LlmObs<S = unknown> {
  trace<T>(options: LlmObsSpanOptions, fn: (span: S) => T): T;
  annotate(span: S | undefined, options: LlmObsAnnotation): void;
}

/** Why a generation failed, with the `error` tag of `llm.request.error`. */
export class GenerationError extends Error {
  readonly kind: typeof ERROR_KIND.simulatedFailure | typeof ERROR_KIND.deadlineExceeded;
  constructor(kind: GenerationError["kind"], message: string) {
    super(message);
    this.name = "GenerationError";
    this.kind = kind;
  }
}

/** One generation request. */
export interface GenerateInput {
  prompt: string;
  maxTokens?: number;
  /** Correlates the LLM Observability trace with the request's logs. */
  requestId?: string;
}

/** A successful generation. */
export interface Generation {
  output: string;
  usage: Usage;
  /** The simulated latency drawn for this call. */
  latencyMs: number;
}

/** What a generation depends on. */
export interface GenerateDeps<S = unknown> {
  random: Random;
  failRate: number;
  latency: { minMs: number; maxMs: number };
  sleep: (ms: number) => Promise<void>;
  llmobs: LlmObs<S>;
  /** Milliseconds the caller still waits; a slower model call gives up at that point. */
  remainingMs: () => number;
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs the simulated model inside an LLM Observability workflow span `llm_request`
 * wrapping an llm span `generate_text`, annotated with the messages and token metrics.
 * It waits a latency drawn from the configured range, then fails with probability
 * `failRate` (a {@linkcode GenerationError}, which marks both spans as errors).
 */
export function generate<S>(input: GenerateInput, deps: GenerateDeps<S>): Promise<Generation> {
  const { llmobs } = deps;
  return llmobs.trace(
    { kind: "workflow", name: LLMOBS_SPAN.workflow },
    async (workflow) => {
      annotate(llmobs, workflow, {
        inputData: input.prompt,
        tags: input.requestId ? { request_id: input.requestId } : undefined,
      });
      const generation = await llmobs.trace({
        kind: "llm",
        name: LLMOBS_SPAN.llm,
        modelName: MODEL.name,
        modelProvider: MODEL.provider,
      }, (span) => callModel(input, deps, span));
      annotate(llmobs, workflow, { outputData: generation.output });
      return generation;
    },
  );
}

async function callModel<S>(
  input: GenerateInput,
  deps: GenerateDeps<S>,
  span: S,
): Promise<Generation> {
  const messages = [{ role: "user", content: input.prompt }];
  const metadata = input.maxTokens === undefined ? {} : { max_tokens: input.maxTokens };
  const fails = deps.random.chance(deps.failRate);
  const latencyMs = deps.random.int(deps.latency.minMs, deps.latency.maxMs);
  const remaining = deps.remainingMs();
  await deps.sleep(Math.min(latencyMs, remaining));
  if (latencyMs > remaining) {
    annotate(deps.llmobs, span, {
      inputData: messages,
      metadata: { ...metadata, error: ERROR_KIND.deadlineExceeded },
    });
    throw new GenerationError(
      ERROR_KIND.deadlineExceeded,
      `The model did not answer within the ${remaining} ms left`,
    );
  }
  if (fails) {
    annotate(deps.llmobs, span, {
      inputData: messages,
      metadata: { ...metadata, error: ERROR_KIND.simulatedFailure },
    });
    throw new GenerationError(ERROR_KIND.simulatedFailure, "Simulated model failure");
  }
  const output = simulateOutput(input.prompt, input.maxTokens);
  const usage = usageOf(input.prompt, output);
  annotate(deps.llmobs, span, {
    inputData: messages,
    outputData: [{ role: "assistant", content: output }],
    ...(input.maxTokens === undefined ? {} : { metadata }),
    metrics: { ...usage },
  });
  return { output, usage, latencyMs };
}

/** Annotates a span; a rejected annotation must never fail the request it describes. */
function annotate<S>(llmobs: LlmObs<S>, span: S, annotation: LlmObsAnnotation) {
  try {
    llmobs.annotate(span, annotation);
  } catch {
    // dd-trace rejects e.g. an annotation of a finished span; the answer is still good.
  }
}
