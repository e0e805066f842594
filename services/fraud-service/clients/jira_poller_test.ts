import assert from "node:assert/strict";
import { Deadline, UpstreamError } from "@demo/observability";
import { fakeJiraFetch } from "../_testing.ts";
import { createJiraPollerClient } from "./jira_poller.ts";

function client(answer?: () => Response | Promise<Response>) {
  const jira = fakeJiraFetch(answer);
  const jiraPoller = createJiraPollerClient({
    baseUrl: "http://jira-poller.test/",
    timeoutMs: 500,
    fetch: jira.fetch,
  });
  return { jiraPoller, calls: jira.calls };
}

Deno.test("comment() posts {issue_key, comment} as JSON to POST /jira/comment", async () => {
  const { jiraPoller, calls } = client();
  await jiraPoller.comment("PER-1", "hello", { requestId: "req-1", deadline: new Deadline(300) });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].method, "POST");
  assert.equal(calls[0].url, "http://jira-poller.test/jira/comment");
  assert.equal(calls[0].headers.get("content-type"), "application/json");
  assert.equal(calls[0].headers.get("x-request-id"), "req-1");
  assert.ok(Number(calls[0].headers.get("x-request-budget-ms")) <= 300);
  assert.deepEqual(calls[0].body, { issue_key: "PER-1", comment: "hello" });
});

Deno.test("comment() throws a 503 with jira-poller's code when Jira is not configured", async () => {
  const { jiraPoller } = client(() =>
    Response.json({ ok: false, error: { code: "missing_config", message: "No Jira" } }, {
      status: 503,
    })
  );
  await assert.rejects(jiraPoller.comment("PER-1", "x"), (e: unknown) => {
    assert.ok(e instanceof UpstreamError);
    assert.equal(e.status, 503);
    assert.equal(e.code, "missing_config");
    assert.equal(e.upstreamStatus, 503);
    return true;
  });
});

Deno.test("comment() throws a 502 when jira-poller answers an error or ok:false", async () => {
  for (const reply of [Response.json({}, { status: 500 }), Response.json({ ok: false })]) {
    const { jiraPoller } = client(() => reply);
    await assert.rejects(jiraPoller.comment("PER-1", "x"), (e: unknown) => {
      assert.ok(e instanceof UpstreamError);
      assert.equal(e.status, 502);
      assert.equal(e.code, "upstream_error");
      return true;
    });
  }
});

Deno.test("comment() throws upstream_bad_response when jira-poller answers garbage", async () => {
  const { jiraPoller } = client(() => new Response("<html>oops</html>", { status: 200 }));
  await assert.rejects(jiraPoller.comment("PER-1", "x"), { code: "upstream_bad_response" });
});

Deno.test("comment() throws upstream_unavailable when jira-poller is unreachable", async () => {
  const { jiraPoller } = client(() => Promise.reject(new TypeError("connection refused")));
  await assert.rejects(jiraPoller.comment("PER-1", "x"), { code: "upstream_unavailable" });
});
