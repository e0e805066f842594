import assert from "node:assert/strict";
import { ConfigError } from "@demo/observability";
import { loadConfig } from "./config.ts";

Deno.test("loadConfig() uses the contract's default failure rate", () => {
  const config = loadConfig({});
  assert.equal(config.failRate, 0.12);
  assert.equal(config.seed, undefined);
  assert.equal(config.base.service, "auth-service");
});

Deno.test("loadConfig() rejects a rate above 1 and a bad seed, naming both", () => {
  assert.throws(() => loadConfig({ AUTH_FAIL_RATE: "2", RANDOM_SEED: "abc" }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.keys.sort(), ["AUTH_FAIL_RATE", "RANDOM_SEED"]);
    return true;
  });
});
