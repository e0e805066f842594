import assert from "node:assert/strict";
import { Http1Connection, Http1Pool, ResponseTooLarge } from "./http1.ts";

Deno.test("Http1Connection keeps one connection alive across requests and reads every body form", async () => {
  const seenPorts = new Set<number>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req, info) => {
      seenPorts.add(info.remoteAddr.port);
      const url = new URL(req.url);
      if (url.pathname === "/chunked") {
        return new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode('{"part":'));
              c.enqueue(new TextEncoder().encode("1}"));
              c.close();
            },
          }),
        );
      }
      const headers = new Headers({ "content-type": "application/json" });
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response(JSON.stringify({ method: req.method, body: await req.text() }), {
        status: 201,
        headers,
      });
    },
  );
  const conn = new Http1Connection("127.0.0.1", (server.addr as Deno.NetAddr).port);
  const first = await conn.request(
    "POST",
    "/x",
    { "content-type": "application/json" },
    '{"a":1}',
    2000,
  );
  assert.equal(first.status, 201);
  assert.deepEqual(JSON.parse(first.body), { method: "POST", body: '{"a":1}' });
  assert.equal(first.headers.get("set-cookie"), "a=1\nb=2");
  const chunked = await conn.request("GET", "/chunked", {}, undefined, 2000);
  assert.deepEqual(JSON.parse(chunked.body), { part: 1 });
  await conn.request("GET", "/again", {}, undefined, 2000);
  assert.equal(seenPorts.size, 1, "one TCP connection served every request");
  conn.close();
  await server.shutdown();
});

Deno.test("Http1Connection rejects with a TimeoutError when the server is too slow", async () => {
  let release = () => {};
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Promise<Response>((resolve) => (release = () => resolve(new Response("late")))),
  );
  const conn = new Http1Connection("127.0.0.1", (server.addr as Deno.NetAddr).port);
  await assert.rejects(
    conn.request("GET", "/", {}, undefined, 100),
    (e: unknown) => (e as Error).name === "TimeoutError",
  );
  release();
  conn.close();
  await server.shutdown();
});

/** A server on a free port; `handler` answers, `conns` counts TCP connections seen. */
function serve(handler: (req: Request) => Response | Promise<Response>) {
  const ports = new Set<number>();
  let active = 0;
  let peak = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req, info) => {
      ports.add(info.remoteAddr.port);
      peak = Math.max(peak, ++active);
      try {
        return await handler(req);
      } finally {
        active--;
      }
    },
  );
  return {
    port: (server.addr as Deno.NetAddr).port,
    connections: () => ports.size,
    peak: () => peak,
    close: () => server.shutdown(),
  };
}

Deno.test("Http1Pool reuses one idle connection for sequential requests", async () => {
  const server = serve(() => Response.json({ ok: true }));
  const pool = new Http1Pool("127.0.0.1", server.port);
  for (let i = 0; i < 20; i++) {
    const reply = await pool.request("GET", `/n/${i}`, {}, undefined, 2000);
    assert.equal(reply.status, 200);
  }
  assert.equal(server.connections(), 1);
  assert.equal(pool.size, 1);
  pool.close();
  await server.close();
});

Deno.test("Http1Pool opens at most maxConnections and queues the rest", async () => {
  const server = serve(async (req) => {
    await new Promise((r) => setTimeout(r, 30));
    return new Response(new URL(req.url).pathname);
  });
  const pool = new Http1Pool("127.0.0.1", server.port, { maxConnections: 2 });
  const replies = await Promise.all(
    Array.from({ length: 6 }, (_, i) => pool.request("GET", `/${i}`, {}, undefined, 2000)),
  );
  assert.deepEqual(replies.map((r) => r.body), ["/0", "/1", "/2", "/3", "/4", "/5"]);
  assert.equal(server.peak(), 2);
  assert.equal(server.connections(), 2);
  pool.close();
  await server.close();
});

Deno.test("Http1Pool gives up with a TimeoutError when no connection frees in time", async () => {
  let release = () => {};
  const server = serve(() =>
    new Promise<Response>((resolve) => (release = () => resolve(new Response("late"))))
  );
  const pool = new Http1Pool("127.0.0.1", server.port, { maxConnections: 1 });
  const first = pool.request("GET", "/slow", {}, undefined, 2000);
  await assert.rejects(
    pool.request("GET", "/queued", {}, undefined, 50),
    (e: unknown) => (e as Error).name === "TimeoutError",
  );
  release();
  assert.equal((await first).body, "late");
  pool.close();
  await server.close();
});

Deno.test("a timed-out or aborted request never reuses its connection", async () => {
  let calls = 0;
  const server = serve(async (req) => {
    calls++;
    if (new URL(req.url).pathname === "/slow") await new Promise((r) => setTimeout(r, 200));
    return new Response("done");
  });
  const pool = new Http1Pool("127.0.0.1", server.port, { maxConnections: 1 });
  await assert.rejects(
    pool.request("GET", "/slow", {}, undefined, 30),
    (e: unknown) => (e as Error).name === "TimeoutError",
  );
  const controller = new AbortController();
  const aborted = pool.request("GET", "/slow", {}, undefined, 2000, controller.signal);
  setTimeout(() => controller.abort(new Error("caller went away")), 20);
  await assert.rejects(aborted, /caller went away/);
  // The next request gets a fresh connection and its own answer, not a late one.
  const next = await pool.request("GET", "/fast", {}, undefined, 2000);
  assert.equal(next.body, "done");
  assert.equal(calls, 3);
  assert.equal(server.connections(), 3);
  await new Promise((r) => setTimeout(r, 250));
  pool.close();
  await server.close();
});

Deno.test("a response over maxBodyBytes fails with ResponseTooLarge, in every body form", async () => {
  const big = "x".repeat(2048);
  const server = serve((req) =>
    new URL(req.url).pathname === "/chunked"
      ? new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(big));
            c.close();
          },
        }),
      )
      : new Response(big)
  );
  const conn = new Http1Connection("127.0.0.1", server.port, { maxBodyBytes: 1024 });
  for (const path of ["/length", "/chunked"]) {
    await assert.rejects(
      conn.request("GET", path, {}, undefined, 2000),
      (e: unknown) => e instanceof ResponseTooLarge,
    );
  }
  conn.close();
  await server.close();
});

Deno.test("a header or request line with a line break is refused before anything is sent", async () => {
  let calls = 0;
  const server = serve(() => {
    calls++;
    return new Response("ok");
  });
  const conn = new Http1Connection("127.0.0.1", server.port);
  await assert.rejects(
    conn.request("GET", "/", { "x-id": "a\r\nx-admin: yes" }, undefined, 1000),
    TypeError,
  );
  await assert.rejects(conn.request("GET", "/ HTTP/1.1\r\nx: y", {}, undefined, 1000), TypeError);
  await assert.rejects(conn.request("GET", "/", { "bad name": "v" }, undefined, 1000), TypeError);
  assert.equal((await conn.request("GET", "/", {}, undefined, 1000)).body, "ok");
  assert.equal(calls, 1);
  conn.close();
  await server.close();
});

Deno.test("a keep-alive connection the server closed is replaced transparently", async () => {
  let n = 0;
  const server = serve(() =>
    new Response(`reply ${++n}`, { headers: n === 1 ? { connection: "close" } : {} })
  );
  const pool = new Http1Pool("127.0.0.1", server.port);
  assert.equal((await pool.request("GET", "/", {}, undefined, 1000)).body, "reply 1");
  assert.equal((await pool.request("GET", "/", {}, undefined, 1000)).body, "reply 2");
  assert.equal(server.connections(), 2);
  pool.close();
  await server.close();
});

Deno.test("Http1Pool keeps every connection of a burst for the next one", async () => {
  const server = serve(async () => {
    await new Promise((r) => setTimeout(r, 10));
    return new Response("ok");
  });
  const pool = new Http1Pool("127.0.0.1", server.port);
  for (let round = 0; round < 3; round++) {
    await Promise.all(
      Array.from({ length: 40 }, () => pool.request("GET", "/", {}, undefined, 2000)),
    );
  }
  assert.equal(server.connections(), 40, "the second and third bursts opened no connection");
  pool.close();
  await server.close();
});
