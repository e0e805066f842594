import assert from "node:assert/strict";

// A process that flushes and exits at once (as a service does after SIGTERM) must have
// waited for the Agent's answer: otherwise the exit cuts the send of its last spans short.
Deno.test("flushTracer() resolves only after the Agent has answered the spans' send", async () => {
  let traces = 0;
  let answeredAt = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer();
    if (!new URL(req.url).pathname.endsWith("/traces")) return new Response("{}");
    traces += Number(req.headers.get("x-datadog-trace-count") ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    answeredAt = Date.now();
    return Response.json({ rate_by_service: {} });
  });
  try {
    const tracerUrl = new URL("./tracer.ts", import.meta.url).href;
    const script = `
      const { initTracer, flushTracer, tracer } = await import(${JSON.stringify(tracerUrl)});
      initTracer({ DD_SERVICE: "flush-test", DD_ENV: "test", DD_CRASHTRACKING_ENABLED: "false" },
        { url: "http://127.0.0.1:${server.addr.port}", flushInterval: 60000 });
      tracer.startSpan("flush.test").finish();
      const started = Date.now();
      await flushTracer(5000);
      console.log(JSON.stringify({ started, resolvedAt: Date.now() }));
      Deno.exit(0);
    `;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      env: {
        DD_REMOTE_CONFIGURATION_ENABLED: "false",
        DD_INSTRUMENTATION_TELEMETRY_ENABLED: "false",
        DD_CRASHTRACKING_ENABLED: "false",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    const { resolvedAt } = JSON.parse(lines.at(-1)!);
    assert.equal(traces, 1, "the Agent received the span's trace");
    assert.ok(
      answeredAt > 0 && resolvedAt >= answeredAt,
      "flushTracer() resolved before the answer",
    );
  } finally {
    await server.shutdown();
  }
});
