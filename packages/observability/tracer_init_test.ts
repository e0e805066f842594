import assert from "node:assert/strict";
import { applyFastPaths } from "./_dd_deno.ts";
import { initTracer } from "./tracer.ts";

// initTracer() is once per process and the tracer keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "initTracer() leaves legacy baggage off, sends v0.5 every 500 ms and puts the fast paths in place",
  opts,
  () => {
    // Port 9 (discard): nothing is sent before the test ends.
    const tracer = initTracer({ DD_SERVICE: "init-test", DD_ENV: "test" }, {
      url: "http://127.0.0.1:9",
    });
    const internal = tracer as unknown as { _tracer: { _config: Record<string, unknown> } };
    assert.equal(internal._tracer._config.legacyBaggageEnabled, false);
    // Spans go out every 500 ms (DD_TRACE_FLUSH_INTERVAL unset), not dd-trace's 2 s.
    assert.equal(internal._tracer._config.flushInterval, 500);
    // The Agent's v0.5 format (DD_TRACE_AGENT_PROTOCOL_VERSION unset), not dd-trace's v0.4.
    assert.equal(internal._tracer._config.protocolVersion, "0.5");
    assert.deepEqual(applyFastPaths(), { storage: true, activate: true, ids: true });
  },
);
