import assert from "node:assert/strict";
import { parseMix, runLoad } from "./load.ts";

function fakeGateway() {
  let n = 0;
  const keys = new Set<string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/api/login") {
      return new Response(JSON.stringify({ ok: true }), {
        headers: {
          "set-cookie": "session_id=abc; HttpOnly; SameSite=Strict",
          "content-type": "application/json",
        },
      });
    }
    if (url.pathname === "/api/pay") {
      assert.equal(req.headers.get("cookie"), "session_id=abc");
      const key = req.headers.get("idempotency-key")!;
      assert.ok(!keys.has(key), "a fresh idempotency key per payment");
      keys.add(key);
      await req.json();
      n++;
      if (n % 10 === 0) {
        return Response.json({ ok: false, status: "failed", reason: "x", payment_id: `p${n}` }, {
          status: 402,
        });
      }
      if (n % 25 === 0) return new Response("<html>oops</html>", { status: 502 });
      return Response.json({ ok: true, status: "settled", payment_id: `p${n}` });
    }
    return Response.json({ ok: true, payments: [] });
  });
  return { server, url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}` };
}

Deno.test("runLoad() logs users in, pays with fresh keys and classifies outcomes", async () => {
  const { server, url } = fakeGateway();
  const report = await runLoad({
    target: url,
    concurrency: 4,
    durationMs: 600,
    mix: { pay: 1, history: 0, assistant: 0, banks: 0 },
  });
  await server.shutdown();
  assert.equal(report.outcomes.login_ok, 4);
  const pays = report.scenarios.pay.requests;
  assert.ok(pays > 20, `pays ${pays}`);
  assert.equal(
    report.outcomes.settled + (report.outcomes.declined ?? 0) + (report.outcomes.server_error ?? 0),
    pays,
  );
  assert.ok(report.outcomes.declined > 0);
  assert.equal(report.failed, report.outcomes.server_error ?? 0);
  assert.ok(report.latencyMs.p99 >= report.latencyMs.p50);
});

Deno.test("runLoad() holds a fixed rate", async () => {
  const { server, url } = fakeGateway();
  const report = await runLoad({
    target: url,
    concurrency: 8,
    durationMs: 1000,
    rate: 100,
    mix: { pay: 0, history: 1, assistant: 0, banks: 0 },
  });
  await server.shutdown();
  assert.ok(report.requests >= 80 && report.requests <= 115, `requests ${report.requests}`);
});

Deno.test("runLoad() counts a refused connection as a network error and still stops", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const report = await runLoad({
    target: `http://127.0.0.1:${port}`,
    concurrency: 2,
    durationMs: 200,
  });
  assert.ok(report.outcomes.network_error > 0);
  assert.equal(report.failed, report.requests);
});

Deno.test("parseMix() reads weights and names a bad scenario", () => {
  assert.deepEqual(parseMix("pay=1,banks=2"), { pay: 1, history: 0, assistant: 0, banks: 2 });
  assert.throws(() => parseMix("refund=1"), /unknown scenario 'refund'/);
  assert.throws(() => parseMix("pay=0"), /every weight is 0/);
});
