import assert from "node:assert/strict";
import { Http1Connection } from "./http1.ts";

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
