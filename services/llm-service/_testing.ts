/**
 * Test doubles shared by llm-service's tests: scripted random draws, a recording twin of
 * the LLM Observability SDK and an app wired with recorded telemetry.
 *
 * @module
 */
import type { Random } from "@demo/observability";
import { createTestTelemetry, testBaseConfig } from "@demo/observability/testing";
import { createApp } from "./app.ts";
import type { LlmConfig } from "./config.ts";
import type { LlmObs, LlmObsAnnotation, LlmObsSpanOptions } from "./generate.ts";

import { scriptedRandom } from "@demo/observability/testing";
export { scriptedRandom };

/** An LLM Observability span as the twin recorded it. */
export interface RecordedLlmObsSpan {
  options: LlmObsSpanOptions;
  parent?: RecordedLlmObsSpan;
  annotations: LlmObsAnnotation[];
  finished: boolean;
  error?: unknown;
}

/** A recording twin of the LLM Observability SDK, with `spans` in start order. */
export function recordingLlmObs(options: { annotateThrows?: boolean } = {}) {
  const spans: RecordedLlmObsSpan[] = [];
  const stack: RecordedLlmObsSpan[] = [];
  const llmobs: LlmObs<RecordedLlmObsSpan> = {
    trace(spanOptions, fn) {
      const span: RecordedLlmObsSpan = {
        options: spanOptions,
        parent: stack.at(-1),
        annotations: [],
        finished: false,
      };
      spans.push(span);
      stack.push(span);
      try {
        const result = fn(span);
        if (result instanceof Promise) {
          return result.then(
            (value) => {
              span.finished = true;
              return value;
            },
            (error) => {
              span.finished = true;
              span.error = error;
              throw error;
            },
          ) as typeof result;
        }
        span.finished = true;
        return result;
      } finally {
        stack.pop();
      }
    },
    annotate(span, annotation) {
      if (options.annotateThrows) throw new Error("Cannot annotate a finished span");
      span?.annotations.push(annotation);
    },
  };
  const named = (name: string) => spans.find((s) => s.options.name === name);
  return { llmobs: llmobs as LlmObs, spans, named };
}

/** An llm-service configuration for tests: no failures, no latency. */
export function testConfig(overrides: Partial<LlmConfig> = {}): LlmConfig {
  return {
    base: testBaseConfig("llm-service"),
    failRate: 0,
    latency: { minMs: 0, maxMs: 0 },
    seed: 1,
    ...overrides,
  };
}

/** Builds the app with recorded telemetry, an LLM Observability twin and a recorded sleep. */
export function setup(
  options: { config?: Partial<LlmConfig>; draws?: number[]; random?: Random } = {},
) {
  const t = createTestTelemetry("llm-service");
  const obs = recordingLlmObs();
  const slept: number[] = [];
  const app = createApp({
    config: testConfig(options.config),
    log: t.log,
    metrics: t.metrics,
    readiness: t.readiness,
    random: options.random ?? scriptedRandom(options.draws ?? [0.99, 0]),
    llmobs: obs.llmobs,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  });
  return { app, t, obs, slept };
}
