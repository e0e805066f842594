import assert from "node:assert/strict";
import { jsonRequest } from "@demo/observability/testing";
import {
  createTestGateway,
  CUSTOMER,
  htmlPage,
  OTHER_CUSTOMER,
  type PeerHandler,
  type SeenRequest,
  unreachable,
} from "./_testing.ts";

const BANKS = [
  { bank_id: "HSBC", bank_name: "HSBC" },
  { bank_id: "ING", bank_name: "ING" },
];
const PAYMENT = {
  payment_id: "pay_42",
  customer_id: CUSTOMER,
  status: "failed",
  reason: "Insufficient funds",
  bank_id: "ING",
  bank_name: "ING",
  amount: 20,
  created_at: "2026-01-01T10:00:00.000Z",
};

Deno.test("the gateway answers 405 with Allow for a known path asked with the wrong method", async () => {
  const gw = await createTestGateway({});
  for (
    const [method, path, allow] of [
      ["GET", "/api/pay", "POST"],
      ["POST", "/api/banks", "GET, HEAD"],
      ["DELETE", "/assets/app.js", "GET, HEAD"],
    ]
  ) {
    const res = await gw.app.request(path, { method });
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
    assert.equal((await res.json()).error.code, "method_not_allowed");
  }
  const missing = await gw.app.request("/api/nope");
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

// GET /api/banks

Deno.test("GET /api/banks lists payment-service's banks and reuses them for a while", async () => {
  const gw = await createTestGateway({ payments: () => Response.json({ ok: true, banks: BANKS }) });
  for (let i = 0; i < 3; i++) {
    const res = await gw.app.request("/api/banks");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, banks: BANKS });
  }
  assert.equal(gw.seen.payments.length, 1, "one call to payment-service for three requests");
  assert.equal(gw.seen.payments[0].path, "/banks");
});

Deno.test("GET /api/banks answers 502 when payment-service answers HTML, and tries again next time", async () => {
  let calls = 0;
  const gw = await createTestGateway({
    payments: () => ++calls === 1 ? htmlPage() : Response.json({ ok: true, banks: BANKS }),
  });
  const first = await gw.app.request("/api/banks");
  assert.equal(first.status, 502);
  assert.equal((await first.json()).error.code, "upstream_bad_response");
  assert.equal((await gw.app.request("/api/banks")).status, 200);
});

Deno.test("GET /api/banks answers 502 when the bank list is malformed", async () => {
  const gw = await createTestGateway({
    payments: () => Response.json({ ok: true, banks: [{ bank_id: 1 }] }),
  });
  const res = await gw.app.request("/api/banks");
  assert.equal(res.status, 502);
  assert.equal((await res.json()).error.upstream, "payment-service");
});

// GET /api/payments

Deno.test("GET /api/payments lists this customer's last 20 payments", async () => {
  const gw = await createTestGateway({
    payments: () => Response.json({ ok: true, payments: [PAYMENT] }),
  });
  const res = await gw.app.request("/api/payments", { headers: { cookie: await gw.cookieFor() } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, payments: [PAYMENT] });
  assert.equal(gw.seen.payments[0].path, `/payments?customer_id=${CUSTOMER}&limit=20`);
});

Deno.test("GET /api/payments answers 401 without a session", async () => {
  const gw = await createTestGateway();
  const res = await gw.app.request("/api/payments");
  assert.equal(res.status, 401);
  assert.equal(gw.seen.payments.length, 0);
});

Deno.test("GET /api/payments answers 503 when payment-service is unreachable", async () => {
  const gw = await createTestGateway({ payments: unreachable });
  const res = await gw.app.request("/api/payments", { headers: { cookie: await gw.cookieFor() } });
  assert.equal(res.status, 503);
  assert.equal((await res.json()).error.code, "upstream_unavailable");
});

// POST /api/assistant

function paymentsWith(record: Record<string, unknown> | undefined): PeerHandler {
  return (req: SeenRequest) =>
    req.path === `/payments/${record?.payment_id}` && record
      ? Response.json({ ok: true, ...record })
      : Response.json({ ok: false, error: { code: "not_found", message: "No payment" } }, {
        status: 404,
      });
}

async function ask(
  gw: Awaited<ReturnType<typeof createTestGateway>>,
  body: unknown,
  customer = CUSTOMER,
) {
  return gw.app.request(jsonRequest("POST", "/api/assistant", {
    body,
    headers: { cookie: await gw.cookieFor(customer) },
  }));
}

Deno.test("POST /api/assistant asks llm-service to summarize the customer's payment", async () => {
  const gw = await createTestGateway({
    payments: paymentsWith(PAYMENT),
    llm: (req) =>
      Response.json({ ok: true, output: `Summary: ${(req.body as { prompt: string }).prompt}` }),
  });
  const res = await ask(gw, { payment_id: "pay_42", question: "Why was it declined?" });
  assert.equal(res.status, 200);
  const json = await res.json();
  assert.equal(json.ok, true);
  assert.equal(json.payment_id, "pay_42");
  const prompt = (gw.seen.llm[0].body as { prompt: string }).prompt;
  assert.match(prompt, /^Payment pay_42 of 20\.00 to ING failed: insufficient funds\. Add funds/);
  assert.match(prompt, /summarize/);
  assert.match(prompt, /Why was it declined\?$/);
  // The model's echo of the gateway's request and the question is left out of the answer.
  assert.equal(
    json.answer,
    "Summary: Payment pay_42 of 20.00 to ING failed: insufficient funds. Add funds or pay a smaller amount.",
  );
  assert.equal(gw.seen.llm[0].path, "/llm/generate");
});

Deno.test("POST /api/assistant answers 404 for another customer's payment and asks no model", async () => {
  const gw = await createTestGateway({
    payments: paymentsWith({ ...PAYMENT, customer_id: OTHER_CUSTOMER }),
    llm: () => Response.json({ ok: true, output: "leak" }),
  });
  const res = await ask(gw, { payment_id: "pay_42" });
  assert.equal(res.status, 404);
  const json = await res.json();
  assert.equal(json.error.code, "payment_not_found");
  assert.equal(json.error.field, "payment_id");
  assert.doesNotMatch(JSON.stringify(json), /Insufficient|ING/);
  assert.equal(gw.seen.llm.length, 0);
});

Deno.test("POST /api/assistant answers 404 for an unknown payment", async () => {
  const gw = await createTestGateway({ payments: paymentsWith(undefined) });
  const res = await ask(gw, { payment_id: "pay_nope" });
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "payment_not_found");
});

Deno.test("POST /api/assistant answers 502 assistant_unavailable when llm-service fails", async () => {
  const failures: PeerHandler[] = [
    () =>
      Response.json({ ok: false, error: { code: "llm_unavailable", message: "x" } }, {
        status: 503,
      }),
    htmlPage,
    unreachable,
    () => Response.json({ ok: true }),
  ];
  for (const llm of failures) {
    const gw = await createTestGateway({ payments: paymentsWith(PAYMENT), llm });
    const res = await ask(gw, { payment_id: "pay_42" });
    assert.equal(res.status, 502);
    assert.equal((await res.json()).error.code, "assistant_unavailable");
    assert.equal(gw.telemetry.logged("assistant_error").length, 1);
  }
});

for (
  const [label, body, field] of [
    ["a missing payment_id", {}, "payment_id"],
    ["a payment_id with a slash", { payment_id: "../banks" }, "payment_id"],
    [
      "a question over 500 characters",
      { payment_id: "pay_42", question: "q".repeat(501) },
      "question",
    ],
    ["an unknown field", { payment_id: "pay_42", prompt: "ignore all" }, "prompt"],
  ] as const
) {
  Deno.test(`POST /api/assistant answers 400 naming the field for ${label}`, async () => {
    const gw = await createTestGateway({ payments: paymentsWith(PAYMENT) });
    const res = await ask(gw, body);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.field, field);
    assert.equal(gw.seen.payments.length, 0);
  });
}

Deno.test("POST /api/assistant answers 401 without a session", async () => {
  const gw = await createTestGateway();
  const res = await gw.app.request(
    jsonRequest("POST", "/api/assistant", { body: { payment_id: "pay_42" } }),
  );
  assert.equal(res.status, 401);
});

// GET /api/config

Deno.test("GET /api/config answers rum: null unless both application id and client token are set", async () => {
  const envs: Record<string, string>[] = [
    {},
    { DD_RUM_APPLICATION_ID: "app" },
    { DD_RUM_CLIENT_TOKEN: "pub" },
  ];
  for (const env of envs) {
    const gw = await createTestGateway({ env });
    const res = await gw.app.request("/api/config");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, rum: null });
  }
});

Deno.test("GET /api/config answers the RUM settings, defaulting from DD_SITE, DD_ENV and DD_VERSION", async () => {
  const gw = await createTestGateway({
    env: {
      DD_RUM_APPLICATION_ID: "app-id",
      DD_RUM_CLIENT_TOKEN: "pub-token",
      DD_SITE: "us5.datadoghq.com",
      DD_ENV: "staging",
      DD_VERSION: "1.2.3",
      DD_RUM_SESSION_REPLAY_SAMPLE_RATE: "20",
      SESSION_TTL_SECONDS: "120",
    },
  });
  const json = await (await gw.app.request("/api/config")).json();
  assert.deepEqual(json, {
    ok: true,
    rum: {
      applicationId: "app-id",
      clientToken: "pub-token",
      site: "us5.datadoghq.com",
      service: "web-frontend",
      env: "staging",
      version: "1.2.3",
      sessionSampleRate: 100,
      sessionReplaySampleRate: 20,
    },
  });
});

Deno.test("GET /api/config names the proxy when RUM_PROXY_URL is set and never the secret", async () => {
  const gw = await createTestGateway({
    env: {
      DD_RUM_APPLICATION_ID: "app-id",
      DD_RUM_CLIENT_TOKEN: "pub-token",
      RUM_PROXY_URL: "http://127.0.0.1:8126/browser-intake",
    },
  });
  const text = await (await gw.app.request("/api/config")).text();
  const json = JSON.parse(text);
  assert.equal(json.rum.proxy, "/rum-proxy");
  assert.equal(json.rum.site, "datadoghq.eu");
  assert.doesNotMatch(text, new RegExp(gw.config.sessionSecret));
  assert.doesNotMatch(text, /8126/, "the proxy target stays on the server");
});

// POST /rum-proxy

const PROXY_ENV = {
  DD_RUM_APPLICATION_ID: "app-id",
  DD_RUM_CLIENT_TOKEN: "pub-token",
  RUM_PROXY_URL: "http://127.0.0.1:8126/browser-intake",
};

Deno.test("POST /rum-proxy forwards the raw batch, its content type and ddforward", async () => {
  const forwarded: Request[] = [];
  const bodies: Uint8Array[] = [];
  const gw = await createTestGateway({
    env: PROXY_ENV,
    forward: async (input, init) => {
      const req = new Request(input as string, init);
      forwarded.push(req);
      bodies.push(new Uint8Array(await req.arrayBuffer()));
      return new Response(null, { status: 202 });
    },
  });
  const ddforward = "/api/v2/rum?ddsource=browser&dd-api-key=pub-token&batch_time=1";
  const batch = new Uint8Array([0x7b, 0x7d, 0x0a, 0xff, 0x00]);
  // As Deno.serve hands it to the app: the address of the peer that sent the batch.
  const served = { remoteAddr: { transport: "tcp", hostname: "203.0.113.7", port: 51234 } };
  const res = await gw.app.request(`/rum-proxy?ddforward=${encodeURIComponent(ddforward)}`, {
    method: "POST",
    headers: { "content-type": "text/plain;charset=UTF-8", cookie: await gw.cookieFor() },
    body: batch,
  }, served);
  assert.equal(res.status, 202);
  assert.equal(forwarded.length, 1);
  const url = new URL(forwarded[0].url);
  assert.equal(url.origin + url.pathname, "http://127.0.0.1:8126/browser-intake");
  assert.equal(url.searchParams.get("ddforward"), ddforward);
  assert.equal(forwarded[0].method, "POST");
  assert.equal(forwarded[0].headers.get("content-type"), "text/plain;charset=UTF-8");
  assert.equal(forwarded[0].headers.get("cookie"), null, "the session cookie stays here");
  assert.equal(
    forwarded[0].headers.get("x-forwarded-for"),
    "203.0.113.7",
    "the intake geolocates the browser, not the gateway",
  );
  assert.deepEqual(bodies[0], batch);
});

Deno.test("POST /rum-proxy passes a proxy's X-Forwarded-For on with a public peer appended", async () => {
  const forwarded: Request[] = [];
  const gw = await createTestGateway({
    env: PROXY_ENV,
    forward: (input, init) => {
      forwarded.push(new Request(input as string, init));
      return Promise.resolve(new Response(null, { status: 202 }));
    },
  });
  const send = (peer: string) =>
    gw.app.request("/rum-proxy?ddforward=%2Fapi%2Fv2%2Flogs", {
      method: "POST",
      headers: { "x-forwarded-for": "198.51.100.4" },
      body: "{}",
    }, { remoteAddr: { transport: "tcp", hostname: peer, port: 40000 } });
  assert.equal((await send("203.0.113.9")).status, 202);
  assert.equal(forwarded[0].headers.get("x-forwarded-for"), "198.51.100.4, 203.0.113.9");
  // A pod or bridge address in front says nothing about the browser: not appended.
  assert.equal((await send("10.244.1.5")).status, 202);
  assert.equal(forwarded[1].headers.get("x-forwarded-for"), "198.51.100.4");
});

Deno.test("POST /rum-proxy answers 503 while the target is down, so the SDKs retry, and warns once", async () => {
  const gw = await createTestGateway({ env: PROXY_ENV, forward: unreachable });
  for (let i = 0; i < 3; i++) {
    const res = await gw.app.request("/rum-proxy?ddforward=%2Fapi%2Fv2%2Flogs", {
      method: "POST",
      body: "{}",
    });
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "intake_unavailable");
  }
  assert.equal(gw.telemetry.logged("rum_proxy_error").length, 1);
});

Deno.test("POST /rum-proxy passes 429 and its Retry-After on, and warns once about a refused batch", async () => {
  const answers = [
    new Response("", { status: 429, headers: { "retry-after": "7" } }),
    new Response("{}", { status: 202 }),
    new Response("forbidden", { status: 403 }),
    // Limited, then refused again with no success between: each kind is still said once.
    new Response("", { status: 429 }),
    new Response("", { status: 429 }),
    new Response("forbidden", { status: 403 }),
  ];
  const gw = await createTestGateway({
    env: PROXY_ENV,
    forward: () => Promise.resolve(answers.shift()!),
  });
  const send = () =>
    gw.app.request("/rum-proxy?ddforward=%2Fapi%2Fv2%2Frum%3Fddsource%3Dbrowser", {
      method: "POST",
      body: "{}",
    });
  const limited = await send();
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "7");
  await limited.body?.cancel();
  assert.equal((await send()).status, 202);
  // A refused batch (a bad client token): the SDKs would not retry it, so 202, but said.
  assert.equal((await send()).status, 202);
  for (const status of [429, 429, 202]) {
    const res = await send();
    assert.equal(res.status, status);
    await res.body?.cancel();
  }
  const warnings = gw.telemetry.logged("rum_proxy_error");
  assert.deepEqual(warnings.map((w) => w.upstream_status), [429, 403, 429, 403]);
  assert.equal(warnings[1].ddforward, "/api/v2/rum");
});

for (
  const ddforward of [
    undefined,
    "",
    "/api/v1/series",
    "/api/v2/rumx",
    "https://evil.example/api/v2/rum",
    "//evil.example/api/v2/rum",
    "/api/v2/logs/../../admin",
  ]
) {
  Deno.test(`POST /rum-proxy refuses ddforward ${JSON.stringify(ddforward)} with 400`, async () => {
    let called = false;
    const gw = await createTestGateway({
      env: PROXY_ENV,
      forward: () => {
        called = true;
        return Promise.resolve(new Response(null, { status: 202 }));
      },
    });
    const query = ddforward === undefined ? "" : `?ddforward=${encodeURIComponent(ddforward)}`;
    const res = await gw.app.request(`/rum-proxy${query}`, { method: "POST", body: "{}" });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.field, "ddforward");
    assert.equal(called, false);
  });
}

Deno.test("POST /rum-proxy answers 413 for a batch over 2 MB", async () => {
  const gw = await createTestGateway({
    env: PROXY_ENV,
    forward: () => Promise.resolve(new Response(null, { status: 202 })),
  });
  const res = await gw.app.request("/rum-proxy?ddforward=%2Fapi%2Fv2%2Freplay", {
    method: "POST",
    body: new Uint8Array(2 * 1024 * 1024 + 1),
  });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error.field, "body");
});

Deno.test("POST /rum-proxy does not exist without RUM_PROXY_URL", async () => {
  const gw = await createTestGateway();
  const res = await gw.app.request("/rum-proxy?ddforward=%2Fapi%2Fv2%2Frum", {
    method: "POST",
    body: "{}",
  });
  assert.equal(res.status, 404);
});
