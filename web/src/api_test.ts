/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { ApiError, createApi } from "./api.ts";

interface Sent {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
}

/** A fetch that answers every request with `answer` and records what was sent. */
function fakeFetch(answer: (sent: Sent) => Response | Promise<Response>) {
  const sent: Sent[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const request: Sent = {
      method: init.method ?? "GET",
      url: String(input),
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    };
    sent.push(request);
    return await answer(request);
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

const SETTLED = {
  ok: true,
  status: "settled",
  payment_id: "pay_1",
  bank_id: "ING",
  bank_name: "ING",
  amount: 12.5,
};

async function rejectsWith(promise: Promise<unknown>, expected: Partial<ApiError>) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${error}`);
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(error[key as keyof ApiError], value, key);
    }
    return true;
  });
}

Deno.test("pay() sends the body and the Idempotency-Key header and reads a settled payment", async () => {
  const { fetch, sent } = fakeFetch(() => json(200, SETTLED));
  const outcome = await createApi({ fetch }).pay({ bank_id: "ING", amount: 12.5 }, "key-1");
  assert.deepEqual(outcome, {
    kind: "settled",
    payment_id: "pay_1",
    bank_id: "ING",
    bank_name: "ING",
    amount: 12.5,
  });
  assert.equal(sent[0].method, "POST");
  assert.equal(sent[0].url, "/api/pay");
  assert.equal(sent[0].headers.get("idempotency-key"), "key-1");
  assert.equal(sent[0].headers.get("content-type"), "application/json");
  assert.deepEqual(sent[0].body, { bank_id: "ING", amount: 12.5 });
});

Deno.test("pay() turns a 402 into a failed outcome carrying the reason", async () => {
  const { fetch } = fakeFetch(() =>
    json(402, {
      ok: false,
      status: "failed",
      reason: "Insufficient funds",
      next_step: "Add funds or pay a smaller amount.",
      payment_id: "pay_2",
      bank_id: "ABN",
      bank_name: "ABN AMRO Bank",
      amount: 3,
    })
  );
  const outcome = await createApi({ fetch }).pay({ bank_id: "ABN", amount: 3 }, "k");
  assert.deepEqual(outcome, {
    kind: "failed",
    payment_id: "pay_2",
    reason: "Insufficient funds",
    next_step: "Add funds or pay a smaller amount.",
    bank_id: "ABN",
    bank_name: "ABN AMRO Bank",
    amount: 3,
  });
});

Deno.test("pay() turns a 503 'Fraud check unavailable' into a failed outcome", async () => {
  const { fetch } = fakeFetch(() =>
    json(503, { ok: false, status: "failed", reason: "Fraud check unavailable", payment_id: "p3" })
  );
  const outcome = await createApi({ fetch }).pay({ bank_id: "ING", amount: 1 }, "k");
  assert.equal(outcome.kind, "failed");
  assert.equal(outcome.kind === "failed" && outcome.reason, "Fraud check unavailable");
});

Deno.test("pay() turns a 504 payment_outcome_unknown into an unknown outcome", async () => {
  const { fetch } = fakeFetch(() =>
    json(504, {
      ok: false,
      error: { code: "payment_outcome_unknown", message: "Outcome unknown", requestId: "r" },
    })
  );
  const outcome = await createApi({ fetch }).pay({ bank_id: "ING", amount: 1 }, "k");
  assert.equal(outcome.kind, "unknown");
  assert.match(outcome.kind === "unknown" ? outcome.message : "", /Check again/);
});

Deno.test("pay() reports an unknown outcome when the connection drops", async () => {
  const { fetch } = fakeFetch(() => Promise.reject(new TypeError("Failed to fetch")));
  const outcome = await createApi({ fetch }).pay({ bank_id: "ING", amount: 1 }, "k");
  assert.equal(outcome.kind, "unknown");
});

Deno.test("pay() rejects a 400 with the field the gateway named", async () => {
  const { fetch } = fakeFetch(() =>
    json(400, {
      ok: false,
      error: {
        code: "invalid_request",
        message: "amount: must be at most 10000",
        field: "amount",
        requestId: "req-9",
      },
    })
  );
  await rejectsWith(createApi({ fetch }).pay({ bank_id: "ING", amount: 1 }, "k"), {
    status: 400,
    code: "invalid_request",
    message: "amount: must be at most 10000",
    field: "amount",
    requestId: "req-9",
  });
});

Deno.test("banks() rejects a non-JSON answer with a readable message, not a SyntaxError", async () => {
  const { fetch } = fakeFetch(() => new Response("<html>Bad Gateway</html>", { status: 502 }));
  await rejectsWith(createApi({ fetch }).banks(), {
    status: 502,
    code: "bad_response",
    message: "The server gave an answer this page cannot read (HTTP 502). Try again.",
  });
});

Deno.test("banks() rejects a 200 whose list is malformed", async () => {
  const { fetch } = fakeFetch(() => json(200, { ok: true, banks: [{ bank_id: "ING" }] }));
  await rejectsWith(createApi({ fetch }).banks(), { code: "bad_response", status: 200 });
});

Deno.test("banks() reads the bank list", async () => {
  const banks = [{ bank_id: "FNB", bank_name: "FNB" }, { bank_id: "ING", bank_name: "ING" }];
  const { fetch } = fakeFetch(() => json(200, { ok: true, banks }));
  assert.deepEqual(await createApi({ fetch }).banks(), banks);
});

Deno.test("a request that finds no server rejects with network_error", async () => {
  const { fetch } = fakeFetch(() => Promise.reject(new TypeError("Failed to fetch")));
  await rejectsWith(createApi({ fetch }).payments(), { status: 0, code: "network_error" });
});

Deno.test("a request with no answer in time rejects with timeout", async () => {
  const fetch =
    ((_input: RequestInfo | URL, init: RequestInit = {}) =>
      new Promise<Response>((_resolve, reject) => {
        init.signal?.addEventListener("abort", () => reject(new DOMException("", "AbortError")));
      })) as typeof globalThis.fetch;
  await rejectsWith(createApi({ fetch, timeoutMs: 5 }).banks(), { status: 0, code: "timeout" });
});

Deno.test("session() answers null when nobody is logged in", async () => {
  const { fetch } = fakeFetch(() =>
    json(401, { ok: false, error: { code: "unauthenticated", message: "Log in first" } })
  );
  assert.equal(await createApi({ fetch }).session(), null);
});

Deno.test("session() reads the logged-in customer", async () => {
  const { fetch } = fakeFetch(() =>
    json(200, { ok: true, customer_id: "cust_0123456789", username: "ada" })
  );
  assert.deepEqual(await createApi({ fetch }).session(), {
    customer_id: "cust_0123456789",
    username: "ada",
  });
});

Deno.test("login() answers the reason of a refused login", async () => {
  const { fetch, sent } = fakeFetch(() => json(401, { ok: false, reason: "Unknown device" }));
  const result = await createApi({ fetch }).login("ada", "secret");
  assert.deepEqual(result, { ok: false, reason: "Unknown device" });
  assert.deepEqual(sent[0].body, { username: "ada", password: "secret" });
});

Deno.test("an error after login without the gateway's envelope says the session ended", async () => {
  const { fetch } = fakeFetch(() => new Response("", { status: 401 }));
  await rejectsWith(createApi({ fetch }).payments(), { status: 401, code: "unauthenticated" });
});

Deno.test("config() answers null when RUM is off", async () => {
  const { fetch } = fakeFetch(() => json(200, { ok: true, rum: null }));
  assert.equal(await createApi({ fetch }).config(), null);
});

Deno.test("config() reads the RUM settings with their proxy", async () => {
  const rum = {
    applicationId: "app",
    clientToken: "pub123",
    site: "datadoghq.eu",
    service: "web-frontend",
    env: "dev",
    version: "0.1.0",
    sessionSampleRate: 100,
    sessionReplaySampleRate: 50,
    proxy: "/rum-proxy",
  };
  const { fetch } = fakeFetch(() => json(200, { ok: true, rum }));
  assert.deepEqual(await createApi({ fetch }).config(), rum);
});

Deno.test("config() rejects RUM settings with a missing field", async () => {
  const { fetch } = fakeFetch(() => json(200, { ok: true, rum: { applicationId: "app" } }));
  await rejectsWith(createApi({ fetch }).config(), { code: "bad_response" });
});

Deno.test("payments() reads the history and keeps a failure's reason", async () => {
  const payments = [
    {
      payment_id: "p2",
      status: "failed",
      reason: "Invalid recipient",
      bank_id: "HSBC",
      bank_name: "HSBC",
      amount: 9.99,
      created_at: "2025-01-02T10:00:00Z",
    },
    {
      payment_id: "p1",
      status: "settled",
      bank_id: "ING",
      bank_name: "ING",
      amount: 10,
      created_at: "2025-01-01T10:00:00Z",
    },
  ];
  const { fetch } = fakeFetch(() => json(200, { ok: true, payments }));
  assert.deepEqual(await createApi({ fetch }).payments(), payments);
});

Deno.test("ask() sends the payment id, leaves out a blank question and answers the text", async () => {
  const { fetch, sent } = fakeFetch(() =>
    json(200, { ok: true, payment_id: "p1", answer: "Summary: settled" })
  );
  const api = createApi({ fetch });
  assert.equal(await api.ask("p1", "   "), "Summary: settled");
  await api.ask("p1", " why? ");
  assert.deepEqual(sent[0].body, { payment_id: "p1" });
  assert.deepEqual(sent[1].body, { payment_id: "p1", question: "why?" });
});
