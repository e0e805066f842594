import assert from "node:assert/strict";
import { createJiraStandIn, type JiraStandInOptions, serveJiraStandIn } from "./mod.ts";

const AUTH = `Basic ${btoa("demo@example.com:stand-in-token")}`;
const doc = (...lines: string[]) => ({
  type: "doc",
  version: 1,
  content: lines.map((text) => ({ type: "paragraph", content: [{ type: "text", text }] })),
});

function setup(options: JiraStandInOptions = {}) {
  let clock = Date.UTC(2026, 0, 1);
  const standIn = createJiraStandIn({ now: () => clock, ...options });
  const call = (method: string, path: string, body?: unknown, auth = AUTH) =>
    standIn.app.request(path, {
      method,
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  const create = async (labels: string[], summary = "Suspected Fraud 1") => {
    const res = await call("POST", "/rest/api/3/issue", {
      fields: {
        project: { key: "PER" },
        issuetype: { name: "Task" },
        summary,
        labels,
        description: doc("Payment ID: p1"),
      },
    });
    assert.equal(res.status, 201);
    clock += 1000;
    return (await res.json()).key as string;
  };
  const search = async (body: Record<string, unknown>) => {
    const res = await call("POST", "/rest/api/3/search/jql", body);
    return { status: res.status, body: await res.json() };
  };
  return { ...standIn, call, create, search };
}

Deno.test("the stand-in names itself in the server header of every response", async () => {
  const { call } = setup();
  for (const res of [await call("GET", "/healthz"), await call("GET", "/nowhere")]) {
    assert.equal(res.headers.get("server"), "jira-stand-in");
    await res.body?.cancel();
  }
});

Deno.test("the stand-in answers 401 to a missing or wrong token and 200 with the right one", async () => {
  const { call } = setup();
  const body = { jql: 'project = "PER"' };
  const none = await call("POST", "/rest/api/3/search/jql", body, "");
  assert.equal(none.status, 401);
  assert.match((await none.json()).errorMessages[0], /authenticated/);
  const wrong = await call(
    "POST",
    "/rest/api/3/search/jql",
    body,
    `Basic ${btoa("demo@example.com:wrong")}`,
  );
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const ok = await call("POST", "/rest/api/3/search/jql", body);
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
});

Deno.test("the stand-in accepts the credentials it is configured with", async () => {
  const { call } = setup({ email: "ops@example.com", apiToken: "t0k3n" });
  const res = await call("POST", "/rest/api/3/search/approximate-count", {
    jql: 'project = "PER"',
  }, `Basic ${btoa("ops@example.com:t0k3n")}`);
  assert.deepEqual(await res.json(), { count: 0 });
  const old = await call("POST", "/rest/api/3/search/approximate-count", {
    jql: 'project = "PER"',
  });
  assert.equal(old.status, 401);
  await old.body?.cancel();
});

Deno.test("the stand-in creates an issue with a key, id and self link", async () => {
  const { call, state } = setup();
  const res = await call("POST", "/rest/api/3/issue", {
    fields: {
      project: { key: "PER" },
      issuetype: { name: "Task" },
      summary: "Suspected Fraud abc",
      labels: ["suspected-fraud", "payment-p1"],
      description: doc("Trace ID: abc"),
    },
  });
  assert.equal(res.status, 201);
  const body = await res.json();
  assert.equal(body.key, "PER-1");
  assert.match(body.id, /^\d+$/);
  assert.match(body.self, new RegExp(`/rest/api/3/issue/${body.id}$`));
  assert.equal(state.issues.length, 1);
  assert.deepEqual(state.issues[0].labels, ["suspected-fraud", "payment-p1"]);
  assert.equal(state.issues[0].status, "To Do");
});

const badCreates: [string, Record<string, unknown>, string][] = [
  ["an unknown project", { project: { key: "NOPE" } }, "project"],
  ["an unknown issue type", { issuetype: { name: "Saga" } }, "issuetype"],
  ["an empty summary", { summary: " " }, "summary"],
  ["a summary with a newline", { summary: "a\nb" }, "summary"],
  ["a label with a space", { labels: ["suspected fraud"] }, "labels"],
  ["a plain-text description", { description: "Payment p1" }, "description"],
  ["a description with a bad node", {
    description: { type: "doc", version: 1, content: [{ type: "text", text: "x" }] },
  }, "description"],
  ["an unknown field", { priority: { name: "High" } }, "priority"],
];
for (const [label, override, field] of badCreates) {
  Deno.test(`the stand-in refuses to create an issue with ${label}, naming '${field}'`, async () => {
    const { call, state } = setup();
    const res = await call("POST", "/rest/api/3/issue", {
      fields: {
        project: { key: "PER" },
        issuetype: { name: "Task" },
        summary: "Suspected Fraud 1",
        description: doc("x"),
        ...override,
      },
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.deepEqual(body.errorMessages, []);
    assert.equal(typeof body.errors[field], "string");
    assert.equal(state.issues.length, 0);
  });
}

Deno.test("the stand-in answers 400 to a body that is not JSON", async () => {
  const { call } = setup();
  const res = await call("POST", "/rest/api/3/issue", "{not json");
  assert.equal(res.status, 400);
  assert.match((await res.json()).errorMessages[0], /not valid JSON/);
});

Deno.test("the stand-in adds an ADF comment and answers 404 for an unknown key", async () => {
  const { call, create, state } = setup();
  const key = await create(["suspected-fraud"]);
  const ok = await call("POST", `/rest/api/3/issue/${key}/comment`, { body: doc("Checked") });
  assert.equal(ok.status, 201);
  assert.deepEqual((await ok.json()).body, doc("Checked"));
  assert.equal(state.issue(key)?.comments.length, 1);

  const missing = await call("POST", "/rest/api/3/issue/PER-999/comment", { body: doc("x") });
  assert.equal(missing.status, 404);
  await missing.body?.cancel();

  const plain = await call("POST", `/rest/api/3/issue/${key}/comment`, { body: "Checked" });
  assert.equal(plain.status, 400);
  assert.equal(typeof (await plain.json()).errors.comment, "string");
  assert.equal(state.issue(key)?.comments.length, 1);
});

Deno.test("the stand-in pages search results with nextPageToken, newest first", async () => {
  const { create, search } = setup();
  const keys = [];
  for (let i = 0; i < 5; i++) keys.push(await create(["suspected-fraud"]));
  await create(["other"]);
  const jql = 'project = "PER" AND labels = "suspected-fraud" ORDER BY created DESC';
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const { status, body } = await search({
      jql,
      maxResults: 2,
      fields: ["summary", "status"],
      ...(token ? { nextPageToken: token } : {}),
    });
    assert.equal(status, 200);
    pages++;
    for (const issue of body.issues) {
      seen.push(issue.key);
      assert.equal(issue.fields.summary, "Suspected Fraud 1");
      assert.equal(issue.fields.status.statusCategory.key, "new");
      assert.equal(issue.fields.labels, undefined, "only the requested fields");
    }
    assert.equal(body.isLast, body.nextPageToken === undefined);
    token = body.nextPageToken;
  } while (token);
  assert.equal(pages, 3);
  assert.deepEqual(seen, [...keys].reverse());
});

Deno.test("the stand-in refuses JQL it does not understand and payload keys Jira rejects", async () => {
  const { search } = setup();
  const or = await search({ jql: 'project = "PER" OR labels = "x"' });
  assert.equal(or.status, 400);
  assert.match(or.body.errorMessages[0], /JQL/);
  const startAt = await search({ jql: 'project = "PER"', startAt: 0 });
  assert.equal(startAt.status, 400);
  assert.match(startAt.body.errorMessages[0], /Invalid request payload/);
  const token = await search({ jql: 'project = "PER"', nextPageToken: "garbage" });
  assert.equal(token.status, 400);
});

Deno.test("the stand-in's approximate count drops an issue once it is resolved", async () => {
  const { call, create } = setup();
  const first = await create(["suspected-fraud"]);
  await create(["suspected-fraud"]);
  const jql = 'project = "PER" AND labels = "suspected-fraud" AND statusCategory != Done';
  const count = async () =>
    (await (await call("POST", "/rest/api/3/search/approximate-count", { jql })).json()).count;
  assert.equal(await count(), 2);
  const resolved = await call("POST", `/stand-in/issues/${first}/resolve`);
  assert.equal(resolved.status, 200);
  await resolved.body?.cancel();
  assert.equal(await count(), 1);
  const unknown = await call("POST", "/stand-in/issues/PER-404/resolve");
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
});

Deno.test("the stand-in answers 410 to the removed GET /rest/api/3/search", async () => {
  const { call } = setup();
  const res = await call("GET", "/rest/api/3/search?jql=project%3DPER");
  assert.equal(res.status, 410);
  assert.match((await res.json()).errorMessages[0], /search\/jql/);
});

Deno.test("the stand-in answers every Nth request 429 with Retry-After", async () => {
  const { search } = setup({ rateLimitEvery: 3 });
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await search({ jql: 'project = "PER"' })).status);
  assert.deepEqual(statuses, [200, 200, 429, 200, 200, 429]);
  const { call } = setup({ rateLimitEvery: 1 });
  const res = await call("POST", "/rest/api/3/search/jql", { jql: 'project = "PER"' });
  assert.equal(res.headers.get("retry-after"), "1");
  await res.body?.cancel();
});

Deno.test("GET /stand-in/issues lists issues with their comments as text", async () => {
  const { call, create } = setup();
  const key = await create(["suspected-fraud"]);
  const comment = await call("POST", `/rest/api/3/issue/${key}/comment`, { body: doc("Escalate") });
  await comment.body?.cancel();
  const res = await call("GET", "/stand-in/issues", undefined, "");
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.issues[0].key, key);
  assert.equal(body.issues[0].description_text, "Payment ID: p1");
  assert.equal(body.issues[0].comments[0].text, "Escalate");
});

Deno.test("serveJiraStandIn() serves on a free port and shuts down", async () => {
  const standIn = serveJiraStandIn({ port: 0, hostname: "127.0.0.1" });
  try {
    const res = await fetch(`${standIn.url}/readyz`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("server"), "jira-stand-in");
    assert.deepEqual(await res.json(), { ok: true });
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("search by label and comment by key stay right when the oldest issues are evicted", async () => {
  const { create, search, call, state } = setup({ maxIssues: 3 });
  const keys = [];
  for (let i = 0; i < 5; i++) keys.push(await create(["suspected-fraud", `payment-p${i}`]));
  assert.deepEqual(state.issues.map((issue) => issue.key), keys.slice(2));
  const gone = await search({ jql: 'labels = "payment-p0"' });
  assert.deepEqual(gone.body.issues, [], "an evicted issue is no longer found by its label");
  const kept = await search({ jql: 'labels = "PAYMENT-P3"', fields: ["labels"] });
  assert.deepEqual(kept.body.issues.map((i: { key: string }) => i.key), [keys[3]]);
  const all = await search({ jql: 'labels = "suspected-fraud" ORDER BY created DESC' });
  assert.deepEqual(all.body.issues.map((i: { key: string }) => i.key), keys.slice(2).reverse());
  const comment = { body: doc("Checked.") };
  assert.equal((await call("POST", `/rest/api/3/issue/${keys[0]}/comment`, comment)).status, 404);
  assert.equal((await call("POST", `/rest/api/3/issue/${keys[4]}/comment`, comment)).status, 201);
});
