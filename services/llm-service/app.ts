import { z } from "zod";
import {
  createServiceApp,
  HttpError,
  type Logger,
  type Metrics,
  type Random,
  type Readiness,
  readJson,
  withSpan,
} from "@demo/observability";
import type { LlmConfig } from "./config.ts";
import { generate, GenerationError, type LlmObs, sleep as realSleep } from "./generate.ts";
import { MODEL } from "./model.ts";
import { ERROR_KIND, type ErrorKind, LOG, METRIC, SPAN, SPAN_TAG, TAG } from "./telemetry.ts";

/** What llm-service's app is built from. */
export interface LlmDeps {
  config: LlmConfig;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  random: Random;
  /** dd-trace's LLM Observability SDK (the kit's `llmobs`), or a twin in tests. */
  llmobs: LlmObs;
  /** How the simulated latency is waited (tests pass one that records it). */
  sleep?: (ms: number) => Promise<void>;
}

/** The longest prompt accepted, in characters. */
export const MAX_PROMPT_CHARS = 4000;
/** The most tokens a caller may ask for. */
export const MAX_OUTPUT_TOKENS = 4096;

/** A generation request; the prompt is never logged or put on an APM span. */
export const GenerateRequest = z.object({
  prompt: z.string({
    error: (issue) => issue.input === undefined ? "is required" : "expected a string",
  })
    .min(1, { error: "expected at least 1 character" })
    .max(MAX_PROMPT_CHARS, { error: `expected at most ${MAX_PROMPT_CHARS} characters` })
    .refine((s) => s.trim().length > 0, { error: "expected more than white space" }),
  max_tokens: z.number({ error: "expected a whole number" })
    .int({ error: "expected a whole number" })
    .min(1, { error: `expected a whole number from 1 to ${MAX_OUTPUT_TOKENS}` })
    .max(MAX_OUTPUT_TOKENS, { error: `expected a whole number from 1 to ${MAX_OUTPUT_TOKENS}` })
    .optional(),
}).strict();

/** Builds llm-service's HTTP app (`POST /llm/generate`); opens no port. */
export function createApp(deps: LlmDeps) {
  const app = createServiceApp({
    log: deps.log,
    readiness: deps.readiness,
    budgetMs: deps.config.base.requestBudgetMs,
  });

  app.post("/llm/generate", async (c) => {
    const body = await readJson(c, GenerateRequest);
    const log = c.get("log");
    const deadline = c.get("deadline");
    const started = performance.now();
    const tags = {
      [SPAN_TAG.model]: MODEL.name,
      [SPAN_TAG.provider]: MODEL.provider,
      [SPAN_TAG.promptChars]: body.prompt.length,
    };
    try {
      const generation = await withSpan(SPAN.endpoint, { tags }, async (span) => {
        try {
          const result = await generate({
            prompt: body.prompt,
            maxTokens: body.max_tokens,
            requestId: c.get("requestId"),
          }, {
            random: deps.random,
            failRate: deps.config.failRate,
            latency: deps.config.latency,
            sleep: deps.sleep ?? realSleep,
            llmobs: deps.llmobs,
            remainingMs: () => deadline.remaining(),
          });
          span.setTag(SPAN_TAG.inputTokens, result.usage.input_tokens);
          span.setTag(SPAN_TAG.outputTokens, result.usage.output_tokens);
          span.setTag(SPAN_TAG.totalTokens, result.usage.total_tokens);
          return result;
        } catch (error) {
          span.setTag(SPAN_TAG.error, errorKind(error));
          throw error;
        }
      });
      const latencyMs = Math.round(performance.now() - started);
      deps.metrics.increment(METRIC.ok);
      deps.metrics.distribution(METRIC.latency, latencyMs);
      log.info(LOG.ok, {
        model: MODEL.name,
        latency_ms: latencyMs,
        prompt_chars: body.prompt.length,
        ...generation.usage,
      });
      return c.json({
        ok: true,
        output: generation.output,
        model: MODEL.name,
        usage: generation.usage,
      });
    } catch (error) {
      const kind = errorKind(error);
      deps.metrics.increment(METRIC.error, { [TAG.error]: kind });
      log.error(LOG.error, {
        model: MODEL.name,
        error_kind: kind,
        latency_ms: Math.round(performance.now() - started),
      });
      if (kind === ERROR_KIND.simulatedFailure) {
        throw new HttpError(503, "llm_unavailable", "The model is unavailable; try again later", {
          cause: error,
        });
      }
      if (kind === ERROR_KIND.deadlineExceeded) {
        throw new HttpError(504, "deadline_exceeded", "The model did not answer in time", {
          cause: error,
        });
      }
      throw error;
    }
  });

  return app;
}

function errorKind(error: unknown): ErrorKind {
  return error instanceof GenerationError ? error.kind : ERROR_KIND.exception;
}
