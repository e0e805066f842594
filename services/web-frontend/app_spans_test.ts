import assert from "node:assert/strict";
import { captureSpans, jsonRequest } from "@demo/observability/testing";
import { createTestGateway, CUSTOMER } from "./_testing.ts";

// The tracer is global to this module and keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };
const capture = await captureSpans();

Deno.test(
  "POST /api/login makes a web.login span tagged with the customer and reason",
  opts,
  async () => {
    const gw = await createTestGateway({
      auth: () =>
        Response.json({ ok: false, customer_id: CUSTOMER, reason: "account not found" }, {
          status: 401,
        }),
    });
    const res = await gw.app.request(jsonRequest("POST", "/api/login", {
      body: { username: "alice", password: "s3cret-pw" },
    }));
    assert.equal(res.status, 401);
    const span = await capture.waitFor((s) => s.name === "web.login");
    assert.equal(span.meta["usr.id"], CUSTOMER);
    assert.equal(span.meta["reason"], "account not found");
    const server = await capture.waitFor((s) => s.resource === "POST /api/login");
    assert.equal(span.parent_id, server.span_id);
    assert.doesNotMatch(JSON.stringify(capture.spans), /s3cret-pw/);
  },
);

Deno.test(
  "POST /api/pay makes a web.pay span and tags the server span with usr.id",
  opts,
  async () => {
    const gw = await createTestGateway({
      payments: () =>
        Response.json({
          ok: false,
          status: "failed",
          reason: "Insufficient funds",
          payment_id: "pay_span_1",
          bank_id: "BARC",
        }, { status: 402 }),
    });
    const res = await gw.app.request(jsonRequest("POST", "/api/pay", {
      body: { bank_id: "BARC", amount: 99.99 },
      headers: { cookie: await gw.cookieFor() },
    }));
    assert.equal(res.status, 402);
    const pay = await capture.waitFor((s) => s.name === "web.pay");
    assert.equal(pay.meta["usr.id"], CUSTOMER);
    assert.equal(pay.meta["bank"], "BARC");
    assert.equal(pay.meta["payment.id"], "pay_span_1");
    assert.equal(pay.meta["reason"], "Insufficient funds");
    assert.equal(pay.metrics["amount"] ?? Number(pay.meta["amount"]), 99.99);
    const server = await capture.waitFor((s) => s.resource === "POST /api/pay");
    assert.equal(server.name, "web.request");
    assert.equal(server.meta["usr.id"], CUSTOMER);
    assert.equal(server.meta["http.status_code"], "402");
    assert.equal(pay.parent_id, server.span_id);
    assert.equal(pay.trace_id, server.trace_id);
  },
);

Deno.test("an authenticated API request's server span carries usr.id", opts, async () => {
  const gw = await createTestGateway();
  const res = await gw.app.request("/api/session", { headers: { cookie: await gw.cookieFor() } });
  assert.equal(res.status, 200);
  const server = await capture.waitFor((s) => s.resource === "GET /api/session");
  assert.equal(server.meta["usr.id"], CUSTOMER);
});

Deno.test("the session secret never reaches a span", opts, async () => {
  const gw = await createTestGateway();
  await gw.app.request("/api/config");
  await capture.waitFor((s) => s.resource === "GET /api/config");
  assert.doesNotMatch(JSON.stringify(capture.spans), new RegExp(gw.config.sessionSecret));
});

Deno.test(
  "POST /rum-proxy forwards without the gateway's trace headers",
  opts,
  async () => {
    const seen: Headers[] = [];
    const target = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      seen.push(req.headers);
      return new Response("{}", { status: 202 });
    });
    try {
      // No fetch given: the gateway's own default, with dd-trace initialised in this process.
      const gw = await createTestGateway({
        env: {
          RUM_PROXY_URL: `http://127.0.0.1:${target.addr.port}/browser-intake`,
          DD_RUM_APPLICATION_ID: "app",
          DD_RUM_CLIENT_TOKEN: "pubtoken",
        },
      });
      const res = await gw.app.request("/rum-proxy?ddforward=%2Fapi%2Fv2%2Flogs", {
        method: "POST",
        body: "{}",
        headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      });
      assert.equal(res.status, 202);
      assert.equal(seen.length, 1);
      for (
        const name of ["traceparent", "tracestate", "x-datadog-trace-id", "x-datadog-parent-id"]
      ) {
        assert.equal(seen[0].get(name), null, name);
      }
    } finally {
      await target.shutdown();
    }
  },
);
