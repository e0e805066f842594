import assert from "node:assert/strict";
import { applyFastPaths } from "./_dd_deno.ts";
import { DEFAULT_FLUSH_INTERVAL_MS, initTracer } from "./tracer.ts";

// initTracer() is once per process and the tracer keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("initTracer() sets the kit's defaults where the DD_* variables are unset", opts, () => {
  // Port 9 (discard): nothing is sent before the test ends.
  const tracer = initTracer({ DD_SERVICE: "init-test", DD_ENV: "test" }, {
    url: "http://127.0.0.1:9",
  });
  const internal = tracer as unknown as {
    _tracer: {
      _config: Record<string, unknown>;
      _exporter: { _config: { flushInterval: number } };
    };
  };
  assert.equal(internal._tracer._exporter._config.flushInterval, DEFAULT_FLUSH_INTERVAL_MS);
  assert.equal(internal._tracer._config.legacyBaggageEnabled, false);
  assert.deepEqual(applyFastPaths(), { storage: true, activate: true, ids: true });
});
