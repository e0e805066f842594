import assert from "node:assert/strict";
import { ConfigError } from "@demo/observability";
import { loadConfig } from "./config.ts";

Deno.test("loadConfig() uses the contract's defaults and the local jira-poller", () => {
  const config = loadConfig({});
  assert.equal(config.base.service, "fraud-service");
  assert.equal(config.confirmRate, 0.35);
  assert.equal(config.seed, undefined);
  assert.equal(config.jiraPollerUrl, "http://localhost:8104");
  assert.equal(config.peerTimeoutMs, 2000);
});

Deno.test("loadConfig() reads every fraud-service variable", () => {
  const config = loadConfig({
    FRAUD_CONFIRM_RATE: "1",
    RANDOM_SEED: "42",
    JIRA_POLLER_URL: "http://jira-poller:8000/",
    PEER_TIMEOUT_MS: "750",
  });
  assert.equal(config.confirmRate, 1);
  assert.equal(config.seed, 42);
  assert.equal(config.jiraPollerUrl, "http://jira-poller:8000");
  assert.equal(config.peerTimeoutMs, 750);
});

Deno.test("loadConfig() rejects every bad variable at once, naming each and echoing none", () => {
  assert.throws(
    () =>
      loadConfig({
        FRAUD_CONFIRM_RATE: "1.5",
        RANDOM_SEED: "seedy",
        JIRA_POLLER_URL: "ftp://secret-host",
        PEER_TIMEOUT_MS: "0",
      }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.keys.sort(), [
        "FRAUD_CONFIRM_RATE",
        "JIRA_POLLER_URL",
        "PEER_TIMEOUT_MS",
        "RANDOM_SEED",
      ]);
      assert.doesNotMatch(e.message, /secret-host|seedy|1\.5/);
      return true;
    },
  );
});
