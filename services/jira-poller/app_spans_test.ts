import assert from "node:assert/strict";
import { captureSpans, createTestTelemetry, jsonRequest } from "@demo/observability/testing";
import { createApp } from "./app.ts";
import { pollOnce } from "./poll.ts";
import { SPAN } from "./telemetry.ts";
import { AUTH_VALUE, clientFor, serveStandIn, testConfig, TOKEN } from "./_testing.ts";

// The tracer is global to this module and keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };
const capture = await captureSpans();

const PAYMENT = {
  payment_id: "pay_spans",
  customer_id: "cust_2bd806c97f",
  bank_id: "RABO",
  amount: 42,
  trace_id: "",
};

function setup(baseUrl: string) {
  const t = createTestTelemetry("jira-poller");
  const jira = clientFor(baseUrl);
  const app = createApp({ config: testConfig(baseUrl), ...t, jira });
  return { app, t, jira };
}

Deno.test(
  "create and comment make jira.create_issue and jira.comment spans under the server span",
  opts,
  async () => {
    const standIn = serveStandIn();
    try {
      const { app } = setup(standIn.url);
      const res = await app.request(
        jsonRequest("POST", "/jira/create_suspected_fraud", { body: PAYMENT }),
      );
      assert.equal(res.status, 200);
      const server = await capture.waitFor((s) =>
        s.resource === "POST /jira/create_suspected_fraud"
      );
      const create = await capture.waitFor((s) => s.name === SPAN.create);
      assert.equal(create.parent_id, server.span_id);
      assert.equal(create.meta["payment.id"], "pay_spans");
      assert.equal(create.meta["issue_key"], "PER-1");
      assert.equal(server.meta["payment.id"], "pay_spans");
      // The ticket names the trace of the request that opened it.
      assert.equal(standIn.state.issue("PER-1")?.summary, `Suspected Fraud ${server.trace_id}`);
      // dd-trace's fetch instrumentation adds the client spans to Jira beneath it.
      const outgoing = await capture.waitFor((s) =>
        s.trace_id === server.trace_id && s.meta["span.kind"] === "client"
      );
      assert.ok(outgoing.meta["http.url"]?.includes("/rest/api/3/"));

      const commented = await app.request(
        jsonRequest("POST", "/jira/comment", {
          body: { issue_key: "PER-1", comment: "Transaction not fraudulent, please complete it" },
        }),
      );
      assert.equal(commented.status, 200);
      const comment = await capture.waitFor((s) => s.name === SPAN.comment);
      assert.equal(comment.meta["issue_key"], "PER-1");
      assert.equal(comment.error, 0);
    } finally {
      await standIn.shutdown();
    }
  },
);

Deno.test(
  "a failed Jira call marks jira.create_issue as an error with its reason",
  opts,
  async () => {
    const standIn = serveStandIn({ apiToken: "other" });
    try {
      const { app } = setup(standIn.url);
      const res = await app.request(
        jsonRequest("POST", "/jira/create_suspected_fraud", {
          body: { ...PAYMENT, payment_id: "pay_failing" },
        }),
      );
      assert.equal(res.status, 502);
      const span = await capture.waitFor((s) =>
        s.name === SPAN.create && s.meta["payment.id"] === "pay_failing"
      );
      assert.equal(span.error, 1);
      assert.equal(span.meta["reason"], "http_error");
    } finally {
      await standIn.shutdown();
    }
  },
);

Deno.test("a poll makes a jira.poll span with the open count", opts, async () => {
  const standIn = serveStandIn();
  try {
    const { t, jira } = setup(standIn.url);
    await jira.createSuspectedFraudIssue({
      paymentId: "pay_poll",
      customerId: "cust_2bd806c97f",
      bankId: "ING",
      amount: 1,
      reason: "r",
      traceId: "1",
    });
    await pollOnce({ jira, log: t.log, metrics: t.metrics });
    const poll = await capture.waitFor((s) => s.name === SPAN.poll);
    assert.equal(poll.metrics["jira.open_count"], 1);
    assert.equal(poll.error, 0);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("no span carries the API token or the Authorization value", opts, async () => {
  await capture.waitFor((s) => s.name === SPAN.poll);
  const all = JSON.stringify(capture.spans);
  assert.ok(capture.spans.length > 5);
  assert.doesNotMatch(all, new RegExp(TOKEN));
  assert.doesNotMatch(all, new RegExp(AUTH_VALUE.replace(/[+/=]/g, "\\$&")));
});
