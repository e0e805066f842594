import assert from "node:assert/strict";
import { freePort, fromV05, spawnService } from "@demo/observability/testing";
import { decode } from "@msgpack/msgpack";

const main = new URL("./main.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

const spawn = (env: Record<string, string>) => spawnService(main, env);

async function waitReady(port: number) {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => {
      r.body?.cancel();
      return r.ok;
    }).catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("llm-service did not become ready within 10 s");
}

Deno.test("llm-service exits 1 when the minimum latency is above the maximum, naming both", async () => {
  const out = await spawn({ LLM_LATENCY_MIN_MS: "300", LLM_LATENCY_MAX_MS: "100" })
    .output();
  assert.equal(out.code, 1);
  const text = decoder.decode(out.stdout);
  assert.match(text, /"config_invalid"/);
  assert.match(text, /LLM_LATENCY_MIN_MS/);
  assert.match(text, /LLM_LATENCY_MAX_MS/);
});

/** An LLM Observability span event as dd-trace sends it through the Agent. */
interface LlmObsEvent {
  trace_id: string;
  span_id: string;
  parent_id: string;
  name: string;
  tags: string[];
  status: "ok" | "error";
  meta: {
    "span.kind": string;
    model_name?: string;
    model_provider?: string;
    input?: { messages?: { role: string; content: string }[]; value?: string };
    output?: { messages?: { role: string; content: string }[]; value?: string };
    "error.type"?: string;
    "error.message"?: string;
  };
  metrics: Record<string, number>;
  _dd: { span_id: string; trace_id: string; apm_trace_id: string };
}

/** A stand-in Agent that keeps what the tracer sends: APM spans and LLM Observability events. */
function startAgent() {
  const llmobs: { headers: Headers; events: LlmObsEvent[] }[] = [];
  const apm: Record<string, unknown>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = new Uint8Array(await req.arrayBuffer());
    if (path === "/evp_proxy/v2/api/v2/llmobs") {
      const payload = JSON.parse(decoder.decode(body)) as { spans: LlmObsEvent[] }[];
      llmobs.push({ headers: req.headers, events: payload.flatMap((p) => p.spans) });
      return Response.json({}, { status: 202 });
    }
    if (path === "/v0.4/traces" || path === "/v0.5/traces") {
      const payload = decode(body, { useBigInt64: true });
      const traces = path === "/v0.5/traces"
        ? fromV05(payload as Parameters<typeof fromV05>[0])
        : payload as Record<string, unknown>[][];
      for (const trace of traces) apm.push(...trace);
      return Response.json({ rate_by_service: {} });
    }
    return Response.json({}, { status: 404 });
  });
  const events = () => llmobs.flatMap((p) => p.events);
  return { server, llmobs, apm, events, port: (server.addr as Deno.NetAddr).port };
}

Deno.test({
  name:
    "llm-service sends llm_request and generate_text to LLM Observability, linked to the APM trace",
  // The child's spans arrive on the tracer's own schedule; everything is awaited below.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const agent = startAgent();
    const port = freePort();
    const child = spawn({
      PORT: String(port),
      DD_TRACE_ENABLED: "true",
      DD_TRACE_AGENT_URL: `http://127.0.0.1:${agent.port}`,
      DD_DOGSTATSD_PORT: String(agent.port),
      DD_LLMOBS_ENABLED: "true",
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: "false",
      DD_REMOTE_CONFIGURATION_ENABLED: "false",
      LLM_FAIL_RATE: "0",
      LLM_LATENCY_MIN_MS: "30",
      LLM_LATENCY_MAX_MS: "30",
    });
    try {
      await waitReady(port);
      const call = (budget?: string) =>
        fetch(`http://127.0.0.1:${port}/llm/generate`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(budget ? { "x-request-budget-ms": budget } : {}),
          },
          body: JSON.stringify({ prompt: "hello llmobs" }),
        });
      const ok = await call();
      assert.equal(ok.status, 200);
      assert.equal((await ok.json()).output, "Response: sbomll olleh");
      // A budget shorter than the model's latency: the generation fails with an error.
      const late = await call("5");
      assert.equal(late.status, 504);
      await late.body?.cancel();

      for (let i = 0; i < 100 && agent.events().length < 4; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const events = agent.events();
      assert.equal(events.length, 4, "two workflow and two llm spans within 10 s");
      assert.equal(agent.llmobs[0].headers.get("x-datadog-evp-subdomain"), "llmobs-intake");
      assert.match(agent.llmobs[0].headers.get("content-type") ?? "", /application\/json/);

      const llm = events.find((e) => e.name === "generate_text" && e.status === "ok")!;
      const workflow = events.find((e) => e.span_id === llm.parent_id)!;
      assert.equal(workflow.name, "llm_request");
      assert.equal(workflow.meta["span.kind"], "workflow");
      assert.equal(workflow.parent_id, "undefined", "the workflow is the LLM trace's root");
      assert.equal(workflow.meta.input?.value, "hello llmobs");
      assert.equal(workflow.meta.output?.value, "Response: sbomll olleh");
      assert.equal(llm.meta["span.kind"], "llm");
      assert.equal(llm.meta.model_name, "payments-sim-1");
      assert.equal(llm.meta.model_provider, "simulated");
      assert.deepEqual(llm.meta.input?.messages, [{ role: "user", content: "hello llmobs" }]);
      assert.deepEqual(llm.meta.output?.messages, [
        { role: "assistant", content: "Response: sbomll olleh" },
      ]);
      assert.deepEqual(llm.metrics, { input_tokens: 3, output_tokens: 6, total_tokens: 9 });
      assert.ok(llm.tags.includes("ml_app:payments-assistant"));
      assert.ok(llm.tags.includes("service:llm-service"));
      assert.equal(llm.trace_id, workflow.trace_id);

      const failed = events.find((e) => e.name === "generate_text" && e.status === "error")!;
      assert.equal(failed.meta["error.type"], "GenerationError");
      assert.ok(failed.tags.includes("error:1"));
      const failedWorkflow = events.find((e) => e.span_id === failed.parent_id)!;
      assert.equal(failedWorkflow.status, "error");
    } finally {
      child.kill("SIGTERM");
    }
    const out = await child.output();
    assert.equal(out.code, 0);
    await agent.server.shutdown();

    // Each LLM Observability span is also an APM span with the same span id, and names
    // the APM trace it belongs to in _dd.apm_trace_id (128-bit hex).
    const events = agent.events();
    const llm = events.find((e) => e.name === "generate_text" && e.status === "ok")!;
    const workflow = events.find((e) => e.span_id === llm.parent_id)!;
    const apmWorkflow = agent.apm.find((s) => String(s.span_id) === workflow.span_id);
    assert.ok(apmWorkflow, "the workflow span is in APM");
    assert.equal(apmWorkflow.name, "llm_request");
    const apmEndpoint = agent.apm.find((s) => String(s.span_id) === String(apmWorkflow.parent_id));
    assert.equal(apmEndpoint?.name, "llm.endpoint");
    const low = BigInt(apmWorkflow.trace_id as bigint).toString(16).padStart(16, "0");
    assert.equal(workflow._dd.apm_trace_id.slice(16), low);
    assert.equal(llm._dd.apm_trace_id, workflow._dd.apm_trace_id);
    assert.equal(llm._dd.span_id, llm.span_id);
  },
});
