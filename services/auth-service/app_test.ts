import assert from "node:assert/strict";
import { createRandom } from "@demo/observability";
import { createTestTelemetry, jsonRequest, testBaseConfig } from "@demo/observability/testing";
import { createApp } from "./app.ts";
import { customerIdFor, LOGIN_FAILURE_REASONS } from "./login.ts";

function setup(failRate: number) {
  const t = createTestTelemetry("auth-service");
  const app = createApp({
    config: { base: testBaseConfig("auth-service"), failRate, seed: 1 },
    log: t.log,
    metrics: t.metrics,
    readiness: t.readiness,
    random: createRandom(1),
  });
  return { app, t };
}

Deno.test("customerIdFor() is cust_ plus the first 10 hex chars of sha256(username)", async () => {
  // sha256("alice") = 2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90
  assert.equal(await customerIdFor("alice"), "cust_2bd806c97f");
});

Deno.test("POST /auth/login succeeds with a customer id, counts auth.ok and logs auth_ok", async () => {
  const { app, t } = setup(0);
  const res = await app.request(
    jsonRequest("POST", "/auth/login", {
      body: { username: "alice", password: "pw-never-logged" },
    }),
  );
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, customer_id: "cust_2bd806c97f" });
  assert.equal(t.metrics.total("auth.ok"), 1);
  assert.equal(t.logged("auth_ok").length, 1);
  assert.equal(t.logged("auth_ok")[0].level, "info");
  assert.doesNotMatch(JSON.stringify(t.lines), /pw-never-logged/);
});

Deno.test("POST /auth/login fails with a contract reason, 401, auth.failed{reason} and a warning", async () => {
  const { app, t } = setup(1);
  const res = await app.request(
    jsonRequest("POST", "/auth/login", { body: { username: "bob", password: "x" } }),
  );
  assert.equal(res.status, 401);
  const body = await res.json();
  assert.equal(body.ok, false);
  assert.ok((LOGIN_FAILURE_REASONS as readonly string[]).includes(body.reason));
  assert.equal(t.metrics.total("auth.failed", { reason: body.reason }), 1);
  assert.equal(t.logged("auth_error")[0].level, "warn");
});

const bad: [string, unknown, string][] = [
  ["a missing username", { password: "x" }, "username"],
  ["an empty username", { username: "  ", password: "x" }, "username"],
  ["a 65-character username", { username: "u".repeat(65), password: "x" }, "username"],
  ["a 129-character password", { username: "u", password: "p".repeat(129) }, "password"],
  ["a numeric password", { username: "u", password: 42 }, "password"],
  ["an unknown field", { username: "u", password: "p", admin: true }, "admin"],
  ["a string body", "username=u", "body"],
];
for (const [label, body, field] of bad) {
  Deno.test(`POST /auth/login answers 400 naming '${field}' for ${label}`, async () => {
    const { app, t } = setup(0);
    const res = await app.request(jsonRequest("POST", "/auth/login", { body }));
    assert.equal(res.status, 400);
    const json = await res.json();
    assert.equal(json.error.field, field);
    assert.equal(t.metrics.records.length, 0, "bad input is not a login attempt");
  });
}

Deno.test("GET /healthz and /readyz answer 200 when ready", async () => {
  const { app } = setup(0);
  assert.equal((await app.request("/healthz")).status, 200);
  assert.equal((await app.request("/readyz")).status, 200);
});
