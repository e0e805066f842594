import assert from "node:assert/strict";
import { trace } from "@opentelemetry/api";
import { createReadiness, createServiceApp } from "./app.ts";
import { createLogger } from "./logger.ts";
import { withSpan } from "./middleware.ts";
import { HttpError } from "./errors.ts";
import { captureSpans } from "./testing.ts";

// The tracer is global to this module and keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };
const capture = await captureSpans();
const lines: Record<string, unknown>[] = [];
const app = createServiceApp({
  log: createLogger({ service: "svc", sink: (l) => lines.push(JSON.parse(l)) }),
  readiness: createReadiness(true),
  budgetMs: 1000,
});
app.get("/things/:id", async (c) => {
  await withSpan("thing.load", { tags: { "thing.id": c.req.param("id") } }, () => {
    c.get("log").info("thing_loaded");
  });
  trace.getTracer("test").startActiveSpan("otel.manual", (span) => span.end());
  return c.json({ ok: true });
});
// Middleware on a prefix, as the gateway reads the session on /api/*: it is not a route.
app.use("/scoped/*", async (_c, next) => await next());
app.get("/scoped/thing", (c) => c.json({ ok: true }));
app.get("/boom", () => {
  throw new Error("secret internals");
});
app.get("/bad", () => {
  throw new HttpError(400, "invalid_request", "Bad thing", { field: "thing" });
});

Deno.test("observe() makes a server span with the route template as resource", opts, async () => {
  const res = await app.request("/things/42", {
    headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
  });
  assert.equal(res.status, 200);
  const server = await capture.waitFor((s) => s.resource === "GET /things/:id");
  assert.equal(server.name, "web.request");
  assert.equal(server.meta["span.kind"], "server");
  assert.equal(server.meta["http.method"], "GET");
  assert.equal(server.meta["http.route"], "/things/:id");
  assert.equal(server.meta["http.status_code"], "200");
  assert.equal(server.error, 0);
  // The W3C parent was continued: lower 64 bits of the trace id, parent span id.
  assert.equal(server.trace_id, BigInt("0x8448eb211c80319c").toString());
  assert.equal(server.parent_id, BigInt("0xb7ad6b7169203331").toString());

  const manual = await capture.waitFor((s) => s.name === "thing.load");
  assert.equal(manual.parent_id, server.span_id);
  assert.equal(manual.meta["thing.id"], "42");
  const otel = await capture.waitFor((s) =>
    s.name === "otel.manual" || s.resource === "otel.manual"
  );
  assert.equal(otel.trace_id, server.trace_id, "OpenTelemetry API spans join the dd-trace trace");

  const logged = lines.find((l) => l.message === "thing_loaded") as Record<
    string,
    Record<string, string>
  >;
  assert.equal(logged.dd.trace_id, "0af7651916cd43dd8448eb211c80319c");
  assert.equal(logged.dd.span_id, manual.span_id);
});

Deno.test("observe() marks the span as an error when a handler throws", opts, async () => {
  const res = await app.request("/boom");
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.error.code, "internal_error");
  assert.doesNotMatch(JSON.stringify(body), /secret internals/);
  const span = await capture.waitFor((s) => s.resource === "GET /boom");
  assert.equal(span.error, 1);
  assert.equal(span.meta["error.message"], "secret internals");
  assert.equal(span.meta["http.status_code"], "500");
});

Deno.test("observe() leaves a client error (4xx) unflagged", opts, async () => {
  const res = await app.request("/bad");
  assert.equal(res.status, 400);
  const span = await capture.waitFor((s) => s.resource === "GET /bad");
  assert.equal(span.error, 0);
  assert.equal(span.meta["http.status_code"], "400");
});

Deno.test(
  "observe() names a request no route answered by its method alone, not its path",
  opts,
  async () => {
    const res = await app.request("/..%5C..%5Cetc/passwd-probe-1");
    assert.equal(res.status, 404);
    const span = await capture.waitFor((s) => s.meta["http.url"]?.endsWith("passwd-probe-1"));
    assert.equal(span.resource, "GET");
    assert.equal(span.meta["http.route"], undefined);
    assert.equal(span.meta["http.status_code"], "404");
    assert.equal(span.error, 0);
  },
);

Deno.test(
  "observe() names a miss under prefix middleware by its method, and a 405 too",
  opts,
  async () => {
    const missing = await app.request("/scoped/nope-probe-2");
    assert.equal(missing.status, 404);
    const wrong = await app.request("/scoped/thing", { method: "DELETE" });
    assert.equal(wrong.status, 405);
    const found = await app.request("/scoped/thing");
    assert.equal(found.status, 200);
    const span = await capture.waitFor((s) => s.meta["http.url"]?.endsWith("nope-probe-2"));
    assert.equal(span.resource, "GET");
    const deleted = await capture.waitFor((s) => s.meta["http.method"] === "DELETE");
    assert.equal(deleted.resource, "DELETE");
    assert.equal(deleted.meta["http.status_code"], "405");
    const routed = await capture.waitFor((s) => s.resource === "GET /scoped/thing");
    assert.equal(routed.meta["http.route"], "/scoped/thing");
  },
);

Deno.test("observe() does not trace health probes", opts, async () => {
  assert.equal((await app.request("/healthz")).status, 200);
  await app.request("/things/after-probe");
  await capture.waitFor((s) => s.meta["http.url"]?.endsWith("/things/after-probe"));
  assert.equal(capture.spans.some((s) => s.resource.includes("/healthz")), false);
});

Deno.test(
  "observe() continues a Datadog-only parent and keeps the query out of http.url",
  opts,
  async () => {
    const res = await app.request("http://svc.test/things/dd-parent?secret=1", {
      headers: {
        "x-datadog-trace-id": "1234567890123456789",
        "x-datadog-parent-id": "987654321",
        "x-datadog-sampling-priority": "1",
      },
    });
    assert.equal(res.status, 200);
    const span = await capture.waitFor((s) => s.meta["http.url"]?.endsWith("/things/dd-parent"));
    assert.equal(span.meta["http.url"], "http://svc.test/things/dd-parent");
    assert.equal(span.trace_id, "1234567890123456789");
    assert.equal(span.parent_id, "987654321");
  },
);

Deno.test("observe() starts a new trace for a request without trace headers", opts, async () => {
  await app.request("/things/no-parent", { headers: { "user-agent": "probe/1" } });
  const span = await capture.waitFor((s) => s.meta["http.url"]?.endsWith("/things/no-parent"));
  assert.equal(span.parent_id, "0");
  assert.equal(span.meta["http.useragent"], "probe/1");
  assert.equal(span.metrics["_dd.top_level"], 1);
});

app.get("/slow", async (c) => {
  await new Promise((r) => setTimeout(r, 40));
  return c.json({ ok: true });
});

Deno.test(
  "the server span ends when its response is ready, even when finishing waits behind other work",
  opts,
  async () => {
    const res = await app.request("/slow");
    assert.equal(res.status, 200);
    // Keep the event loop busy before the deferred finish can run.
    const busyUntil = performance.now() + 120;
    while (performance.now() < busyUntil) { /* block */ }
    const span = await capture.waitFor((s) => s.resource === "GET /slow");
    const ms = span.duration / 1e6;
    assert.ok(ms >= 39 && ms < 100, `server span lasted ${ms} ms`);
  },
);

Deno.test(
  "flushTracer() finishes server spans still waiting for their deferred finish",
  opts,
  async () => {
    const { flushTracer } = await import("./tracer.ts");
    const res = await app.request("/things/flush");
    await res.body?.cancel();
    await flushTracer(); // in the same turn as the response: the deferred finish has not run
    await capture.waitFor((s) => s.meta["http.url"]?.endsWith("/things/flush") ?? false);
  },
);
