import {
  type BaseConfig,
  baseConfigFrom,
  baseEnvSchema,
  envInt,
  envRate,
  envUrl,
  parseEnv,
} from "@demo/observability";

/** fraud-service configuration, resolved once at start-up. */
export interface FraudConfig {
  base: BaseConfig;
  /** Probability that a suspected payment is confirmed as fraud (`FRAUD_CONFIRM_RATE`). */
  confirmRate: number;
  /** Seed for reproducible runs (`RANDOM_SEED`); undefined means truly random. */
  seed: number | undefined;
  /** Base URL of jira-poller, which posts the verdict as a ticket comment (`JIRA_POLLER_URL`). */
  jiraPollerUrl: string;
  /** Upper bound of one call to a peer, whatever the request's budget (`PEER_TIMEOUT_MS`). */
  peerTimeoutMs: number;
}

/** Parses fraud-service's environment, naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): FraudConfig {
  const raw = parseEnv({
    ...baseEnvSchema,
    FRAUD_CONFIRM_RATE: envRate(0.35),
    RANDOM_SEED: envInt(-1, -1, 2 ** 32 - 1),
    JIRA_POLLER_URL: envUrl("http://localhost:8104"),
    PEER_TIMEOUT_MS: envInt(2000, 1, 60_000),
  }, env);
  return {
    base: baseConfigFrom("fraud-service", raw),
    confirmRate: raw.FRAUD_CONFIRM_RATE,
    seed: raw.RANDOM_SEED < 0 ? undefined : raw.RANDOM_SEED,
    jiraPollerUrl: raw.JIRA_POLLER_URL,
    peerTimeoutMs: raw.PEER_TIMEOUT_MS,
  };
}
