import assert from "node:assert/strict";
import { AgentStore, createAgentApp, createAgentLog } from "@demo/local-agent";
import {
  ByteTail,
  LineSplitter,
  LOCAL_RUM_PLACEHOLDERS,
  LogForwarder,
  pumpOutput,
  serviceEnvironment,
  v8FlagsFor,
} from "./stack.ts";
import { LOCAL_PORTS } from "./topology.ts";

const AGENT = { host: "127.0.0.1", tracePort: 8126, statsdPort: 8125 };
const SECRET = "s".repeat(32);
const PROXY = { RUM_PROXY_URL: "http://127.0.0.1:8126/browser-intake" };

Deno.test("serviceEnvironment() turns RUM on with placeholder ids when web-frontend has a RUM proxy", () => {
  const env = serviceEnvironment("web-frontend", LOCAL_PORTS, AGENT, PROXY, SECRET);
  assert.equal(env.DD_RUM_APPLICATION_ID, LOCAL_RUM_PLACEHOLDERS.DD_RUM_APPLICATION_ID);
  assert.equal(env.DD_RUM_CLIENT_TOKEN, LOCAL_RUM_PLACEHOLDERS.DD_RUM_CLIENT_TOKEN);
  assert.equal(env.RUM_PROXY_URL, PROXY.RUM_PROXY_URL);
});

Deno.test("serviceEnvironment() keeps the RUM ids the caller gives", () => {
  const env = serviceEnvironment("web-frontend", LOCAL_PORTS, AGENT, {
    ...PROXY,
    DD_RUM_APPLICATION_ID: "my-app",
    DD_RUM_CLIENT_TOKEN: "my-token",
  }, SECRET);
  assert.equal(env.DD_RUM_APPLICATION_ID, "my-app");
  assert.equal(env.DD_RUM_CLIENT_TOKEN, "my-token");
});

Deno.test("serviceEnvironment() sets no RUM ids without a RUM proxy or for other services", () => {
  const direct = serviceEnvironment("web-frontend", LOCAL_PORTS, AGENT, {}, SECRET);
  assert.equal(direct.DD_RUM_APPLICATION_ID, undefined);
  assert.equal(direct.DD_RUM_CLIENT_TOKEN, undefined);
  const other = serviceEnvironment("payment-service", LOCAL_PORTS, AGENT, PROXY, SECRET);
  assert.equal(other.DD_RUM_APPLICATION_ID, undefined);
});

// ---- output pipe -------------------------------------------------------------------------

const bytes = (text: string) => new TextEncoder().encode(text);

function split(chunks: Uint8Array[], maxLineBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter(
    (line) => lines.push(new TextDecoder().decode(line)),
    maxLineBytes,
  );
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

Deno.test("LineSplitter joins a line split across chunks", () => {
  assert.deepEqual(split([bytes('{"a":'), bytes("1}\nsec"), bytes("ond"), bytes("\nthird\n")]), [
    '{"a":1}',
    "second",
    "third",
  ]);
});

Deno.test("LineSplitter strips CRLF, even when CR and LF arrive in different chunks", () => {
  assert.deepEqual(split([bytes("one\r\ntwo\r"), bytes("\nthree\r\n")]), ["one", "two", "three"]);
});

Deno.test("LineSplitter gives a final line without a newline at the end, and skips empty lines", () => {
  assert.deepEqual(split([bytes("\n\nfirst\n\r\n"), bytes("last")]), ["first", "last"]);
  assert.deepEqual(split([]), []);
});

Deno.test("LineSplitter keeps a multi-byte character split across chunks whole", () => {
  const text = bytes("paid 5 €, ✓ 🎉\nnext");
  // Cut inside every multi-byte sequence: each one byte per chunk.
  const chunks = Array.from(text, (b) => new Uint8Array([b]));
  assert.deepEqual(split(chunks), ["paid 5 €, ✓ 🎉", "next"]);
  const euro = text.indexOf(0xe2);
  assert.deepEqual(split([text.subarray(0, euro + 1), text.subarray(euro + 1)]), [
    "paid 5 €, ✓ 🎉",
    "next",
  ]);
});

Deno.test("LineSplitter gives a runaway line in pieces of its limit", () => {
  assert.deepEqual(split([bytes("abcdefghij"), bytes("kl\nok\n")], 4), [
    "abcd",
    "efgh",
    "ijkl",
    "ok",
  ]);
});

Deno.test("pumpOutput() splits a stream and keeps its raw tail", async () => {
  const stream = ReadableStream.from([bytes("a\nb"), bytes("c\n"), bytes("d")]);
  const lines: string[] = [];
  const tail = new ByteTail(4);
  await pumpOutput(stream, (line) => lines.push(new TextDecoder().decode(line)), () => tail);
  assert.deepEqual(lines, ["a", "bc", "d"]);
  assert.deepEqual(tail.lines(), ["d"]); // "c\nd" held, the cut line left out
});

Deno.test("pumpOutput() reads a real process's pipe into lines, however its writes are cut", async () => {
  // The child writes a JSON line cut inside "é" and before its CRLF, then a last line
  // without a newline, pausing between writes so they arrive as separate reads.
  const code = `
    const parts = [[123, 34, 97, 34, 58, 34, 99, 97, 102, 0xc3], [0xa9, 34, 125, 13],
      [10, ...new TextEncoder().encode("second\\nlast")]];
    for (const part of parts) {
      Deno.stdout.writeSync(new Uint8Array(part));
      await new Promise((r) => setTimeout(r, 30));
    }`;
  for (const pauseMs of [0, 10]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines: string[] = [];
    const tail = new ByteTail();
    await pumpOutput(
      child.stdout,
      (line) => lines.push(new TextDecoder("utf-8", { fatal: true }).decode(line)),
      () => tail,
      { pauseMs },
    );
    assert.equal((await child.status).success, true);
    assert.deepEqual(lines, ['{"a":"café"}', "second", "last"]);
    assert.deepEqual(tail.lines(), ['{"a":"café"}', "second", "last"]);
  }
});

Deno.test("ByteTail keeps the last bytes written and gives their last complete lines", () => {
  const tail = new ByteTail(16);
  assert.deepEqual(tail.lines(), []);
  tail.push(bytes("first line\n"));
  assert.deepEqual(tail.lines(), ["first line"]);
  tail.push(bytes("second\r\nthird\n"));
  // 16 bytes hold "line\nsecond\r\nthird\n" cut at the front: the cut line is left out.
  assert.deepEqual(tail.lines(), ["second", "third"]);
  tail.push(bytes("x".repeat(40) + "\nend"));
  assert.deepEqual(tail.lines(), ["end"]);
  const many = new ByteTail(1024);
  for (let i = 0; i < 30; i++) many.push(bytes(`line ${i}\n`));
  assert.deepEqual(many.lines(3), ["line 27", "line 28", "line 29"]);
});

// ---- log forwarding ----------------------------------------------------------------------

function standIn() {
  const store = new AgentStore();
  const app = createAgentApp({
    store,
    log: createAgentLog({ level: "error", sink: () => {} }),
    page: { html: "", css: "", js: "" },
    ports: () => ({ http: 0, statsd: 0 }),
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return { store, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("LogForwarder sends each service's lines as text/plain batches the stand-in stores", async () => {
  const agent = standIn();
  const forwarder = new LogForwarder(agent.url, { intervalMs: 60_000, batchBytes: 64 });
  try {
    const line = (i: number) =>
      JSON.stringify({ level: "info", message: `event_${i}`, dd: { trace_id: String(i) } });
    for (let i = 0; i < 5; i++) forwarder.push("payment-service", bytes(line(i)));
    forwarder.push("auth-service", line(99));
    await forwarder.flush();
    assert.equal(forwarder.dropped, 0);
    assert.equal(forwarder.queuedBytes, 0);
    const logs = Array.from(agent.store.logs.newestFirst());
    assert.equal(logs.length, 6);
    const payment = logs.filter((l) => l.service === "payment-service").map((l) => l.message);
    assert.deepEqual(payment.reverse(), [0, 1, 2, 3, 4].map((i) => `event_${i}`));
    const auth = logs.find((l) => l.service === "auth-service")!;
    assert.equal(auth.trace_id, "99");
    assert.equal(auth.ddsource, "deno");
    assert.equal(auth.hostname, "localhost");
    // 64-byte batches: one request per batch.
    assert.ok(agent.store.counters.logs.payloads >= 4, `${agent.store.counters.logs.payloads}`);
  } finally {
    await forwarder.close();
    await agent.close();
  }
});

Deno.test("LogForwarder's queue is bounded in bytes: the oldest lines go first and are counted", async () => {
  const agent = standIn();
  const forwarder = new LogForwarder(agent.url, {
    intervalMs: 60_000,
    maxQueuedBytes: 100,
    batchBytes: 30,
  });
  try {
    for (let i = 0; i < 20; i++) forwarder.push("s", `{"n":${i}}`);
    assert.ok(forwarder.queuedBytes <= 100, `${forwarder.queuedBytes}`);
    assert.ok(forwarder.dropped > 0);
    await forwarder.flush();
    const kept = Array.from(agent.store.logs.newestFirst(), (l) => l.n);
    assert.equal(kept.length + forwarder.dropped, 20);
    // What is kept is the newest lines, in order.
    assert.deepEqual(
      kept.reverse(),
      Array.from({ length: kept.length }, (_, i) => 20 - kept.length + i),
    );
  } finally {
    await forwarder.close();
    await agent.close();
  }
});

Deno.test("LogForwarder drops and counts lines while the Agent is down, and its queue does not grow", async () => {
  // A port nothing listens on: every request is refused at once.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const forwarder = new LogForwarder(`http://127.0.0.1:${port}`, {
    intervalMs: 60_000,
    maxQueuedBytes: 1000,
  });
  try {
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) forwarder.push("s", `{"round":${round},"i":${i}}`);
      assert.ok(forwarder.queuedBytes <= 1000);
      await forwarder.flush();
      assert.equal(forwarder.queuedBytes, 0);
    }
    assert.equal(forwarder.dropped, 500);
  } finally {
    await forwarder.close();
  }
});

Deno.test("v8FlagsFor() gives the hot path a larger young generation, and DENO_V8_FLAGS replaces all", () => {
  const before = Deno.env.get("DENO_V8_FLAGS");
  try {
    Deno.env.delete("DENO_V8_FLAGS");
    for (const name of ["web-frontend", "payment-service"] as const) {
      assert.match(v8FlagsFor(name), /--max-semi-space-size=8(,|$)/);
    }
    for (const name of ["auth-service", "fraud-service", "jira-poller", "local-agent"] as const) {
      assert.match(v8FlagsFor(name), /--max-semi-space-size=2(,|$)/);
    }
    for (const name of ["web-frontend", "jira-stand-in"] as const) {
      assert.match(v8FlagsFor(name), /--heap-growing-percent=50(,|$)/);
    }
    Deno.env.set("DENO_V8_FLAGS", "--max-old-space-size=256");
    assert.equal(v8FlagsFor("web-frontend"), "--max-old-space-size=256");
    assert.equal(v8FlagsFor("jira-poller"), "--max-old-space-size=256");
  } finally {
    if (before === undefined) Deno.env.delete("DENO_V8_FLAGS");
    else Deno.env.set("DENO_V8_FLAGS", before);
  }
});
