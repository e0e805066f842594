/**
 * Losing the Agent must not hurt users: with the local Agent stand-in killed in the middle of
 * a load run, no user request fails and the services' memory stays flat (traces, metrics and
 * forwarded logs are dropped, not queued without bound).
 */
import assert from "node:assert/strict";
import { runLoad } from "../tasks/lib/load.ts";
import { startStack } from "../tasks/lib/stack.ts";
import { SERVICES } from "../tasks/lib/topology.ts";
import { rssMiB } from "../tasks/bench.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "killing the local Agent during load fails no user request and leaves service memory flat",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stack = await startStack({
      ports: "auto",
      env: {
        RANDOM_SEED: "3",
        PAYMENT_LATENCY_MIN_MS: "1",
        PAYMENT_LATENCY_MAX_MS: "5",
        LLM_LATENCY_MIN_MS: "1",
        LLM_LATENCY_MAX_MS: "5",
        LLM_FAIL_RATE: "0",
      },
    });
    try {
      const services = SERVICES.map((name) => ({ name, pid: stack.pids[name]! }));
      const load = runLoad({ target: stack.webUrl, concurrency: 8, durationMs: 24_000 });
      await sleep(4_000);
      Deno.kill(stack.pids["local-agent"]!, "SIGKILL");
      await sleep(6_000); // the tracer and the metrics client notice the Agent is gone
      const early = Object.fromEntries(services.map((s) => [s.name, rssMiB(s.pid)]));
      await sleep(12_000);
      const late = Object.fromEntries(services.map((s) => [s.name, rssMiB(s.pid)]));
      const report = await load;

      const growth = services.map((s) =>
        `${s.name} ${early[s.name].toFixed(1)}→${late[s.name].toFixed(1)} MiB`
      );
      console.log(
        `requests ${report.requests}, failed ${report.failed}; RSS during the outage: ${
          growth.join(", ")
        }`,
      );
      assert.ok(report.requests > 500, `enough traffic to tell (${report.requests})`);
      assert.equal(report.failed, 0, `no failed user request: ${report.failureSamples.join("; ")}`);
      for (const s of services) {
        assert.ok(
          late[s.name] - early[s.name] < Math.max(15, early[s.name] * 0.15),
          `${s.name} memory stays flat while the Agent is down (${growth.join(", ")})`,
        );
      }
      assert.ok(
        stack.droppedLogLines() > 0,
        "log lines for the missing Agent were dropped, not queued",
      );
    } finally {
      await stack.stop();
    }
  },
});
