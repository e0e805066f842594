import {
  type BaseConfig,
  baseConfigFrom,
  baseEnvSchema,
  envInt,
  envRate,
  parseEnv,
} from "@demo/observability";

/** auth-service configuration, resolved once at start-up. */
export interface AuthConfig {
  base: BaseConfig;
  /** Probability that a login fails (`AUTH_FAIL_RATE`). */
  failRate: number;
  /** Seed for reproducible runs (`RANDOM_SEED`); undefined means truly random. */
  seed: number | undefined;
}

/** Parses auth-service's environment, naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): AuthConfig {
  const raw = parseEnv({
    ...baseEnvSchema,
    AUTH_FAIL_RATE: envRate(0.12),
    RANDOM_SEED: envInt(-1, -1, 2 ** 32 - 1),
  }, env);
  return {
    base: baseConfigFrom("auth-service", raw),
    failRate: raw.AUTH_FAIL_RATE,
    seed: raw.RANDOM_SEED < 0 ? undefined : raw.RANDOM_SEED,
  };
}
