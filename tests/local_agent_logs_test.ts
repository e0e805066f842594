/**
 * `LOCAL_AGENT_LOGS=true`, as compose:up and kind:up set it in local mode: with no log pipe
 * in between, every service's log lines still reach the local Agent stand-in, correlated
 * with the trace of their request.
 */
import assert from "node:assert/strict";
import { SERVICES } from "../tasks/lib/topology.ts";
import { startStack } from "../tasks/lib/stack.ts";

type Line = Record<string, unknown> & { dd?: Record<string, string> };

Deno.test({
  name: "with LOCAL_AGENT_LOGS and no log pipe, each service sends its own lines to the stand-in",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const stack = await startStack({
    ports: "auto",
    forwardLogs: false,
    env: { LOCAL_AGENT_LOGS: "true", RANDOM_SEED: "7" },
  });
  try {
    const login = await fetch(`${stack.webUrl}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "log-shipper", password: "a password" }),
    });
    await login.body?.cancel();
    let lines: Line[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${stack.agentUrl}/local/logs?limit=10000`);
      lines = await res.json() as Line[];
      const started = new Set(
        lines.filter((l) => l.message === "service_started").map((l) => l.service),
      );
      const requests = lines.filter((l) => l.service === "web-frontend" && l.dd?.trace_id);
      if (SERVICES.every((s) => started.has(s)) && requests.length > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const service of SERVICES) {
      assert.ok(
        lines.some((l) => l.service === service && l.message === "service_started"),
        `${service} sent its own start line`,
      );
    }
    const traced = lines.filter((l) => l.service === "web-frontend" && l.dd?.trace_id);
    assert.ok(traced.length > 0, "request lines carry their trace id");
  } finally {
    await stack.stop();
  }
});
