import assert from "node:assert/strict";
import { z } from "zod";
import { createReadiness, createServiceApp } from "./app.ts";
import { createLogger } from "./logger.ts";
import { MAX_BODY_BYTES, readJson } from "./validation.ts";

const app = createServiceApp({
  log: createLogger({ service: "svc", sink: () => {} }),
  readiness: createReadiness(true),
  budgetMs: 1000,
});
const Body = z.object({ amount: z.number().positive(), note: z.string().max(5).optional() })
  .strict();
app.post("/things", async (c) => c.json({ ok: true, body: await readJson(c, Body) }));
app.get("/falls-through", async (_c, next) => await next());

async function post(body: BodyInit | null, type = "application/json") {
  const res = await app.request("/things", {
    method: "POST",
    body,
    headers: type ? { "content-type": type } : {},
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("readJson() accepts a valid body", async () => {
  assert.deepEqual(await post(JSON.stringify({ amount: 3 })), {
    status: 200,
    body: { ok: true, body: { amount: 3 } },
  });
});

const cases: [string, BodyInit | null, string, number, string, string][] = [
  ["malformed JSON", "{not json", "application/json", 400, "invalid_json", "body"],
  ["a JSON array", "[1]", "application/json", 400, "invalid_json", "body"],
  ["an empty body", "", "application/json", 400, "invalid_json", "body"],
  ["a wrong type", '{"amount":"12"}', "application/json", 400, "invalid_request", "amount"],
  ["a missing field", "{}", "application/json", 400, "invalid_request", "amount"],
  [
    "an unknown field",
    '{"amount":1,"extra":true}',
    "application/json",
    400,
    "invalid_request",
    "extra",
  ],
  [
    "a too long string",
    '{"amount":1,"note":"toolong"}',
    "application/json",
    400,
    "invalid_request",
    "note",
  ],
  [
    "a non-JSON content type",
    '{"amount":1}',
    "text/plain",
    415,
    "unsupported_media_type",
    "content-type",
  ],
  [
    "a body over the limit",
    JSON.stringify({ amount: 1, note: "x".repeat(MAX_BODY_BYTES) }),
    "application/json",
    413,
    "payload_too_large",
    "body",
  ],
  [
    "invalid UTF-8",
    new Uint8Array([0x7b, 0xff, 0x7d]),
    "application/json",
    400,
    "invalid_json",
    "body",
  ],
];
for (const [label, body, type, status, code, field] of cases) {
  Deno.test(`readJson() answers ${status} ${code} naming '${field}' for ${label}`, async () => {
    const res = await post(body, type);
    assert.equal(res.status, status);
    assert.equal(res.body.ok, false);
    assert.equal(res.body.error.code, code);
    assert.equal(res.body.error.field, field);
    assert.equal(typeof res.body.error.requestId, "string");
  });
}

Deno.test("the service app answers unknown routes with a 404 envelope", async () => {
  const res = await app.request("/nope");
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
  assert.equal(res.headers.get("allow"), null);
});

Deno.test("a route asked with another method answers 405 naming the methods it takes", async () => {
  for (const method of ["GET", "PUT", "DELETE", "HEAD", "OPTIONS"]) {
    const res = await app.request("/things", { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "POST", method);
    if (method === "HEAD") continue;
    const body = await res.json();
    assert.equal(body.error.code, "method_not_allowed");
    assert.equal(body.error.field, "method");
    assert.equal(body.error.message, `/things answers POST, not ${method}`);
  }
  // A route of the request's own method that falls through is a 404, not a 405 naming it.
  const through = await app.request("/falls-through");
  assert.equal(through.status, 404);
  assert.equal((await through.json()).error.code, "not_found");
  // GET routes take HEAD as well; routes added after the handler was set count.
  const res = await app.request("/healthz", { method: "POST" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, HEAD");
  await res.body?.cancel();
});

/** A body that sends `first` and then nothing more, or fails with `error` when given. */
function stalledBody(first: string, error?: Error): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
      if (error) controller.error(error);
    },
  });
}

function appWithBudget(budgetMs: number, acceptCallerBudget?: boolean) {
  const app = createServiceApp({
    log: createLogger({ service: "svc", sink: () => {} }),
    readiness: createReadiness(true),
    budgetMs,
    acceptCallerBudget,
  });
  app.post("/things", async (c) => c.json({ ok: true, body: await readJson(c, Body) }));
  app.get("/falls-through", async (_c, next) => await next());
  app.get("/budget", (c) => c.json({ remaining: c.get("deadline").remaining() }));
  return app;
}

Deno.test("readJson() answers 408 request_timeout for a body that stops arriving, within the budget", async () => {
  const app = appWithBudget(200);
  const started = Date.now();
  const res = await app.request("/things", {
    method: "POST",
    body: stalledBody('{"amount":'),
    headers: { "content-type": "application/json" },
  });
  assert.ok(Date.now() - started < 2000, "the budget bounds the wait");
  assert.equal(res.status, 408);
  const json = await res.json();
  assert.equal(json.error.code, "request_timeout");
  assert.equal(json.error.field, "body");
});

Deno.test("readJson() answers 400 incomplete_body when the connection breaks mid-body", async () => {
  const res = await appWithBudget(1000).request("/things", {
    method: "POST",
    body: stalledBody('{"amount":', new TypeError("connection reset")),
    headers: { "content-type": "application/json" },
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, "incomplete_body");
});

Deno.test("a caller's x-request-budget-ms shortens the budget unless the app faces the public", async () => {
  const headers = { "x-request-budget-ms": "0" };
  const inner = await (await appWithBudget(5000).request("/budget", { headers })).json();
  assert.equal(inner.remaining, 0);
  const edge = await (await appWithBudget(5000, false).request("/budget", { headers })).json();
  assert.ok(edge.remaining > 4000, `${edge.remaining} ms left at the edge`);
});
