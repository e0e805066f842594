import assert from "node:assert/strict";
import { ConfigError } from "@demo/observability";
import { loadConfig } from "./config.ts";

Deno.test("loadConfig() uses the contract's defaults", () => {
  const config = loadConfig({});
  assert.equal(config.base.service, "llm-service");
  assert.equal(config.failRate, 0.08);
  assert.deepEqual(config.latency, { minMs: 40, maxMs: 160 });
  assert.equal(config.seed, undefined);
});

Deno.test("loadConfig() reads every llm-service variable and allows min equal to max", () => {
  const config = loadConfig({
    LLM_FAIL_RATE: "0",
    LLM_LATENCY_MIN_MS: "25",
    LLM_LATENCY_MAX_MS: "25",
    RANDOM_SEED: "9",
  });
  assert.equal(config.failRate, 0);
  assert.deepEqual(config.latency, { minMs: 25, maxMs: 25 });
  assert.equal(config.seed, 9);
});

Deno.test("loadConfig() rejects every bad variable at once, naming each and echoing none", () => {
  assert.throws(
    () =>
      loadConfig({
        LLM_FAIL_RATE: "-0.5",
        LLM_LATENCY_MIN_MS: "fast",
        LLM_LATENCY_MAX_MS: "99999999",
        RANDOM_SEED: "1.5",
      }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.keys.sort(), [
        "LLM_FAIL_RATE",
        "LLM_LATENCY_MAX_MS",
        "LLM_LATENCY_MIN_MS",
        "RANDOM_SEED",
      ]);
      assert.doesNotMatch(e.message, /fast|99999999|-0\.5/);
      return true;
    },
  );
});

Deno.test("loadConfig() rejects a minimum latency above the maximum, naming both", () => {
  assert.throws(
    () => loadConfig({ LLM_LATENCY_MIN_MS: "200", LLM_LATENCY_MAX_MS: "100" }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.keys, ["LLM_LATENCY_MIN_MS", "LLM_LATENCY_MAX_MS"]);
      assert.match(e.message, /LLM_LATENCY_MIN_MS must not be greater than LLM_LATENCY_MAX_MS/);
      return true;
    },
  );
});
