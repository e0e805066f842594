import assert from "node:assert/strict";
import dgram from "node:dgram";
import { createAgentLog } from "./_log.ts";
import { startLocalAgent } from "./agent.ts";
import { normalizeTraceId } from "./logs.ts";

const quiet = createAgentLog({ level: "error", sink: () => {} });

/** Polls `probe` until it returns a value (or fails after `timeoutMs`). */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function getJson(url: string) {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return await response.json();
}

function sendUdp(port: number, payload: string): Promise<void> {
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve, reject) => {
    socket.send(payload, port, "127.0.0.1", (error) => {
      socket.close();
      if (error) reject(error);
      else resolve();
    });
  });
}

Deno.test("startLocalAgent() listens on free ports and takes DogStatsD packets over UDP", async () => {
  const agent = await startLocalAgent({ httpPort: 0, statsdPort: 0, log: quiet });
  try {
    assert.ok(agent.httpPort > 0);
    assert.ok(agent.statsdPort > 0);
    assert.equal(agent.url, `http://127.0.0.1:${agent.httpPort}`);
    const info = await getJson(`${agent.url}/info`);
    assert.equal(info.config.statsd_port, agent.statsdPort);
    assert.equal(info.config.receiver_port, agent.httpPort);

    await sendUdp(agent.statsdPort, "udp.probe:4|c|#bank:FNB\nudp.gauge:7|g");
    const series = await eventually("the UDP metric", async () => {
      const list = await getJson(`${agent.url}/local/metrics?name=udp.probe`);
      return list.length ? list : undefined;
    });
    assert.deepEqual(series[0].tags, ["bank:FNB"]);
    assert.equal(series[0].sum, 4);
  } finally {
    await agent.close();
  }
});

Deno.test("close() frees both ports so they can be bound again", async () => {
  const first = await startLocalAgent({ httpPort: 0, statsdPort: 0, log: quiet });
  const ports = { httpPort: first.httpPort, statsdPort: first.statsdPort };
  await first.close();
  await first.close();
  const second = await startLocalAgent({ ...ports, log: quiet });
  assert.equal(second.httpPort, ports.httpPort);
  await second.close();
});

Deno.test("startLocalAgent() fails naming the DogStatsD port when it is taken", async () => {
  const blocker = dgram.createSocket("udp4");
  const port = await new Promise<number>((resolve) =>
    blocker.bind(0, "127.0.0.1", () => resolve(blocker.address().port))
  );
  try {
    await assert.rejects(
      () => startLocalAgent({ httpPort: 0, statsdPort: port, log: quiet }),
      new RegExp(`Cannot listen for DogStatsD on 127\\.0\\.0\\.1:${port}/udp`),
    );
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

Deno.test({
  name: "dd-trace and hot-shots in another process deliver spans, metrics and LLM Observability",
  // The child needs the workspace's import map and node_modules: it runs from the repo root.
  async fn() {
    const agent = await startLocalAgent({ httpPort: 0, statsdPort: 0, log: quiet });
    const root = new URL("../../", import.meta.url);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-env",
        "--allow-net",
        "--allow-read",
        "--allow-sys",
        new URL("./testdata/emit_telemetry.ts", import.meta.url).pathname,
      ],
      cwd: root,
      env: { AGENT_URL: agent.url, STATSD_PORT: String(agent.statsdPort), NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let output: Deno.CommandOutput | undefined;
    let probeTraceId = "";
    try {
      const [trace] = await eventually("the probe span", async () => {
        const traces = await getJson(`${agent.url}/local/traces?service=probe-service`);
        const found = traces.filter((t: { spans: { name: string }[] }) =>
          t.spans.some((s) => s.name === "probe.operation")
        );
        return found.length ? found : undefined;
      });
      const span = trace.spans.find((s: { name: string }) => s.name === "probe.operation");
      assert.equal(span.resource, "GET /probe");
      assert.equal(span.meta["probe.tag"], "yes");
      assert.match(span.trace_id, /^\d+$/);
      probeTraceId = span.trace_id;

      const byName = async (name: string) =>
        await eventually(`metric ${name}`, async () => {
          const list = await getJson(`${agent.url}/local/metrics?name=${name}`);
          return list.length ? list[0] : undefined;
        });
      const count = await byName("probe.count");
      assert.equal(count.type, "count");
      assert.equal(count.sum, 3);
      assert.deepEqual(count.tags, ["bank:FNB", "service:probe-service"]);
      assert.equal((await byName("probe.latency_ms")).type, "distribution");
      // dd-trace's own client posts to /dogstatsd/v2/proxy rather than UDP.
      assert.ok((await byName("probe.via_tracer")).tags.includes("path:http"));

      const llm = await eventually("the LLM Observability span and evaluation", async () => {
        const data = await getJson(`${agent.url}/local/llmobs`);
        return data.spans.length && data.evaluations.length ? data : undefined;
      });
      assert.equal(llm.spans[0].event.name, "probe_workflow");
      assert.equal(llm.spans[0].span_kind, "workflow");
      assert.equal(llm.spans[0].ml_app, "probe-app");
      assert.equal(llm.evaluations[0].event.label, "probe_score");
      // Both point at the APM trace of the workflow span, which /local/traces holds.
      const workflowTrace = llm.spans[0].apm_trace_id;
      assert.equal(llm.evaluations[0].apm_trace_id, workflowTrace);
      const apm = await getJson(`${agent.url}/local/traces/${workflowTrace}`);
      assert.ok(apm.spans.some((s: { name: string }) => s.name === "probe_workflow"));

      const stats = await getJson(`${agent.url}/local/stats`);
      assert.equal(stats.rejected["400"] ?? 0, 0);
    } finally {
      child.kill("SIGTERM");
      output = await child.output();
      await agent.close();
    }
    const printed = new TextDecoder().decode(output.stdout);
    const sent = /sent ([0-9a-f]{32}|\d+)/.exec(printed);
    assert.ok(sent, `the child reported what it sent: ${printed}`);
    // The tracer's 128-bit id, read the way log correlation writes it, names the same trace.
    assert.equal(normalizeTraceId(sent[1]), probeTraceId);
  },
});
