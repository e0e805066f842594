import assert from "node:assert/strict";
import { LogShipper } from "./log_shipper.ts";

interface Sent {
  url: URL;
  contentType: string | null;
  body: string;
}

function recorder(answer: () => Promise<Response> = () => Promise.resolve(new Response(null))) {
  const sent: Sent[] = [];
  const fake: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    sent.push({
      url: new URL(request.url),
      contentType: request.headers.get("content-type"),
      body: await request.text(),
    });
    return await answer();
  };
  return { sent, fetch: fake };
}

const options = { intakeUrl: "http://agent.test:8126/api/v2/logs", service: "auth-service" };

Deno.test("LogShipper posts queued lines as text/plain with the log pipe's envelope", async () => {
  const { sent, fetch } = recorder();
  const shipper = new LogShipper({ ...options, hostname: "pod-1", fetch, intervalMs: 60_000 });
  shipper.push('{"message":"a"}\n');
  shipper.push('{"message":"b"}\n{"message":"c"}\n');
  await shipper.flush();
  await shipper.flush(); // nothing left: no empty request
  await shipper.stop();
  assert.equal(sent.length, 1);
  assert.equal(sent[0].url.origin + sent[0].url.pathname, "http://agent.test:8126/api/v2/logs");
  assert.equal(sent[0].url.searchParams.get("service"), "auth-service");
  assert.equal(sent[0].url.searchParams.get("ddsource"), "deno");
  assert.equal(sent[0].url.searchParams.get("hostname"), "pod-1");
  assert.equal(sent[0].contentType, "text/plain");
  assert.equal(sent[0].body, '{"message":"a"}\n{"message":"b"}\n{"message":"c"}\n');
  assert.equal(shipper.dropped, 0);
});

Deno.test("LogShipper keeps its queue bounded, dropping and counting the oldest lines", async () => {
  const { sent, fetch } = recorder();
  const shipper = new LogShipper({
    ...options,
    hostname: "h",
    fetch,
    intervalMs: 60_000,
    maxQueued: 40,
  });
  for (let i = 0; i < 10; i++) shipper.push(`line ${i} ${"x".repeat(8)}\n`); // 16 each
  assert.equal(shipper.dropped, 8, "only the two newest batches fit in 40");
  await shipper.stop();
  assert.equal(sent[0].body, `line 8 ${"x".repeat(8)}\nline 9 ${"x".repeat(8)}\n`);
});

Deno.test("LogShipper counts the lines of a refused or failed send and never throws", async () => {
  let answer = () => Promise.resolve(new Response("no", { status: 503 }));
  const { sent, fetch } = recorder(() => answer());
  const told: number[] = [];
  const shipper = new LogShipper({
    ...options,
    hostname: "h",
    fetch,
    intervalMs: 60_000,
    onDropped: (lines) => void told.push(lines),
  });
  shipper.push("a\nb\n");
  await shipper.flush();
  assert.equal(shipper.dropped, 2);
  answer = () => Promise.reject(new TypeError("connection refused"));
  shipper.push("c\n");
  await shipper.flush();
  assert.equal(shipper.dropped, 3);
  answer = () => Promise.resolve(new Response(null, { status: 202 }));
  shipper.push("d\n");
  await shipper.stop();
  assert.equal(shipper.dropped, 3);
  assert.deepEqual(told, [2, 1], "each loss is reported as it happens");
  assert.deepEqual(sent.map((s) => s.body), ["a\nb\n", "c\n", "d\n"]);
});

Deno.test("LogShipper sends on its own an interval after lines arrive, one request at a time", async () => {
  let release: () => void = () => {};
  let calls = 0;
  const { sent, fetch } = recorder(() => {
    calls++;
    return calls === 1
      ? new Promise((resolve) => (release = () => resolve(new Response(null))))
      : Promise.resolve(new Response(null));
  });
  const shipper = new LogShipper({ ...options, hostname: "h", fetch, intervalMs: 10 });
  shipper.push("first\n");
  while (sent.length === 0) await new Promise((r) => setTimeout(r, 5));
  shipper.push("second\n");
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(sent.length, 1, "the next send waits for the one in flight");
  release();
  while (sent.length < 2) await new Promise((r) => setTimeout(r, 5));
  await shipper.stop();
  assert.deepEqual(sent.map((s) => s.body), ["first\n", "second\n"]);
});
