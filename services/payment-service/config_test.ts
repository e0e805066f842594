import assert from "node:assert/strict";
import { ConfigError } from "@demo/observability";
import { loadConfig } from "./config.ts";

function rejects(env: Record<string, string>, key: string) {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(error.keys.includes(key), `keys ${error.keys.join(", ")} do not name ${key}`);
      // Short numbers ("0") occur in the rule itself; longer values must never be echoed.
      for (const value of Object.values(env).filter((v) => v.length >= 3)) {
        assert.ok(!error.message.includes(value), `the message echoes the value ${value}`);
      }
      return true;
    },
  );
}

Deno.test("loadConfig() applies the contract's defaults", () => {
  const config = loadConfig({});
  assert.equal(config.base.service, "payment-service");
  assert.equal(config.base.port, 8000);
  assert.equal(config.failRate, 0.15);
  assert.equal(config.suspectedFraudRate, 0.05);
  assert.equal(config.latencyMinMs, 50);
  assert.equal(config.latencyMaxMs, 250);
  assert.equal(config.maxAmount, 10_000);
  assert.equal(config.storeMaxEntries, 10_000);
  assert.equal(config.seed, undefined);
  assert.equal(config.fraudServiceUrl, "http://localhost:8103");
  assert.equal(config.jiraPollerUrl, "http://localhost:8104");
  assert.equal(config.peerTimeoutMs, 3000);
});

Deno.test("loadConfig() reads every payment variable", () => {
  const config = loadConfig({
    PAYMENT_FAIL_RATE: "0.5",
    PAYMENT_SUSPECTED_FRAUD_RATE: "1",
    PAYMENT_LATENCY_MIN_MS: "0",
    PAYMENT_LATENCY_MAX_MS: "0",
    PAYMENT_MAX_AMOUNT: "99.99",
    PAYMENT_STORE_MAX_ENTRIES: "5",
    RANDOM_SEED: "7",
    FRAUD_SERVICE_URL: "http://fraud-service:8000/",
    JIRA_POLLER_URL: "https://jira-poller.example",
    PEER_TIMEOUT_MS: "750",
    PORT: "8102",
  });
  assert.equal(config.failRate, 0.5);
  assert.equal(config.suspectedFraudRate, 1);
  assert.equal(config.latencyMinMs, 0);
  assert.equal(config.latencyMaxMs, 0);
  assert.equal(config.maxAmount, 99.99);
  assert.equal(config.storeMaxEntries, 5);
  assert.equal(config.seed, 7);
  assert.equal(config.fraudServiceUrl, "http://fraud-service:8000");
  assert.equal(config.jiraPollerUrl, "https://jira-poller.example");
  assert.equal(config.peerTimeoutMs, 750);
  assert.equal(config.base.port, 8102);
});

const BAD: [string, string][] = [
  ["PAYMENT_FAIL_RATE", "1.5"],
  ["PAYMENT_FAIL_RATE", "often"],
  ["PAYMENT_SUSPECTED_FRAUD_RATE", "-0.1"],
  ["PAYMENT_LATENCY_MIN_MS", "-1"],
  ["PAYMENT_LATENCY_MIN_MS", "1.5"],
  ["PAYMENT_LATENCY_MAX_MS", "slow"],
  ["PAYMENT_MAX_AMOUNT", "0"],
  ["PAYMENT_MAX_AMOUNT", "-10"],
  ["PAYMENT_MAX_AMOUNT", "lots"],
  ["PAYMENT_STORE_MAX_ENTRIES", "0"],
  ["PAYMENT_STORE_MAX_ENTRIES", "many"],
  ["RANDOM_SEED", "seed"],
  ["RANDOM_SEED", "-2"],
  ["FRAUD_SERVICE_URL", "fraud-service:8000"],
  ["FRAUD_SERVICE_URL", "ftp://fraud-service"],
  ["JIRA_POLLER_URL", "not a url"],
  ["PEER_TIMEOUT_MS", "0"],
  ["PEER_TIMEOUT_MS", "3s"],
  ["PORT", "70000"],
];

for (const [key, value] of BAD) {
  Deno.test(`loadConfig() rejects ${key}=${value} naming ${key}`, () => {
    rejects({ [key]: value }, key);
  });
}

Deno.test("loadConfig() rejects a minimum latency above the maximum, naming both", () => {
  rejects(
    { PAYMENT_LATENCY_MIN_MS: "300", PAYMENT_LATENCY_MAX_MS: "200" },
    "PAYMENT_LATENCY_MIN_MS",
  );
  rejects(
    { PAYMENT_LATENCY_MIN_MS: "300", PAYMENT_LATENCY_MAX_MS: "200" },
    "PAYMENT_LATENCY_MAX_MS",
  );
  rejects({ PAYMENT_LATENCY_MIN_MS: "300" }, "PAYMENT_LATENCY_MIN_MS");
});

Deno.test("loadConfig() names every bad variable at once", () => {
  assert.throws(
    () => loadConfig({ PAYMENT_FAIL_RATE: "2", PEER_TIMEOUT_MS: "x" }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual([...error.keys].sort(), ["PAYMENT_FAIL_RATE", "PEER_TIMEOUT_MS"]);
      return true;
    },
  );
});
