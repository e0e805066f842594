import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

Deno.test("loadConfig() uses the documented defaults", () => {
  assert.deepEqual(loadConfig({}), {
    httpPort: 8126,
    statsdPort: 8125,
    host: "0.0.0.0",
    logLevel: "info",
    sigintWaitMs: 12_000,
    limits: {
      maxTraces: 2000,
      maxLogs: 10_000,
      maxMetricSeries: 5000,
      maxRumEvents: 5000,
      maxLlmObs: 2000,
    },
  });
});

Deno.test("loadConfig() reads every variable", () => {
  const config = loadConfig({
    LOCAL_AGENT_HTTP_PORT: "0",
    LOCAL_AGENT_STATSD_PORT: "9125",
    HOST: "127.0.0.1",
    LOG_LEVEL: "WARNING",
    LOCAL_AGENT_MAX_TRACES: "10",
    LOCAL_AGENT_MAX_LOGS: "20",
    LOCAL_AGENT_MAX_METRIC_SERIES: "30",
    LOCAL_AGENT_MAX_RUM_EVENTS: "40",
    LOCAL_AGENT_MAX_LLMOBS: "50",
    LOCAL_AGENT_SIGINT_WAIT_MS: "250",
  });
  assert.equal(config.httpPort, 0);
  assert.equal(config.sigintWaitMs, 250);
  assert.equal(config.statsdPort, 9125);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.logLevel, "warn");
  assert.deepEqual(config.limits, {
    maxTraces: 10,
    maxLogs: 20,
    maxMetricSeries: 30,
    maxRumEvents: 40,
    maxLlmObs: 50,
  });
});

Deno.test("loadConfig() names every bad key and never echoes a value", () => {
  try {
    loadConfig({
      LOCAL_AGENT_HTTP_PORT: "70000",
      LOCAL_AGENT_MAX_TRACES: "0",
      LOCAL_AGENT_MAX_LOGS: "lots-of-secret-logs",
      LOG_LEVEL: "chatty",
    });
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.keys.sort(), [
      "LOCAL_AGENT_HTTP_PORT",
      "LOCAL_AGENT_MAX_LOGS",
      "LOCAL_AGENT_MAX_TRACES",
      "LOG_LEVEL",
    ]);
    assert.doesNotMatch(error.message, /lots-of-secret-logs|chatty|70000/);
  }
});
