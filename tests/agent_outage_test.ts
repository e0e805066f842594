/**
 * Losing the Agent must not hurt users: with the local Agent stand-in killed in the middle of
 * a load run, no user request fails and the services' memory stays flat (traces, metrics and
 * forwarded logs are dropped, not queued without bound). Run twice: with `deno task dev`'s log
 * pipe forwarding the lines, and with each service sending its own (`LOCAL_AGENT_LOGS`), as
 * in the Compose and kind local modes.
 */
import assert from "node:assert/strict";
import { runLoad } from "../tasks/lib/load.ts";
import { startStack } from "../tasks/lib/stack.ts";
import { SERVICES } from "../tasks/lib/topology.ts";
import { rssMiB } from "../tasks/bench.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killTheAgentDuringLoad(logs: "pipe" | "services"): Promise<void> {
  const stack = await startStack({
    ports: "auto",
    forwardLogs: logs === "pipe",
    env: {
      ...(logs === "services" ? { LOCAL_AGENT_LOGS: "true" } : {}),
      RANDOM_SEED: "3",
      PAYMENT_LATENCY_MIN_MS: "1",
      PAYMENT_LATENCY_MAX_MS: "5",
      LLM_LATENCY_MIN_MS: "1",
      LLM_LATENCY_MAX_MS: "5",
      LLM_FAIL_RATE: "0",
      // A small store fills during the warm-up, so stored payments do not count as growth.
      PAYMENT_STORE_MAX_ENTRIES: "200",
    },
  });
  try {
    const services = SERVICES.map((name) => ({ name, pid: stack.pids[name]! }));
    const rss = () => Object.fromEntries(services.map((s) => [s.name, rssMiB(s.pid)]));
    const load = runLoad({ target: stack.webUrl, concurrency: 8, durationMs: 27_000 });
    await sleep(6_000); // warm-up: heaps and caches reach their working size
    const upStart = rss();
    await sleep(8_000);
    const upEnd = rss();
    Deno.kill(stack.pids["local-agent"]!, "SIGKILL");
    await sleep(4_000); // the tracer and the metrics client notice the Agent is gone
    const downStart = rss();
    await sleep(8_000);
    const downEnd = rss();
    const report = await load;

    const growth = services.map((s) =>
      `${s.name} +${(upEnd[s.name] - upStart[s.name]).toFixed(1)} MiB with the Agent, ` +
      `+${(downEnd[s.name] - downStart[s.name]).toFixed(1)} MiB without (${
        downEnd[s.name].toFixed(1)
      } MiB)`
    );
    console.log(`requests ${report.requests}, failed ${report.failed}\n  ${growth.join("\n  ")}`);
    assert.ok(report.requests > 500, `enough traffic to tell (${report.requests})`);
    assert.equal(report.failed, 0, `no failed user request: ${report.failureSamples.join("; ")}`);
    for (const s of services) {
      const up = upEnd[s.name] - upStart[s.name];
      const down = downEnd[s.name] - downStart[s.name];
      // Unsent telemetry queued in memory would show as growth beyond the same load's
      // growth while the Agent was there: a busy process encodes 10-30 MiB of spans per 2 s
      // flush, so a queue would add far more than the up to ~12 MiB V8's heap sizing moves
      // a process by between two samples.
      assert.ok(
        down <= Math.max(up, 0) + 16,
        `${s.name} memory stays flat while the Agent is down:\n  ${growth.join("\n  ")}`,
      );
    }
    if (logs === "pipe") {
      assert.ok(
        stack.droppedLogLines() > 0,
        "log lines for the missing Agent were dropped, not queued",
      );
    }
  } finally {
    await stack.stop();
  }
}

Deno.test({
  name: "killing the local Agent during load fails no user request and leaves service memory flat",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => killTheAgentDuringLoad("pipe"),
});

Deno.test({
  name: "the same with each service sending its own log lines (LOCAL_AGENT_LOGS, local modes)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => killTheAgentDuringLoad("services"),
});
