import assert from "node:assert/strict";
import { measureTracerCost } from "./bench_tracer.ts";

Deno.test("bench:tracer measures real payments, traced and not, and the Agent gets every trace", async () => {
  const result = await measureTracerCost({ pays: 300, rounds: 1, warmUp: 100 });
  for (const run of [...result.off.runs, ...result.on.runs]) {
    assert.equal(run.failed, 0, "every in-memory payment answered 200");
    assert.equal(run.pays, 300);
    assert.ok(run.cpuUsPerPay > 0);
  }
  assert.deepEqual(result.off.runs.map((r) => r.tracing), [false]);
  assert.deepEqual(result.on.runs.map((r) => r.tracing), [true]);
  // Each payment is two trace chunks (the gateway's spans, and payment-service's continuing
  // the trace from the headers), warm-up included: all of them reached the stub Agent.
  assert.equal(result.on.tracesReceived, (300 + 100) * 2);
  assert.equal(result.off.tracesReceived, 0);
  assert.equal(result.addedUsPerPay, result.on.medianCpuUsPerPay - result.off.medianCpuUsPerPay);
});
