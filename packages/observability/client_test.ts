import assert from "node:assert/strict";
import { createServiceClient, UpstreamError } from "./client.ts";
import { BUDGET_HEADER, Deadline } from "./deadline.ts";

function fakeFetch(respond: (req: Request) => Response | Promise<Response>): typeof fetch {
  return (input, init) => Promise.resolve(respond(new Request(input as string, init)));
}

Deno.test("call() sends JSON with the request id and a shrunken budget, and parses the reply", async () => {
  let seen: Request | undefined;
  const client = createServiceClient({
    name: "peer",
    baseUrl: "http://peer.test/",
    timeoutMs: 5000,
    reserveMs: 100,
    fetch: fakeFetch(async (req) => {
      seen = req;
      return Response.json({ ok: true, echo: await req.json() }, { status: 402 });
    }),
  });
  const reply = await client.call("POST", "/pay", {
    body: { a: 1 },
    requestId: "req-1",
    deadline: new Deadline(1000),
  });
  assert.equal(reply.status, 402);
  assert.deepEqual(reply.data, { ok: true, echo: { a: 1 } });
  assert.equal(seen?.url, "http://peer.test/pay");
  assert.equal(seen?.headers.get("x-request-id"), "req-1");
  assert.equal(seen?.headers.get("content-type"), "application/json");
  const budget = Number(seen?.headers.get(BUDGET_HEADER));
  assert.ok(budget <= 900 && budget > 800, `budget ${budget}`);
});

for (
  const [label, body, type] of [
    ["HTML", "<html>Bad gateway</html>", "text/html"],
    ["an empty body", "", "application/json"],
    ["a JSON array", "[1,2]", "application/json"],
    ["JSON null", "null", "application/json"],
  ] as const
) {
  Deno.test(`call() turns ${label} from a peer into a 502 upstream_bad_response`, async () => {
    const client = createServiceClient({
      name: "peer",
      baseUrl: "http://peer.test",
      timeoutMs: 1000,
      fetch: fakeFetch(() =>
        new Response(body, { status: 200, headers: { "content-type": type } })
      ),
    });
    await assert.rejects(client.call("GET", "/x"), (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.status, 502);
      assert.equal(error.code, "upstream_bad_response");
      assert.equal(error.upstream, "peer");
      return true;
    });
  });
}

Deno.test("call() answers 504 when the peer is slower than the deadline", async () => {
  const client = createServiceClient({
    name: "slow-peer",
    baseUrl: "http://peer.test",
    timeoutMs: 5000,
    fetch: (_input, init) =>
      new Promise((_resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("late")), 2000);
        init?.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(init.signal?.reason);
        });
      }),
  });
  const started = Date.now();
  await assert.rejects(
    client.call("GET", "/x", { deadline: new Deadline(50) }),
    (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.status, 504);
      assert.equal(error.code, "upstream_timeout");
      return true;
    },
  );
  assert.ok(Date.now() - started < 1000);
});

Deno.test("call() answers 503 when the peer cannot be reached", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const client = createServiceClient({
    name: "gone",
    baseUrl: `http://127.0.0.1:${port}`,
    timeoutMs: 1000,
  });
  await assert.rejects(client.call("GET", "/x"), (error: unknown) => {
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.status, 503);
    assert.equal(error.code, "upstream_unavailable");
    return true;
  });
});

Deno.test("call() refuses to start when the deadline has already passed", async () => {
  let called = false;
  const client = createServiceClient({
    name: "peer",
    baseUrl: "http://peer.test",
    timeoutMs: 1000,
    fetch: fakeFetch(() => {
      called = true;
      return Response.json({});
    }),
  });
  await assert.rejects(client.call("GET", "/x", { deadline: new Deadline(0) }), /No time left/);
  assert.equal(called, false);
});

Deno.test("an http: peer is called over kept-alive connections, with the same error mapping", async () => {
  const ports = new Set<number>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req, info) => {
      ports.add(info.remoteAddr.port);
      const path = new URL(req.url).pathname;
      if (path === "/slow") await new Promise((r) => setTimeout(r, 300));
      if (path === "/html") return new Response("<html>oops</html>", { status: 502 });
      return Response.json({
        path,
        budget: req.headers.get(BUDGET_HEADER),
        body: await req.text(),
      });
    },
  );
  const client = createServiceClient({
    name: "peer",
    baseUrl: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/`,
    timeoutMs: 1000,
    reserveMs: 0,
  });
  for (let i = 0; i < 5; i++) {
    const reply = await client.call("POST", "/pay", { body: { i } });
    assert.deepEqual(reply.data, { path: "/pay", budget: "1000", body: JSON.stringify({ i }) });
  }
  assert.equal(ports.size, 1, "five calls, one connection");
  await assert.rejects(
    client.call("GET", "/html"),
    (e: unknown) => e instanceof UpstreamError && e.status === 502,
  );
  await assert.rejects(
    client.call("GET", "/slow", { deadline: new Deadline(50) }),
    (e: unknown) => e instanceof UpstreamError && e.status === 504,
  );
  await new Promise((r) => setTimeout(r, 300));
  await server.shutdown();
});

Deno.test("the pooled client does not throttle hundreds of slow calls in flight", async () => {
  let inFlight = 0, peak = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((r) => setTimeout(r, 150));
    inFlight--;
    return Response.json({ ok: true });
  });
  const client = createServiceClient({
    name: "slow-peer",
    baseUrl: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    timeoutMs: 5000,
  });
  const started = performance.now();
  await Promise.all(Array.from({ length: 300 }, () => client.call("POST", "/pay", { body: {} })));
  const elapsed = performance.now() - started;
  assert.equal(peak, 300, "every call was in flight at once");
  assert.ok(elapsed < 1000, `300 calls of 150 ms took ${Math.round(elapsed)} ms`);
  await server.shutdown();
});
