import assert from "node:assert/strict";
import { jsonRequest } from "@demo/observability/testing";
import {
  createTestGateway,
  CUSTOMER,
  htmlPage,
  type PeerHandler,
  TEST_SECRET,
  unreachable,
} from "./_testing.ts";
import { SESSION_COOKIE } from "./session.ts";

const loginOk: PeerHandler = () => Response.json({ ok: true, customer_id: CUSTOMER });
const loginRefused: PeerHandler = () =>
  Response.json({ ok: false, customer_id: CUSTOMER, reason: "Unknown device" }, { status: 401 });

function login(body: unknown = { username: "alice", password: "hunter2" }) {
  return jsonRequest("POST", "/api/login", { body });
}

function sessionCookie(res: Response): string {
  const header = res.headers.get("set-cookie") ?? "";
  const match = header.match(new RegExp(`${SESSION_COOKIE}=([^;]*)`));
  assert.ok(match, `no session cookie in ${header}`);
  return `${SESSION_COOKIE}=${match[1]}`;
}

Deno.test("POST /api/login sets an HttpOnly, SameSite=Strict session cookie and names the customer", async () => {
  const gw = await createTestGateway({ auth: loginOk });
  const res = await gw.app.request(login());
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, customer_id: CUSTOMER, username: "alice" });
  const header = res.headers.get("set-cookie") ?? "";
  assert.match(header, /^session_id=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/);
  assert.match(header, /; HttpOnly/);
  assert.match(header, /; SameSite=Strict/);
  assert.match(header, /; Path=\//);
  assert.match(header, /; Max-Age=3600/);
  assert.doesNotMatch(header, /Secure/);
  // The password went to auth-service, with the request's budget, and nowhere else.
  assert.deepEqual(gw.seen.auth[0].body, { username: "alice", password: "hunter2" });
  assert.equal(gw.seen.auth[0].path, "/auth/login");
  assert.ok(Number(gw.seen.auth[0].headers.get("x-request-budget-ms")) > 0);
  assert.doesNotMatch(JSON.stringify(gw.telemetry.lines), /hunter2/);
  assert.doesNotMatch(JSON.stringify(gw.telemetry.lines), new RegExp(TEST_SECRET));
});

Deno.test("POST /api/login marks the cookie Secure and uses the configured lifetime", async () => {
  const gw = await createTestGateway({
    auth: loginOk,
    env: { COOKIE_SECURE: "true", SESSION_TTL_SECONDS: "600" },
  });
  const header = (await gw.app.request(login())).headers.get("set-cookie") ?? "";
  assert.match(header, /; Secure/);
  assert.match(header, /; Max-Age=600/);
});

Deno.test("POST /api/login counts web.auth.ok and logs auth_ok", async () => {
  const gw = await createTestGateway({ auth: loginOk });
  await gw.app.request(login());
  assert.equal(gw.telemetry.metrics.total("web.auth.ok"), 1);
  assert.equal(gw.telemetry.metrics.total("web.auth.failed"), 0);
  const [line] = gw.telemetry.logged("auth_ok");
  assert.equal(line.customer_id, CUSTOMER);
  assert.equal(line.level, "info");
});

Deno.test("POST /api/login answers 401 with auth-service's reason and sets no cookie", async () => {
  const gw = await createTestGateway({ auth: loginRefused });
  const res = await gw.app.request(login());
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { ok: false, reason: "Unknown device" });
  assert.equal(res.headers.get("set-cookie"), null);
  assert.equal(gw.telemetry.metrics.total("web.auth.failed"), 1);
  assert.equal(gw.telemetry.metrics.total("web.auth.ok"), 0);
  const [line] = gw.telemetry.logged("auth_error");
  assert.equal(line.reason, "Unknown device");
  assert.equal(line.level, "warn");
});

for (
  const [label, body, field] of [
    ["a missing password", { username: "alice" }, "password"],
    ["an empty username", { username: "  ", password: "x" }, "username"],
    ["a username over 64 characters", { username: "a".repeat(65), password: "x" }, "username"],
    ["a password over 128 characters", { username: "a", password: "p".repeat(129) }, "password"],
    ["a number as username", { username: 42, password: "x" }, "username"],
    ["an unknown field", { username: "a", password: "x", admin: true }, "admin"],
    ["a body that is not JSON", "{not json", "body"],
  ] as const
) {
  Deno.test(`POST /api/login answers 400 naming the field for ${label}`, async () => {
    const gw = await createTestGateway({ auth: loginOk });
    const res = await gw.app.request(login(body));
    assert.equal(res.status, 400);
    const json = await res.json();
    assert.equal(json.ok, false);
    assert.equal(json.error.field, field);
    assert.ok(json.error.requestId);
    assert.equal(gw.seen.auth.length, 0, "bad input never reaches auth-service");
  });
}

Deno.test("POST /api/login answers 415 naming content-type when the body is not JSON", async () => {
  const gw = await createTestGateway({ auth: loginOk });
  const res = await gw.app.request("/api/login", { method: "POST", body: "username=a" });
  assert.equal(res.status, 415);
  assert.equal((await res.json()).error.field, "content-type");
});

for (
  const [label, handler, status, code] of [
    ["unreachable", unreachable, 503, "upstream_unavailable"],
    ["answering an HTML page", htmlPage, 502, "upstream_bad_response"],
    [
      "answering an empty body",
      () => new Response("", { status: 200 }),
      502,
      "upstream_bad_response",
    ],
    [
      "answering its own 500 envelope",
      () =>
        Response.json({ ok: false, error: { code: "internal_error", message: "x" } }, {
          status: 500,
        }),
      502,
      "upstream_error",
    ],
    [
      "answering 200 without a customer",
      () => Response.json({ ok: true }),
      502,
      "upstream_bad_response",
    ],
  ] as const
) {
  Deno.test(`POST /api/login answers ${status} ${code} when auth-service is ${label}`, async () => {
    const gw = await createTestGateway({ auth: handler as PeerHandler });
    const res = await gw.app.request(login());
    assert.equal(res.status, status);
    const json = await res.json();
    assert.equal(json.error.code, code);
    assert.equal(json.error.upstream, "auth-service");
    assert.equal(res.headers.get("set-cookie"), null);
    assert.equal(gw.telemetry.logged("auth_upstream_error").length, 1);
    assert.equal(gw.telemetry.metrics.total("web.auth.failed", { reason: "upstream_error" }), 1);
  });
}

Deno.test("GET /api/session answers the customer of a cookie issued at login", async () => {
  const gw = await createTestGateway({ auth: loginOk });
  const cookie = sessionCookie(await gw.app.request(login()));
  const res = await gw.app.request("/api/session", { headers: { cookie } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, customer_id: CUSTOMER, username: "alice" });
});

Deno.test("GET /api/session answers 401 not_logged_in without a cookie", async () => {
  const gw = await createTestGateway();
  const res = await gw.app.request("/api/session");
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, "not_logged_in");
});

Deno.test("GET /api/session treats a tampered, forged or expired cookie as logged out", async () => {
  const gw = await createTestGateway();
  const valid = (await gw.cookieFor()).slice(SESSION_COOKIE.length + 1);
  const [body, signature] = valid.split(".");
  const forgedBody = new TextEncoder().encode(
    JSON.stringify({ cid: "cust_ffffffffff", usr: "mallory", exp: 9999999999 }),
  ).toBase64({ alphabet: "base64url", omitPadding: true });
  const expired = await gw.cookieFor(CUSTOMER, "alice", Date.now() - 3601_000);
  for (
    const cookie of [
      `${SESSION_COOKIE}=${forgedBody}.${signature}`,
      `${SESSION_COOKIE}=${body}.${signature.slice(0, -2)}AA`,
      `${SESSION_COOKIE}=${body}`,
      `${SESSION_COOKIE}=garbage`,
      `${SESSION_COOKIE}=${body}.${signature}.extra`,
      expired,
    ]
  ) {
    const res = await gw.app.request("/api/session", { headers: { cookie } });
    assert.equal(res.status, 401, cookie);
    assert.equal((await res.json()).error.code, "not_logged_in");
  }
});

Deno.test("POST /api/logout clears the session cookie", async () => {
  const gw = await createTestGateway();
  const res = await gw.app.request("/api/logout", {
    method: "POST",
    headers: { cookie: await gw.cookieFor() },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true });
  const header = res.headers.get("set-cookie") ?? "";
  assert.match(header, /^session_id=;/);
  assert.match(header, /Max-Age=0/);
  assert.match(header, /HttpOnly/);
});

Deno.test("POST /api/login answers 400 naming username for control characters and lone surrogates", async () => {
  const gw = await createTestGateway({ auth: loginOk });
  for (const username of ["\u0001".repeat(64), "a\u0000b", "bo\nb", "\ud800x"]) {
    const res = await gw.app.request(login({ username, password: "pw" }));
    assert.equal(res.status, 400, JSON.stringify(username));
    assert.equal((await res.json()).error.field, "username");
  }
  assert.equal(gw.seen.auth.length, 0);
});

Deno.test("the longest username the login accepts still makes a session that works", async () => {
  const gw = await createTestGateway({ auth: loginOk });
  // 64 UTF-16 units of the most bytes each once encoded: quotes and backslashes (escaped to
  // two bytes), three-byte characters, and emoji (four bytes per two units).
  for (const username of ['"\\'.repeat(32), "€".repeat(64), "😀".repeat(32)]) {
    const res = await gw.app.request(login({ username, password: "pw" }));
    assert.equal(res.status, 200);
    const session = await gw.app.request("/api/session", {
      headers: { cookie: sessionCookie(res) },
    });
    assert.equal(session.status, 200, `a session for ${username.slice(0, 4)}…`);
    assert.equal((await session.json()).username, username);
  }
});
