import assert from "node:assert/strict";
import { createServiceClient, tracedFetch, UpstreamError } from "./client.ts";
import { withSpan } from "./middleware.ts";
import { captureSpans } from "./testing.ts";
import { tracer } from "./tracer.ts";

// The tracer is global to this module and keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };
const capture = await captureSpans();

/** A peer on a free port that records the headers it was sent and answers `?status=`. */
const seen: Headers[] = [];
const peer = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
  seen.push(req.headers);
  const status = Number(new URL(req.url).searchParams.get("status") ?? 200);
  return Response.json({ ok: status < 400 }, { status });
});
peer.unref();
const peerUrl = `http://127.0.0.1:${(peer.addr as Deno.NetAddr).port}`;
const client = createServiceClient({ name: "peer", baseUrl: peerUrl, timeoutMs: 2000 });

function clientSpansOf(path: string) {
  return capture.spans.filter((s) =>
    s.name === "http.request" && s.meta["http.url"] === `${peerUrl}${path}`
  );
}

Deno.test(
  "call() makes one client span, child of the active span, with both header styles",
  opts,
  async () => {
    await withSpan("caller", {}, () => client.call("POST", "/pay?attempt=1", { body: { a: 1 } }));
    const parent = await capture.waitFor((s) => s.name === "caller");
    const span = await capture.waitFor((s) => s.meta["http.url"] === `${peerUrl}/pay`);
    assert.equal(span.parent_id, parent.span_id);
    assert.equal(span.trace_id, parent.trace_id);
    assert.equal(span.resource, "POST");
    assert.equal(span.service, "test-service");
    assert.equal(span.error, 0);
    assert.equal(span.meta.component, "fetch");
    assert.equal(span.meta["span.kind"], "client");
    assert.equal(span.meta["http.method"], "POST");
    assert.equal(span.meta["http.status_code"], "200");
    assert.equal(span.meta["out.host"], "127.0.0.1");
    assert.equal(span.meta["_dd.integration"], "fetch");
    assert.equal(span.metrics["network.destination.port"], (peer.addr as Deno.NetAddr).port);
    // The peer continues the client span, in Datadog and in W3C form.
    const headers = seen.at(-1)!;
    assert.equal(headers.get("x-datadog-trace-id"), span.trace_id);
    assert.equal(headers.get("x-datadog-parent-id"), span.span_id);
    const [, , parentHex] = headers.get("traceparent")!.split("-");
    assert.equal(BigInt(`0x${parentHex}`).toString(), span.span_id);
    assert.match(headers.get("tracestate") ?? "", /^dd=/);
    // dd-trace's own fetch integration did not add a second span for the same call.
    assert.equal(clientSpansOf("/pay").length, 1);
  },
);

Deno.test(
  "call() flags a 4xx answer on the client span but not a 5xx, as dd-trace does",
  opts,
  async () => {
    await withSpan("caller.statuses", {}, async () => {
      await client.call("GET", "/missing?status=404");
      await client.call("GET", "/down?status=503");
    });
    const missing = await capture.waitFor((s) => s.meta["http.url"] === `${peerUrl}/missing`);
    const down = await capture.waitFor((s) => s.meta["http.url"] === `${peerUrl}/down`);
    assert.equal(missing.error, 1);
    assert.equal(missing.meta["http.status_code"], "404");
    assert.equal(down.error, 0);
    assert.equal(down.meta["http.status_code"], "503");
  },
);

Deno.test(
  "call() records a peer that cannot be reached as an error on the client span",
  opts,
  async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const gone = createServiceClient({
      name: "gone",
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 1000,
    });
    await assert.rejects(
      withSpan("caller.gone", {}, () => gone.call("GET", "/x")),
      (error: unknown) => error instanceof UpstreamError && error.status === 503,
    );
    const span = await capture.waitFor((s) => s.meta["http.url"] === `http://127.0.0.1:${port}/x`);
    assert.equal(span.error, 1);
    assert.ok(span.meta["error.type"], "the error type is recorded");
    assert.ok(span.meta["error.message"], "the error message is recorded");
  },
);

Deno.test(
  "the global fetch keeps dd-trace's client span for code outside the kit",
  opts,
  async () => {
    await tracer.trace("caller.global", async () => {
      await (await fetch(`${peerUrl}/global`)).text();
    });
    const parent = await capture.waitFor((s) => s.name === "caller.global");
    const span = await capture.waitFor((s) => s.meta["http.url"] === `${peerUrl}/global`);
    assert.equal(span.parent_id, parent.span_id);
    assert.equal(span.meta.component, "fetch");
    assert.equal(seen.at(-1)!.get("x-datadog-parent-id"), span.span_id);
  },
);

Deno.test(
  "tracedFetch() makes one client span with both header styles and returns the answer",
  opts,
  async () => {
    const response = await withSpan(
      "caller.external",
      {},
      () =>
        tracedFetch(`${peerUrl}/external?status=404`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        }),
    );
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { ok: false });
    const parent = await capture.waitFor((s) => s.name === "caller.external");
    const span = await capture.waitFor((s) => s.meta["http.url"] === `${peerUrl}/external`);
    assert.equal(span.parent_id, parent.span_id);
    assert.equal(span.resource, "POST");
    assert.equal(span.error, 1, "a 4xx answer flags the client span");
    assert.equal(seen.at(-1)!.get("x-datadog-parent-id"), span.span_id);
    assert.ok(seen.at(-1)!.get("traceparent"));
    assert.equal(clientSpansOf("/external").length, 1);
  },
);
