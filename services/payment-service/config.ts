import { z } from "zod";
import {
  type BaseConfig,
  baseConfigFrom,
  baseEnvSchema,
  ConfigError,
  envInt,
  envRate,
  envUrl,
  parseEnv,
} from "@demo/observability";

/** payment-service configuration, resolved once at start-up. */
export interface PaymentConfig {
  base: BaseConfig;
  /** Probability that a payment not suspected of fraud fails (`PAYMENT_FAIL_RATE`). */
  failRate: number;
  /** Probability that a payment is suspected of fraud (`PAYMENT_SUSPECTED_FRAUD_RATE`). */
  suspectedFraudRate: number;
  /** Bounds of the simulated processing time, in milliseconds (min ≤ max). */
  latencyMinMs: number;
  latencyMaxMs: number;
  /** The largest amount one payment may carry (`PAYMENT_MAX_AMOUNT`). */
  maxAmount: number;
  /** How many payments the in-memory store keeps before evicting the oldest. */
  storeMaxEntries: number;
  /** Seed for reproducible runs (`RANDOM_SEED`); undefined means truly random. */
  seed: number | undefined;
  fraudServiceUrl: string;
  jiraPollerUrl: string;
  /** Upper bound of one call to a peer, whatever the caller's budget. */
  peerTimeoutMs: number;
}

/** A positive, finite environment number (decimals allowed). */
function envPositiveNumber(defaultValue: number) {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined || value === "") return defaultValue;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) {
      ctx.addIssue({ code: "custom", message: "expected a number greater than 0" });
      return z.NEVER;
    }
    return n;
  });
}

/** Parses payment-service's environment, naming every bad variable (never its value). */
export function loadConfig(env: Record<string, string | undefined>): PaymentConfig {
  const raw = parseEnv({
    ...baseEnvSchema,
    PAYMENT_FAIL_RATE: envRate(0.15),
    PAYMENT_SUSPECTED_FRAUD_RATE: envRate(0.05),
    PAYMENT_LATENCY_MIN_MS: envInt(50, 0, 60_000),
    PAYMENT_LATENCY_MAX_MS: envInt(250, 0, 60_000),
    PAYMENT_MAX_AMOUNT: envPositiveNumber(10_000),
    PAYMENT_STORE_MAX_ENTRIES: envInt(10_000, 1, 10_000_000),
    RANDOM_SEED: envInt(-1, -1, 2 ** 32 - 1),
    FRAUD_SERVICE_URL: envUrl("http://localhost:8103"),
    JIRA_POLLER_URL: envUrl("http://localhost:8104"),
    PEER_TIMEOUT_MS: envInt(3000, 1, 120_000),
  }, env);
  if (raw.PAYMENT_LATENCY_MIN_MS > raw.PAYMENT_LATENCY_MAX_MS) {
    throw new ConfigError(
      ["PAYMENT_LATENCY_MIN_MS", "PAYMENT_LATENCY_MAX_MS"],
      ["PAYMENT_LATENCY_MIN_MS must not be greater than PAYMENT_LATENCY_MAX_MS"],
    );
  }
  return {
    base: baseConfigFrom("payment-service", raw),
    failRate: raw.PAYMENT_FAIL_RATE,
    suspectedFraudRate: raw.PAYMENT_SUSPECTED_FRAUD_RATE,
    latencyMinMs: raw.PAYMENT_LATENCY_MIN_MS,
    latencyMaxMs: raw.PAYMENT_LATENCY_MAX_MS,
    maxAmount: raw.PAYMENT_MAX_AMOUNT,
    storeMaxEntries: raw.PAYMENT_STORE_MAX_ENTRIES,
    seed: raw.RANDOM_SEED < 0 ? undefined : raw.RANDOM_SEED,
    fraudServiceUrl: raw.FRAUD_SERVICE_URL,
    jiraPollerUrl: raw.JIRA_POLLER_URL,
    peerTimeoutMs: raw.PEER_TIMEOUT_MS,
  };
}
