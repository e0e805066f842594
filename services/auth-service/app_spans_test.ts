import assert from "node:assert/strict";
import { createRandom } from "@demo/observability";
import {
  captureSpans,
  createTestTelemetry,
  jsonRequest,
  testBaseConfig,
} from "@demo/observability/testing";
import { createApp } from "./app.ts";
import { SPAN } from "./telemetry.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const capture = await captureSpans();

Deno.test(
  "POST /auth/login emits the auth.login span with usr.id under the server span",
  opts,
  async () => {
    const t = createTestTelemetry("auth-service");
    const app = createApp({
      config: { base: testBaseConfig("auth-service"), failRate: 0, seed: 1 },
      ...t,
      random: createRandom(1),
    });
    const res = await app.request(
      jsonRequest("POST", "/auth/login", { body: { username: "alice", password: "x" } }),
    );
    assert.equal(res.status, 200);
    const server = await capture.waitFor((s) => s.resource === "POST /auth/login");
    const login = await capture.waitFor((s) => s.name === SPAN.login);
    assert.equal(login.parent_id, server.span_id);
    assert.equal(login.meta["usr.id"], "cust_2bd806c97f");
    assert.equal(server.meta["usr.id"], "cust_2bd806c97f");
  },
);
