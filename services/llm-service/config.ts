import {
  type BaseConfig,
  baseConfigFrom,
  baseEnvSchema,
  ConfigError,
  envInt,
  envRate,
  parseEnv,
} from "@demo/observability";

/** The longest simulated model latency allowed, so a request never waits minutes. */
export const MAX_LATENCY_MS = 60_000;

/** llm-service configuration, resolved once at start-up. */
export interface LlmConfig {
  base: BaseConfig;
  /** Probability that a generation fails as if the model were down (`LLM_FAIL_RATE`). */
  failRate: number;
  /** The simulated model's latency range in milliseconds, `minMs <= maxMs`. */
  latency: { minMs: number; maxMs: number };
  /** Seed for reproducible runs (`RANDOM_SEED`); undefined means truly random. */
  seed: number | undefined;
}

/** Parses llm-service's environment, naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): LlmConfig {
  const raw = parseEnv({
    ...baseEnvSchema,
    LLM_FAIL_RATE: envRate(0.08),
    LLM_LATENCY_MIN_MS: envInt(40, 0, MAX_LATENCY_MS),
    LLM_LATENCY_MAX_MS: envInt(160, 0, MAX_LATENCY_MS),
    RANDOM_SEED: envInt(-1, -1, 2 ** 32 - 1),
  }, env);
  if (raw.LLM_LATENCY_MIN_MS > raw.LLM_LATENCY_MAX_MS) {
    throw new ConfigError(["LLM_LATENCY_MIN_MS", "LLM_LATENCY_MAX_MS"], [
      "LLM_LATENCY_MIN_MS must not be greater than LLM_LATENCY_MAX_MS",
    ]);
  }
  return {
    base: baseConfigFrom("llm-service", raw),
    failRate: raw.LLM_FAIL_RATE,
    latency: { minMs: raw.LLM_LATENCY_MIN_MS, maxMs: raw.LLM_LATENCY_MAX_MS },
    seed: raw.RANDOM_SEED < 0 ? undefined : raw.RANDOM_SEED,
  };
}
