import assert from "node:assert/strict";
import { freePort, spawnService, waitReady } from "@demo/observability/testing";

const main = new URL("./main.ts", import.meta.url).pathname;

const spawn = (env: Record<string, string>) => spawnService(main, env);

Deno.test("fraud-service exits 1 at start-up naming the bad variable, never its value", async () => {
  const out = await spawn({ FRAUD_CONFIRM_RATE: "mostly" }).output();
  assert.equal(out.code, 1);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /"config_invalid"/);
  assert.match(text, /FRAUD_CONFIRM_RATE/);
  assert.doesNotMatch(text, /mostly/);
});

Deno.test("fraud-service checks a payment over HTTP, then exits 0 on SIGTERM", async () => {
  // jira-poller stand-in that has no Jira configured: the comment fails, the verdict stands.
  const comments: unknown[] = [];
  const jiraPoller = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    comments.push(await req.json());
    return Response.json({ ok: false, error: { code: "missing_config", message: "x" } }, {
      status: 503,
    });
  });
  const port = freePort();
  const child = spawn({
    PORT: String(port),
    RANDOM_SEED: "3",
    JIRA_POLLER_URL: `http://127.0.0.1:${(jiraPoller.addr as Deno.NetAddr).port}`,
    PEER_TIMEOUT_MS: "2000",
  });
  try {
    const ready = await waitReady(port);
    assert.ok(ready, "fraud-service became ready");
    const res = await fetch(`http://127.0.0.1:${port}/check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        payment_id: "pay_1",
        customer_id: "cust_2bd806c97f",
        bank_id: "HSBC",
        amount: 10,
        issue_key: "PER-1",
      }),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.ok, true);
    assert.equal(typeof body.fraudulent, "boolean");
    assert.equal(body.comment_posted, false);
    assert.deepEqual(comments, [{ issue_key: "PER-1", comment: body.comment }]);
  } finally {
    child.kill("SIGTERM");
  }
  const out = await child.output();
  await jiraPoller.shutdown();
  assert.equal(out.code, 0);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /"jira_comment_error"/);
  assert.match(text, /"service_stopped"/);
});
