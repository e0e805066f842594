import assert from "node:assert/strict";
import { AgentError } from "./_errors.ts";
import { parseForward, parseNdjson, readBrowserBatch, readReplay } from "./browser.ts";

const RUM_QUERY =
  "ddsource=browser&dd-api-key=pub123&dd-evp-origin=browser&batch_time=1&_dd.api=fetch";

async function deflate(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("parseForward() routes RUM, logs and replay by the intake path", () => {
  assert.deepEqual(parseForward(`/api/v2/rum?${RUM_QUERY}`), { track: "rum", path: "/api/v2/rum" });
  assert.deepEqual(parseForward("/api/v2/logs?ddsource=browser"), {
    track: "logs",
    path: "/api/v2/logs",
  });
  assert.equal(parseForward("/api/v2/replay?ddsource=browser").track, "replay");
  assert.equal(parseForward("/api/v2/profile?ddsource=browser").track, "other");
});

Deno.test("parseForward() notices deflated bodies", () => {
  assert.equal(
    parseForward(`/api/v2/rum?${RUM_QUERY}&dd-evp-encoding=deflate`).encoding,
    "deflate",
  );
});

Deno.test("parseForward() never keeps the client token", () => {
  assert.doesNotMatch(JSON.stringify(parseForward(`/api/v2/rum?${RUM_QUERY}`)), /pub123/);
});

Deno.test("parseForward() answers 400 naming ddforward when it is missing or not an intake", () => {
  for (
    const value of [null, "", "https://evil.example/api/v2/rum", "/api/v1/input", "/api/v2/unknown"]
  ) {
    assert.throws(() => parseForward(value), (error) => {
      assert.ok(error instanceof AgentError);
      assert.equal(error.status, 400);
      assert.equal(error.field, "ddforward");
      return true;
    });
  }
});

Deno.test("parseForward() refuses an encoding it cannot undo", () => {
  assert.throws(
    () => parseForward("/api/v2/rum?dd-evp-encoding=br"),
    (error) => error instanceof AgentError && error.status === 415,
  );
});

Deno.test("parseNdjson() gives each RUM event its kind and type, skipping broken lines", () => {
  const batch = parseNdjson(
    [
      JSON.stringify({ type: "view", view: { url: "/" } }),
      "{not json",
      JSON.stringify({ type: "action", action: { target: { name: "pay_attempt" } } }),
      "",
      "[1,2]",
    ].join("\n"),
    "rum",
    7,
  );
  assert.equal(batch.invalid, 2);
  assert.deepEqual(batch.entries.map((e) => [e.kind, e.type, e.received_at]), [
    ["rum", "view", 7],
    ["rum", "action", 7],
  ]);
});

Deno.test("readBrowserBatch() stores browser logs as browser_log entries", async () => {
  const body = new TextEncoder().encode(
    JSON.stringify({ message: "payment_failed", status: "error", service: "web-ui" }),
  );
  const batch = await readBrowserBatch(body, parseForward("/api/v2/logs?ddsource=browser"), 1024);
  assert.equal(batch.entries[0].kind, "browser_log");
  assert.equal(batch.entries[0].type, "log");
  assert.equal(batch.entries[0].event.message, "payment_failed");
});

Deno.test("readBrowserBatch() inflates a deflated RUM batch", async () => {
  const body = await deflate(`${JSON.stringify({ type: "error", error: { message: "boom" } })}\n`);
  const target = parseForward(`/api/v2/rum?${RUM_QUERY}&dd-evp-encoding=deflate`);
  const batch = await readBrowserBatch(body, target, 1024);
  assert.equal(batch.entries[0].type, "error");
});

Deno.test("readBrowserBatch() answers 400 when no line is an event", async () => {
  await assert.rejects(
    () =>
      readBrowserBatch(
        new TextEncoder().encode("garbage\nmore"),
        parseForward("/api/v2/rum"),
        1024,
      ),
    (error) => error instanceof AgentError && error.status === 400,
  );
  await assert.rejects(
    () =>
      readBrowserBatch(
        new Uint8Array([1, 2, 3]),
        parseForward("/api/v2/rum?dd-evp-encoding=deflate"),
        1024,
      ),
    (error) => error instanceof AgentError && error.status === 400,
  );
});

function replayRequest(parts: Record<string, Blob>): Request {
  const form = new FormData();
  for (const [name, blob] of Object.entries(parts)) form.append(name, blob, name);
  return new Request("http://x/", { method: "POST", body: form });
}

Deno.test("readReplay() keeps the segment metadata and only the size of the segment", async () => {
  const request = replayRequest({
    segment: new Blob([new Uint8Array(300)]),
    event: new Blob([JSON.stringify({
      session: { id: "s1" },
      view: { id: "v1" },
      records_count: 12,
      raw_segment_size: 900,
    })]),
  });
  const bytes = new Uint8Array(await request.arrayBuffer());
  const entry = await readReplay(bytes, request.headers.get("content-type"), 3);
  assert.equal(entry.kind, "replay");
  assert.equal(entry.type, "segment");
  assert.equal(entry.event.records_count, 12);
  assert.equal(entry.event.segment_bytes, 300);
  assert.deepEqual(entry.event.session, { id: "s1" });
});

Deno.test("readReplay() answers 400 naming the event part when it is missing", async () => {
  const request = replayRequest({ segment: new Blob([new Uint8Array(3)]) });
  const bytes = new Uint8Array(await request.arrayBuffer());
  await assert.rejects(
    () => readReplay(bytes, request.headers.get("content-type")),
    (error) => error instanceof AgentError && error.field === "event",
  );
});

Deno.test("readReplay() answers 415 for a body that is not multipart", async () => {
  await assert.rejects(
    () => readReplay(new Uint8Array([1]), "text/plain"),
    (error) => error instanceof AgentError && error.status === 415,
  );
});
