import assert from "node:assert/strict";
import { baseConfigFrom, baseEnvSchema, ConfigError, envRate, envUrl, parseEnv } from "./config.ts";

Deno.test("parseEnv() applies the contract's defaults", () => {
  const config = baseConfigFrom("svc", parseEnv(baseEnvSchema, {}));
  assert.equal(config.service, "svc");
  assert.equal(config.env, "dev");
  assert.equal(config.version, "0.1.0");
  assert.equal(config.traceAgentPort, 8126);
  assert.equal(config.dogstatsdPort, 8125);
  assert.equal(config.port, 8000);
  assert.equal(config.logLevel, "info");
});

Deno.test("parseEnv() names every bad variable and never echoes a value", () => {
  const shape = { ...baseEnvSchema, SOME_RATE: envRate(0.1), PEER_URL: envUrl() };
  assert.throws(
    () =>
      parseEnv(shape, {
        PORT: "not-a-port-s3cr3t",
        SOME_RATE: "1.5",
        DD_TRACE_ENABLED: "maybe",
        LOG_LEVEL: "loud",
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.keys.sort(), [
        "DD_TRACE_ENABLED",
        "LOG_LEVEL",
        "PEER_URL",
        "PORT",
        "SOME_RATE",
      ]);
      assert.doesNotMatch(error.message, /s3cr3t|maybe|loud|1\.5/);
      assert.match(error.message, /^Cannot start: invalid configuration: /);
      return true;
    },
  );
});

Deno.test("envUrl() accepts http(s) URLs, trims trailing slashes and refuses others", () => {
  assert.equal(parseEnv({ U: envUrl() }, { U: "http://a:1/x/" }).U, "http://a:1/x");
  assert.throws(() => parseEnv({ U: envUrl() }, { U: "ftp://a" }), ConfigError);
  assert.throws(() => parseEnv({ U: envUrl() }, { U: "not a url" }), ConfigError);
});

Deno.test("LOG_LEVEL accepts 'warning' as warn, case-insensitively", () => {
  assert.equal(parseEnv(baseEnvSchema, { LOG_LEVEL: "WARNING" }).LOG_LEVEL, "warn");
});
