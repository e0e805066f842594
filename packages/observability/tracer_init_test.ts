import assert from "node:assert/strict";
import { applyFastPaths } from "./_dd_deno.ts";
import { initTracer } from "./tracer.ts";

// initTracer() is once per process and the tracer keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("initTracer() leaves legacy baggage off and puts the fast paths in place", opts, () => {
  // Port 9 (discard): nothing is sent before the test ends.
  const tracer = initTracer({ DD_SERVICE: "init-test", DD_ENV: "test" }, {
    url: "http://127.0.0.1:9",
  });
  const internal = tracer as unknown as { _tracer: { _config: Record<string, unknown> } };
  assert.equal(internal._tracer._config.legacyBaggageEnabled, false);
  assert.deepEqual(applyFastPaths(), { storage: true, activate: true, ids: true });
});
