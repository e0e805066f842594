import assert from "node:assert/strict";
import { createReadiness } from "./app.ts";
import { createLogger } from "./logger.ts";
import { createMemoryMetrics } from "./metrics.ts";
import { serveService } from "./serve.ts";

Deno.test("serveService() finishes in-flight requests on shutdown, then stops accepting", async () => {
  const readiness = createReadiness();
  const lines: string[] = [];
  let hookRan = false;
  const running = serveService(async () => {
    await new Promise((r) => setTimeout(r, 200));
    return new Response("done");
  }, {
    port: 0,
    hostname: "127.0.0.1",
    log: createLogger({ service: "svc", sink: (l) => lines.push(l) }),
    metrics: createMemoryMetrics(),
    readiness,
    shutdownTimeoutMs: 2000,
    handleSignals: false,
    onShutdown: () => void (hookRan = true),
  });
  assert.equal(readiness.ready, true);
  const inFlight = fetch(`http://127.0.0.1:${running.port}/`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 50));
  const stopped = running.shutdown();
  assert.equal(readiness.ready, false, "readiness turns off as soon as shutdown starts");
  assert.equal(await inFlight, "done");
  await stopped;
  await running.finished;
  assert.equal(hookRan, true);
  await assert.rejects(fetch(`http://127.0.0.1:${running.port}/`));
  assert.ok(lines.some((l) => l.includes('"service_stopped"') && l.includes('"drained":true')));
});

Deno.test("serveService() gives up waiting after the shutdown timeout", async () => {
  let release: () => void = () => {};
  const running = serveService(
    () => new Promise<Response>((resolve) => (release = () => resolve(new Response("late")))),
    {
      port: 0,
      hostname: "127.0.0.1",
      log: createLogger({ service: "svc", sink: () => {} }),
      metrics: createMemoryMetrics(),
      readiness: createReadiness(),
      shutdownTimeoutMs: 100,
      handleSignals: false,
    },
  );
  const slow = fetch(`http://127.0.0.1:${running.port}/`).then((r) => r.text()).catch(() => "");
  await new Promise((r) => setTimeout(r, 30));
  const started = Date.now();
  await running.shutdown();
  assert.ok(Date.now() - started < 2500, "shutdown is bounded");
  release();
  await slow;
  await running.finished;
});
