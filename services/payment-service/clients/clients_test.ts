import assert from "node:assert/strict";
import { Deadline, UpstreamError } from "@demo/observability";
import { fakePeer, hangs, json, type PeerHandler, unreachable } from "../_testing.ts";
import { createFraudServiceClient } from "./fraud_service.ts";
import { createJiraPollerClient } from "./jira_poller.ts";

const CHECK = {
  payment_id: `pay_${"a".repeat(32)}`,
  customer_id: "cust_0123456789",
  bank_id: "HSBC",
  amount: 10,
  issue_key: "PER-1",
};
const ISSUE = { ...CHECK, issue_key: undefined, trace_id: "123" };

function fraud(handler: PeerHandler) {
  const peer = fakePeer(handler);
  return {
    peer,
    client: createFraudServiceClient({
      baseUrl: "http://fraud.test/",
      timeoutMs: 1000,
      fetch: peer.fetch,
    }),
  };
}

function jira(handler: PeerHandler) {
  const peer = fakePeer(handler);
  return {
    peer,
    client: createJiraPollerClient({
      baseUrl: "http://jira.test",
      timeoutMs: 1000,
      fetch: peer.fetch,
    }),
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string, status?: number) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.code, code);
    assert.equal(error.upstreamStatus, status);
    return true;
  });
}

Deno.test("createFraudServiceClient() posts the check and returns the verdict", async () => {
  const { peer, client } = fraud(() =>
    json({ ok: true, fraudulent: true, reason: "suspicious transaction", comment: "escalate" })
  );
  const verdict = await client.check(CHECK, { requestId: "r-1" });
  assert.deepEqual(verdict, {
    fraudulent: true,
    reason: "suspicious transaction",
    comment: "escalate",
  });
  assert.equal(peer.calls[0].path, "/check");
  assert.deepEqual(peer.calls[0].body, CHECK);
  assert.equal(peer.calls[0].headers.get("x-request-id"), "r-1");
});

Deno.test("createFraudServiceClient() rejects each kind of failure with a distinct code", async () => {
  await rejectsWith(fraud(unreachable).client.check(CHECK), "upstream_unavailable");
  await rejectsWith(
    fraud(hangs).client.check(CHECK, { deadline: new Deadline(50) }),
    "upstream_timeout",
  );
  await rejectsWith(
    fraud(() => new Response("<html></html>")).client.check(CHECK),
    "upstream_bad_response",
    200,
  );
  await rejectsWith(
    fraud(() => json({ ok: true, comment: "?" })).client.check(CHECK),
    "upstream_bad_response",
    200,
  );
  await rejectsWith(
    fraud(() => json({ ok: false, error: { code: "invalid_request" } }, 400)).client.check(CHECK),
    "invalid_request",
    400,
  );
  await rejectsWith(
    fraud(() => json({ ok: true, fraudulent: false }, 500)).client.check(CHECK),
    "upstream_error",
    500,
  );
});

Deno.test("createFraudServiceClient() gives up at once when the deadline has passed", async () => {
  const { peer, client } = fraud(() => json({ ok: true, fraudulent: false, comment: "" }));
  await rejectsWith(client.check(CHECK, { deadline: new Deadline(0) }), "deadline_exceeded");
  assert.equal(peer.calls.length, 0);
});

Deno.test("createJiraPollerClient() posts the issue request and returns the issue key", async () => {
  const { peer, client } = jira(() => json({ ok: true, issue_key: "PER-42" }));
  assert.deepEqual(await client.createSuspectedFraud(ISSUE), { issueKey: "PER-42" });
  assert.equal(peer.calls[0].path, "/jira/create_suspected_fraud");
  assert.equal(peer.calls[0].body.trace_id, "123");
});

Deno.test("createJiraPollerClient() carries jira-poller's error code, keeping only safe ones", async () => {
  await rejectsWith(
    jira(() => json({ ok: false, error: { code: "missing_config" } }, 503)).client
      .createSuspectedFraud(ISSUE),
    "missing_config",
    503,
  );
  await rejectsWith(
    jira(() => json({ ok: false, reason: "http_error" }, 502)).client.createSuspectedFraud(ISSUE),
    "http_error",
    502,
  );
  await rejectsWith(
    jira(() => json({ ok: false, error: { code: "a b\nc" } }, 500)).client
      .createSuspectedFraud(ISSUE),
    "upstream_error",
    500,
  );
});

Deno.test("createJiraPollerClient() rejects an answer without a usable issue key", async () => {
  for (
    const answer of [{ ok: true }, { ok: true, issue_key: "" }, { ok: true, issue_key: "<b>" }]
  ) {
    await rejectsWith(
      jira(() => json(answer)).client.createSuspectedFraud(ISSUE),
      "upstream_bad_response",
      200,
    );
  }
});
