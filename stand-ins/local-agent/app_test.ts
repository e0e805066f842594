import assert from "node:assert/strict";
import { encode64, putMsgpack, testAgent } from "./_testing.ts";
import { type BodyLimits, ENDPOINTS, RATE_BY_SERVICE } from "./app.ts";
import { loadPage } from "./page.ts";
import type { StoreLimits } from "./store.ts";

const page = await loadPage();

function setup(
  options: { limits?: Partial<StoreLimits>; bodyLimits?: Partial<BodyLimits> } = {},
) {
  return testAgent({ ...options, page });
}

function span(traceId: bigint, spanId: bigint, overrides: Record<string, unknown> = {}) {
  return {
    trace_id: traceId,
    span_id: spanId,
    parent_id: 0n,
    name: "web.request",
    resource: "POST /api/pay",
    service: "web-frontend",
    error: 0,
    start: 1_764_000_000_000_000_000n + spanId * 1_000_000n,
    duration: 1_000_000,
    meta: {},
    metrics: {},
    ...overrides,
  };
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    body: typeof body === "string" || body instanceof Uint8Array
      ? body as BodyInit
      : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  };
}

async function assertError(response: Response, status: number, field?: string) {
  assert.equal(response.status, status);
  const body = await response.json();
  assert.equal(body.ok, false);
  assert.equal(typeof body.error.code, "string");
  assert.equal(typeof body.error.message, "string");
  if (field !== undefined) assert.equal(body.error.field, field);
}

// ---- /info and health --------------------------------------------------------------------

Deno.test("GET /info advertises the endpoints served, the EVP proxy and the ports", async () => {
  const { json } = setup();
  const info = await json("/info");
  assert.deepEqual(info.endpoints, ENDPOINTS);
  assert.ok(info.endpoints.some((e: string) => e.startsWith("/evp_proxy/v2/")));
  assert.match(info.version, /^7\.\d+\.\d+/);
  assert.equal(info.client_drop_p0s, false);
  assert.equal(info.config.receiver_port, 8126);
  assert.equal(info.config.statsd_port, 8125);
  assert.ok(info.evp_proxy_allowed_headers.includes("Content-Type"));
});

Deno.test("GET /healthz and /readyz answer 200 JSON", async () => {
  const { json } = setup();
  assert.deepEqual(await json("/healthz"), { ok: true });
  assert.deepEqual(await json("/readyz"), { ok: true });
});

// ---- traces --------------------------------------------------------------------------------

Deno.test("PUT /v0.4/traces answers rate_by_service and the trace shows in /local/traces", async () => {
  const { request, json } = setup();
  const child = span(0xfedcba9876543210n, 2n, {
    parent_id: 1n,
    service: "payment-service",
    name: "payment.pay",
    error: 1,
    meta: { "error.message": "Insufficient funds" },
  });
  const response = await request(
    "/v0.4/traces",
    putMsgpack(encode64([[child, span(0xfedcba9876543210n, 1n)]])),
  );
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), RATE_BY_SERVICE);

  const [trace] = await json("/local/traces");
  assert.equal(trace.trace_id, "18364758544493064720");
  assert.deepEqual(trace.spans.map((s: { span_id: string }) => s.span_id), ["1", "2"]);
  const pay = trace.spans[1];
  assert.equal(pay.parent_id, "1");
  assert.equal(pay.service, "payment-service");
  assert.equal(pay.error, 1);
  assert.equal(pay.meta["error.message"], "Insufficient funds");
  for (
    const key of [
      "service",
      "name",
      "resource",
      "trace_id",
      "span_id",
      "parent_id",
      "error",
      "start",
      "duration",
      "meta",
      "metrics",
    ]
  ) {
    assert.ok(key in pay, `span has ${key}`);
  }
});

Deno.test("POST /v0.5/traces is accepted too", async () => {
  const { request, json } = setup();
  const strings = ["", "auth-service", "auth.login", "POST /auth/login"];
  const body = encode64([strings, [[[1, 2, 3, 5n, 6n, 0n, 1n, 2, 0, {}, {}, 0]]]]);
  const response = await request("/v0.5/traces", { ...putMsgpack(body), method: "POST" });
  assert.equal(response.status, 200);
  const [trace] = await json("/local/traces");
  assert.equal(trace.spans[0].service, "auth-service");
});

Deno.test("/local/traces lists newest first, filters by service and honours limit", async () => {
  const { request, json } = setup();
  for (
    const [id, service] of [[1n, "auth-service"], [2n, "web-frontend"], [
      3n,
      "auth-service",
    ]] as const
  ) {
    await request("/v0.4/traces", putMsgpack(encode64([[span(id, id, { service })]])));
  }
  assert.deepEqual((await json("/local/traces")).map((t: { trace_id: string }) => t.trace_id), [
    "3",
    "2",
    "1",
  ]);
  assert.deepEqual(
    (await json("/local/traces?service=auth-service")).map((t: { trace_id: string }) => t.trace_id),
    ["3", "1"],
  );
  assert.equal((await json("/local/traces?limit=1")).length, 1);
});

Deno.test("/local/traces?q= searches every held trace before the limit, case-insensitively", async () => {
  const { request, json } = setup();
  await request(
    "/v0.4/traces",
    putMsgpack(encode64([[span(1n, 1n, {
      service: "fraud-service",
      resource: "POST /check",
      meta: { "payment.id": "pay_0abc", reason: "Suspected Fraud" },
    })]])),
  );
  for (const id of [2n, 3n, 4n]) {
    await request("/v0.4/traces", putMsgpack(encode64([[span(id, id)]])));
  }
  const ids = async (query: string) =>
    (await json(`/local/traces?${query}`)).map((t: { trace_id: string }) => t.trace_id);
  // The oldest trace is found though three newer ones fill a limit of 2.
  assert.deepEqual(await ids("q=FRAUD&limit=2"), ["1"]);
  assert.deepEqual(await ids("q=post%20/check"), ["1"]);
  assert.deepEqual(await ids("q=pay_0ABC"), ["1"], "a tag value, such as a payment id");
  assert.deepEqual(await ids("q=3"), ["3"], "a trace id matches too");
  assert.deepEqual(await ids("q=nothing-like-it"), []);
  assert.deepEqual(await ids("q=%20&limit=2"), ["4", "3"], "a blank search is no search");
});

Deno.test("/local/logs?q= searches everything every held log holds", async () => {
  const { request, json } = setup();
  await request(
    "/api/v2/logs",
    post([
      {
        service: "jira-poller",
        message: JSON.stringify({
          level: "error",
          message: "jira_poll_failed",
          payment_id: "pay_9f",
        }),
      },
      ...["a", "b", "c"].map((m) => ({ service: "web-frontend", message: m })),
    ]),
  );
  const messages = async (query: string) =>
    (await json(`/local/logs?${query}`)).map((l: { message: string }) => l.message);
  assert.deepEqual(await messages("q=poll_FAILED&limit=1"), ["jira_poll_failed"]);
  assert.deepEqual(await messages("q=error"), ["jira_poll_failed"]);
  assert.deepEqual(await messages("q=web-frontend&limit=2"), ["c", "b"]);
  assert.deepEqual(await messages("q=PAY_9F"), ["jira_poll_failed"], "a field of the line");
});

Deno.test("GET /local/traces/:id finds a trace by its decimal or 128-bit hex id", async () => {
  const { request, json } = setup();
  await request("/v0.4/traces", putMsgpack(encode64([[span(0xfedcba9876543210n, 1n)]])));
  assert.equal((await json("/local/traces/18364758544493064720")).spans.length, 1);
  assert.equal((await json("/local/traces/6925a1b200000000fedcba9876543210")).spans.length, 1);
  await assertError(await request("/local/traces/99"), 404, "trace_id");
  await assertError(await request("/local/traces/not-an-id"), 400, "trace_id");
});

Deno.test("PUT /v0.4/traces accepts a gzip-encoded body", async () => {
  const { request, json } = setup();
  const body = await gzip(encode64([[span(7n, 7n)]]));
  const response = await request("/v0.4/traces", putMsgpack(body, { "content-encoding": "gzip" }));
  assert.equal(response.status, 200);
  assert.equal((await json("/local/traces"))[0].trace_id, "7");
});

Deno.test("PUT /v0.4/traces answers 400 for garbage and counts the rejection", async () => {
  const { request, store, lines } = setup();
  await assertError(
    await request("/v0.4/traces", putMsgpack("definitely not msgpack")),
    400,
    "body",
  );
  await assertError(
    await request("/v0.4/traces", putMsgpack(encode64([[{ span_id: 1n, trace_id: "x" }]]))),
    400,
    "traces[0][0].trace_id",
  );
  assert.equal(store.counters.rejected["400"], 2);
  assert.equal(store.traces.size, 0);
  assert.ok(lines.some((l) => l.message === "intake_rejected" && l.status === 400));
});

Deno.test("PUT /v0.4/traces answers 413 past the body limit, declared or streamed", async () => {
  const { request } = setup({ bodyLimits: { traces: 64 } });
  const big = encode64([[span(1n, 1n, { meta: { pad: "x".repeat(200) } })]]);
  await assertError(
    await request("/v0.4/traces", putMsgpack(big, { "content-length": String(big.length) })),
    413,
  );
  await assertError(await request("/v0.4/traces", putMsgpack(new Blob([big]).stream())), 413);
});

Deno.test("a gzip body that expands past the limit answers 413", async () => {
  const { request } = setup({ bodyLimits: { traces: 1024 } });
  const bomb = await gzip(new Uint8Array(64 * 1024) as Uint8Array<ArrayBuffer>);
  assert.ok(bomb.length < 1024);
  await assertError(
    await request("/v0.4/traces", putMsgpack(bomb, { "content-encoding": "gzip" })),
    413,
  );
});

Deno.test("a body that is not the gzip it claims answers 400, an unknown encoding 415", async () => {
  const { request } = setup();
  await assertError(
    await request("/v0.4/traces", putMsgpack("plain", { "content-encoding": "gzip" })),
    400,
    "body",
  );
  await assertError(
    await request("/v0.4/traces", putMsgpack("plain", { "content-encoding": "br" })),
    415,
    "content-encoding",
  );
});

Deno.test("PUT /v0.6/stats accepts a msgpack map and refuses anything else", async () => {
  const { request, store } = setup();
  const ok = await request("/v0.6/stats", putMsgpack(encode64({ Stats: [], Hostname: "h" })));
  assert.equal(ok.status, 200);
  assert.equal(store.counters.stats_payloads.received, 1);
  await assertError(await request("/v0.6/stats", putMsgpack(encode64([1, 2]))), 400);
});

// ---- other tracer calls -----------------------------------------------------------------

Deno.test("POST /v0.7/config answers 404 like an Agent without remote configuration", async () => {
  const { request } = setup();
  await assertError(await request("/v0.7/config", post({ client: {} })), 404);
});

Deno.test("POST /telemetry/proxy/... answers 202 for a JSON object and 400 for garbage", async () => {
  const { request, store } = setup();
  const ok = await request(
    "/telemetry/proxy/api/v2/apmtelemetry",
    post({ request_type: "app-started", payload: {} }),
  );
  assert.equal(ok.status, 202);
  assert.equal(store.counters.telemetry.received, 1);
  await assertError(await request("/telemetry/proxy/api/v2/apmtelemetry", post("{nope")), 400);
});

Deno.test("POST /dogstatsd/v2/proxy parses the DogStatsD lines it carries", async () => {
  const { request, json } = setup();
  const response = await request(
    "/dogstatsd/v2/proxy",
    post("runtime.node.mem.rss:1000|g|#service:web-frontend\nrequests:2|c|#service:web-frontend\n"),
  );
  assert.equal(response.status, 200);
  const series = await json("/local/metrics?name=requests");
  assert.deepEqual(series, [{
    name: "requests",
    type: "count",
    tags: ["service:web-frontend"],
    count: 1,
    sum: 2,
    last: 2,
  }]);
});

// ---- LLM Observability --------------------------------------------------------------------

const LLM_SPAN = {
  trace_id: "6925a1b2000000001111111111111111",
  span_id: "42",
  parent_id: "undefined",
  name: "llm_request",
  tags: ["ml_app:payments-assistant"],
  start_ns: 1,
  duration: 5,
  status: "ok",
  meta: { "span.kind": "workflow", input: { value: "summarize this" }, output: { value: "ok" } },
  metrics: {},
  _dd: { apm_trace_id: "6925a1b200000000fedcba9876543210" },
};

Deno.test("POST /evp_proxy/v2/api/v2/llmobs stores spans shown by /local/llmobs", async () => {
  const { request, json } = setup();
  const response = await request(
    "/evp_proxy/v2/api/v2/llmobs",
    post([{ "_dd.stage": "raw", event_type: "span", spans: [LLM_SPAN] }], {
      "x-datadog-evp-subdomain": "llmobs-intake",
    }),
  );
  assert.equal(response.status, 202);
  const data = await json("/local/llmobs");
  assert.equal(data.spans.length, 1);
  assert.equal(data.spans[0].span_kind, "workflow");
  assert.equal(data.spans[0].apm_trace_id, "18364758544493064720");
  assert.deepEqual(data.evaluations, []);
  assert.equal((await json(`/local/llmobs?q=${LLM_SPAN.name}`)).spans.length, 1);
  assert.equal((await json("/local/llmobs?q=no-such-span")).spans.length, 0);
});

Deno.test("POST /evp_proxy/v2/api/intake/llm-obs/v2/eval-metric stores gzip-encoded evaluations", async () => {
  const { request, json } = setup();
  const body = new TextEncoder().encode(JSON.stringify({
    data: {
      type: "evaluation_metric",
      attributes: {
        metrics: [{
          join_on: { span: { span_id: "42", trace_id: "1" } },
          label: "sentiment",
          metric_type: "categorical",
          categorical_value: "positive",
          ml_app: "payments-assistant",
        }],
      },
    },
  })) as Uint8Array<ArrayBuffer>;
  const response = await request(
    "/evp_proxy/v2/api/intake/llm-obs/v2/eval-metric",
    post(await gzip(body), { "content-encoding": "gzip", "x-datadog-evp-subdomain": "api" }),
  );
  assert.equal(response.status, 202);
  const [evaluation] = (await json("/local/llmobs")).evaluations;
  assert.equal(evaluation.event.label, "sentiment");
  assert.equal(evaluation.event.categorical_value, "positive");
});

Deno.test("the EVP proxy answers 404 for an intake it does not know and 400 for bad JSON", async () => {
  const { request } = setup();
  const sub = { "x-datadog-evp-subdomain": "llmobs-intake" };
  await assertError(await request("/evp_proxy/v2/api/v2/citestcycle", post({}, sub)), 404, "path");
  await assertError(await request("/evp_proxy/v2/api/v2/llmobs", post("[{", sub)), 400);
  await assertError(
    await request("/evp_proxy/v2/api/v2/llmobs", post([{ spans: [{}] }], sub)),
    400,
  );
});

Deno.test("the EVP proxy refuses a request that names no intake subdomain, as the Agent does", async () => {
  const { request, json } = setup();
  const body = [{ event_type: "span", spans: [LLM_SPAN] }];
  const cases: Record<string, string>[] = [{}, { "x-datadog-evp-subdomain": "evil.example/x" }];
  for (const headers of cases) {
    await assertError(
      await request("/evp_proxy/v2/api/v2/llmobs", post(body, headers)),
      400,
      "X-Datadog-EVP-Subdomain",
    );
  }
  assert.deepEqual((await json("/local/llmobs")).spans, []);
});

// ---- browser -------------------------------------------------------------------------------

function forward(path: string) {
  return `/browser-intake?ddforward=${encodeURIComponent(path)}`;
}

Deno.test("POST /browser-intake routes RUM events and browser logs by ddforward", async () => {
  const { request, json } = setup();
  const rum = [
    JSON.stringify({ type: "view", view: { url: "http://localhost:8080/" } }),
    JSON.stringify({ type: "action", action: { target: { name: "pay_attempt" } } }),
  ].join("\n");
  const a = await request(
    forward("/api/v2/rum?ddsource=browser&dd-api-key=pubtoken&batch_time=1"),
    post(rum, { "content-type": "text/plain;charset=UTF-8" }),
  );
  assert.equal(a.status, 202);
  const b = await request(
    forward("/api/v2/logs?ddsource=browser&dd-api-key=pubtoken"),
    post(JSON.stringify({ message: "payment_failed", status: "error" }), {
      "content-type": "text/plain",
    }),
  );
  assert.equal(b.status, 202);
  const all = await json("/local/rum");
  assert.deepEqual(all.map((e: { kind: string; type: string }) => [e.kind, e.type]), [
    ["browser_log", "log"],
    ["rum", "action"],
    ["rum", "view"],
  ]);
  const actions = await json("/local/rum?kind=rum&type=action");
  assert.equal(actions[0].event.action.target.name, "pay_attempt");
  // q= searches everything an event holds.
  const found = await json("/local/rum?q=PAY_ATTEMPT");
  assert.deepEqual(found.map((e: { type: string }) => e.type), ["action"]);
  assert.doesNotMatch(JSON.stringify(all), /pubtoken/);
});

Deno.test("POST /browser-intake keeps only the metadata of a replay upload", async () => {
  const { request, json } = setup();
  const form = new FormData();
  form.append("segment", new Blob([new Uint8Array(128)]), "s1-1");
  form.append("event", new Blob([JSON.stringify({ session: { id: "s1" }, records_count: 3 })]));
  const response = await request(forward("/api/v2/replay?ddsource=browser"), {
    method: "POST",
    body: form,
  });
  assert.equal(response.status, 202);
  const [entry] = await json("/local/rum?kind=replay");
  assert.equal(entry.event.records_count, 3);
  assert.equal(entry.event.segment_bytes, 128);
});

Deno.test("POST /browser-intake answers a page on another origin, preflight included", async () => {
  const { request } = setup();
  const preflight = await request(forward("/api/v2/rum"), {
    method: "OPTIONS",
    headers: { origin: "http://localhost:8080", "access-control-request-method": "POST" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
  const sent = await request(
    forward("/api/v2/rum"),
    post(JSON.stringify({ type: "view" }), { origin: "http://localhost:8080" }),
  );
  assert.equal(sent.status, 202);
  assert.equal(sent.headers.get("access-control-allow-origin"), "*");
});

Deno.test("POST /browser-intake answers 400 naming ddforward when it is missing", async () => {
  const { request } = setup();
  await assertError(await request("/browser-intake", post("{}")), 400, "ddforward");
  await assertError(await request(forward("/api/v2/rum"), post("not json at all")), 400, "body");
});

// ---- service logs --------------------------------------------------------------------------

Deno.test("POST /api/v2/logs stores lines linked to their trace and filterable", async () => {
  const { request, json } = setup();
  const line = (message: string, traceId?: string) =>
    JSON.stringify({
      level: "info",
      message,
      service: "payment-service",
      ...(traceId ? { dd: { trace_id: traceId, span_id: "5" } } : {}),
    });
  const response = await request(
    "/api/v2/logs",
    post([
      {
        service: "payment-service",
        ddsource: "deno",
        hostname: "h",
        message: line("payment_created", "6925a1b200000000fedcba9876543210"),
      },
      {
        service: "payment-service",
        ddsource: "deno",
        hostname: "h",
        message: line("payment_settled", "1234"),
      },
      { service: "auth-service", ddsource: "deno", hostname: "h", message: "plain text" },
    ]),
  );
  assert.equal(response.status, 202);
  const byHex = await json("/local/logs?trace_id=6925a1b200000000fedcba9876543210");
  assert.deepEqual(byHex.map((l: { message: string }) => l.message), ["payment_created"]);
  assert.equal(byHex[0].trace_id, "18364758544493064720");
  const byDecimal = await json("/local/logs?trace_id=18364758544493064720");
  assert.equal(byDecimal.length, 1);
  assert.equal((await json("/local/logs?service=auth-service"))[0].message, "plain text");
  assert.equal((await json("/local/logs")).length, 3);
});

Deno.test("POST /api/v2/logs answers 400 naming the bad entry", async () => {
  const { request } = setup();
  await assertError(
    await request("/api/v2/logs", post([{ service: "s", message: 1 }])),
    400,
    "[0].message",
  );
  await assertError(await request("/api/v2/logs", post("[oops")), 400, "body");
  await assertError(
    await request("/api/v2/logs", post(new Uint8Array([0xff, 0xfe, 0xfd]))),
    400,
    "body",
  );
});

Deno.test("the log store drops the oldest records past its limit", async () => {
  const { request, json, store } = setup({ limits: { maxLogs: 2 } });
  await request("/api/v2/logs", post(["a", "b", "c"].map((message) => ({ message }))));
  assert.deepEqual((await json("/local/logs")).map((l: { message: string }) => l.message), [
    "c",
    "b",
  ]);
  assert.equal(store.counters.logs.dropped, 1);
});

// ---- query API -----------------------------------------------------------------------------

Deno.test("query parameters that do not parse answer 400 naming them", async () => {
  const { request } = setup();
  await assertError(await request("/local/traces?limit=abc"), 400, "limit");
  await assertError(await request("/local/logs?limit=0"), 400, "limit");
  await assertError(await request("/local/logs?trace_id=zzz"), 400, "trace_id");
});

Deno.test("/local/metrics filters by name and tag", async () => {
  const { store, json } = setup();
  store.addDogStatsD(
    "payment.created:1|c|#bank:FNB\npayment.created:1|c|#bank:ING\nauth.ok:1|c",
    "udp",
  );
  assert.equal((await json("/local/metrics")).length, 3);
  assert.equal((await json("/local/metrics?name=payment.created")).length, 2);
  const ing = await json("/local/metrics?name=payment.created&tag=bank:ING");
  assert.deepEqual(ing.map((s: { tags: string[] }) => s.tags), [["bank:ING"]]);
});

Deno.test("/local/events lists DogStatsD events and service checks", async () => {
  const { store, json } = setup();
  store.addDogStatsD("_e{5,2}:title|hi\n_sc|check|1", "udp");
  const events = await json("/local/events");
  assert.deepEqual(events.map((e: { kind: string }) => e.kind), ["service_check", "event"]);
});

Deno.test("/local/stats counts what arrived and DELETE /local/session forgets everything", async () => {
  const { request, json, store } = setup();
  await request("/v0.4/traces", putMsgpack(encode64([[span(1n, 1n)]])));
  store.addDogStatsD("a:1|c", "udp");
  const stats = await json("/local/stats");
  assert.equal(stats.traces.received, 1);
  assert.equal(stats.held.traces, 1);
  assert.equal(stats.dogstatsd.lines, 1);
  assert.ok(stats.memory.rss > 0);

  const cleared = await request("/local/session", { method: "DELETE" });
  assert.equal(cleared.status, 200);
  assert.deepEqual(await json("/local/traces"), []);
  assert.deepEqual(await json("/local/metrics"), []);
  assert.equal((await json("/local/stats")).traces.received, 0);
});

Deno.test("an unknown route answers a 404 JSON error naming it", async () => {
  const { request } = setup();
  const response = await request("/v0.3/traces");
  assert.equal(response.status, 404);
  assert.match((await response.json()).error.message, /No route for GET \/v0\.3\/traces/);
});

// ---- page ----------------------------------------------------------------------------------

Deno.test("GET / serves the page and its script and style", async () => {
  const { request } = setup();
  const html = await request("/");
  assert.match(html.headers.get("content-type") ?? "", /text\/html/);
  const text = await html.text();
  assert.match(text, /<script type="module" src="\/app\.js">/);
  const js = await request("/app.js");
  assert.match(js.headers.get("content-type") ?? "", /javascript/);
  assert.match(await js.text(), /\/local\/traces/);
  assert.match((await request("/style.css")).headers.get("content-type") ?? "", /text\/css/);
});

Deno.test("the page never turns received data into HTML and loads nothing from elsewhere", () => {
  assert.doesNotMatch(page.js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  assert.doesNotMatch(page.html + page.js + page.css, /https?:\/\//);
});
