import assert from "node:assert/strict";
import { createTestTelemetry } from "@demo/observability/testing";
import { AUTH_VALUE, clientFor, fraud, serveStandIn } from "./_testing.ts";
import { pollOnce } from "./poll.ts";

Deno.test("pollOnce() sets the open gauge to Jira's count, counts success and logs jira_poll_ok", async () => {
  const standIn = serveStandIn();
  const t = createTestTelemetry("jira-poller");
  try {
    const jira = clientFor(standIn.url, { pageSize: 2 });
    for (let i = 0; i < 5; i++) await jira.createSuspectedFraudIssue(fraud(`pay_${i}`));
    standIn.state.resolve("PER-1");
    standIn.state.resolve("PER-4");
    const result = await pollOnce({ jira, log: t.log, metrics: t.metrics });
    assert.deepEqual(result, {
      open: 3,
      listed: 5,
      pages: 3,
      complete: true,
      duplicatePayments: 0,
    });
    const gauges = t.metrics.records.filter((r) => r.name === "jira.suspected_fraud.open");
    assert.deepEqual(gauges.map((g) => [g.type, g.value]), [["gauge", 3]]);
    assert.equal(t.metrics.total("jira.poll.success"), 1);
    assert.equal(t.metrics.total("jira.poll.error"), 0);
    const [line] = t.logged("jira_poll_ok");
    assert.equal(line.open, 3);
    assert.equal(line.newest_issue_key, "PER-5");
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("pollOnce() reports payments that ended up with two tickets", async () => {
  const standIn = serveStandIn();
  const t = createTestTelemetry("jira-poller");
  try {
    // What two replicas racing leave behind: two tickets labelled for one payment.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${standIn.url}/rest/api/3/issue`, {
        method: "POST",
        headers: { authorization: `Basic ${AUTH_VALUE}`, "content-type": "application/json" },
        body: JSON.stringify({
          fields: {
            project: { key: "PER" },
            issuetype: { name: "Task" },
            summary: "Suspected Fraud 1",
            labels: ["suspected-fraud", "payment-pay_twice"],
          },
        }),
      });
      assert.equal(res.status, 201);
      await res.body?.cancel();
    }
    const jira = clientFor(standIn.url);
    await jira.createSuspectedFraudIssue(fraud("pay_once"));
    const result = await pollOnce({ jira, log: t.log, metrics: t.metrics });
    assert.equal(result?.listed, 3);
    assert.equal(result?.duplicatePayments, 1);
    assert.equal(t.logged("jira_poll_ok")[0].duplicate_payments, 1);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("pollOnce() counts jira.poll.error and logs jira_poll_failed with the reason when Jira fails", async () => {
  const standIn = serveStandIn({ apiToken: "another-token" });
  const t = createTestTelemetry("jira-poller");
  try {
    const result = await pollOnce({ jira: clientFor(standIn.url), log: t.log, metrics: t.metrics });
    assert.equal(result, undefined);
    assert.equal(t.metrics.total("jira.poll.error"), 1);
    assert.equal(t.metrics.total("jira.poll.success"), 0);
    assert.equal(t.metrics.records.some((r) => r.name === "jira.suspected_fraud.open"), false);
    const [line] = t.logged("jira_poll_failed");
    assert.equal(line.level, "error");
    assert.equal(line.reason, "http_error");
    assert.equal(line.jira_status, 401);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("pollOnce() cut short by shutdown counts nothing", async () => {
  const hanging: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
    });
  const t = createTestTelemetry("jira-poller");
  const controller = new AbortController();
  const polling = pollOnce(
    { jira: clientFor("http://jira.test", { fetch: hanging }), log: t.log, metrics: t.metrics },
    controller.signal,
  );
  controller.abort();
  assert.equal(await polling, undefined);
  assert.equal(t.metrics.records.length, 0);
  assert.equal(t.logged("jira_poll_failed").length, 0);
});
