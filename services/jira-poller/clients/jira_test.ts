import assert from "node:assert/strict";
import { adfProblem, adfText } from "@demo/jira-stand-in";
import { Deadline, HttpError } from "@demo/observability";
import { AUTH_VALUE, clientFor, fraud, recordingSleep, serveStandIn, TOKEN } from "../_testing.ts";
import { JiraError, retryAfterMs } from "./jira.ts";

/** Asserts that `promise` rejects with a JiraError of `reason` (and `status`) without secrets. */
async function rejectsWith(
  promise: Promise<unknown>,
  reason: "http_error" | "exception",
  status?: number,
): Promise<JiraError> {
  let caught: unknown;
  await promise.catch((error) => (caught = error));
  assert.ok(caught instanceof JiraError, `expected a JiraError, got ${caught}`);
  assert.equal(caught.reason, reason);
  if (status !== undefined) assert.equal(caught.status, status);
  assert.doesNotMatch(caught.message, new RegExp(`${TOKEN}|${AUTH_VALUE}`));
  return caught;
}

Deno.test("createSuspectedFraudIssue() opens a ticket with the contract's summary, labels and ADF description", async () => {
  const standIn = serveStandIn();
  try {
    const result = await clientFor(standIn.url).createSuspectedFraudIssue(fraud());
    assert.deepEqual(result, { issueKey: "PER-1", created: true });
    const issue = standIn.state.issue("PER-1");
    assert.ok(issue);
    assert.equal(issue.projectKey, "PER");
    assert.equal(issue.issueType, "Task");
    assert.equal(issue.summary, "Suspected Fraud 4bf92f3577b34da6a3ce929d0e0e4736");
    assert.deepEqual(issue.labels, [
      "suspected-fraud",
      "payment-pay_0123456789abcdef0123456789abcdef",
    ]);
    assert.equal(adfProblem(issue.description), undefined);
    assert.equal(
      adfText(issue.description),
      [
        "Trace ID: 4bf92f3577b34da6a3ce929d0e0e4736",
        "Payment ID: pay_0123456789abcdef0123456789abcdef",
        "Customer ID: cust_2bd806c97f",
        "Bank: HSBC (HSBC)",
        "Amount: 125.50",
        "Reason: Velocity check",
      ].join("\n"),
    );
    // It searched by the payment's label before creating.
    assert.deepEqual(standIn.state.calls.map((c) => `${c.method} ${c.path}`), [
      "POST /rest/api/3/search/jql",
      "POST /rest/api/3/issue",
    ]);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("10 concurrent creates for one payment make exactly one ticket and agree on its key", async () => {
  const standIn = serveStandIn();
  try {
    const client = clientFor(standIn.url);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => client.createSuspectedFraudIssue(fraud())),
    );
    assert.equal(standIn.state.issues.length, 1);
    assert.deepEqual(new Set(results.map((r) => r.issueKey)), new Set(["PER-1"]));
    assert.equal(
      standIn.state.calls.filter((c) => c.path === "/rest/api/3/issue").length,
      1,
      "one create call",
    );
    // Another payment still gets its own ticket.
    const other = await client.createSuspectedFraudIssue(fraud("pay_other"));
    assert.deepEqual(other, { issueKey: "PER-2", created: true });
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("after a restart a new client finds the payment's ticket by its label instead of creating another", async () => {
  const standIn = serveStandIn();
  try {
    const first = await clientFor(standIn.url).createSuspectedFraudIssue(fraud());
    const restarted = clientFor(standIn.url);
    const again = await restarted.createSuspectedFraudIssue(fraud());
    assert.deepEqual(again, { issueKey: first.issueKey, created: false });
    assert.equal(standIn.state.issues.length, 1);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("a retry on the same client is answered from the remembered key, without calling Jira", async () => {
  const standIn = serveStandIn();
  try {
    const client = clientFor(standIn.url);
    await client.createSuspectedFraudIssue(fraud());
    const calls = standIn.state.calls.length;
    assert.deepEqual(await client.createSuspectedFraudIssue(fraud()), {
      issueKey: "PER-1",
      created: false,
    });
    assert.equal(standIn.state.calls.length, calls);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("a failed create is not kept: the next attempt searches and creates afresh", async () => {
  const standIn = serveStandIn();
  let calls = 0;
  // The first call fails as if the network dropped; later ones reach the stand-in.
  const flaky: typeof fetch = (input, init) =>
    ++calls === 1 ? Promise.reject(new TypeError("connection reset")) : fetch(input, init);
  try {
    const client = clientFor(standIn.url, { fetch: flaky });
    await rejectsWith(client.createSuspectedFraudIssue(fraud()), "exception");
    assert.deepEqual(await client.createSuspectedFraudIssue(fraud()), {
      issueKey: "PER-1",
      created: true,
    });
    assert.equal(standIn.state.issues.length, 1);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("a create that lost its answer is not repeated while Jira's search may not show the ticket", async () => {
  const standIn = serveStandIn();
  let clock = Date.UTC(2026, 0, 1, 12, 0, 0);
  let creates = 0;
  let searchLags = true;
  // Jira makes the ticket but the answer is lost; its search does not show new tickets yet.
  const lossy: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    if (path === "/rest/api/3/search/jql" && searchLags) {
      return Response.json({ issues: [], isLast: true });
    }
    const response = await fetch(input, init);
    if (path === "/rest/api/3/issue" && ++creates === 1) {
      await response.body?.cancel();
      throw new TypeError("connection reset after the request was sent");
    }
    return response;
  };
  try {
    const client = clientFor(standIn.url, { fetch: lossy, now: () => clock });
    const lost = await rejectsWith(client.createSuspectedFraudIssue(fraud()), "exception");
    assert.equal(lost.unanswered, true);
    // A retry within the window: Jira's search still shows nothing, and no second ticket.
    clock += 5_000;
    const held = await rejectsWith(client.createSuspectedFraudIssue(fraud()), "exception");
    assert.match(held.message, /not creating another for 55 s/);
    assert.equal(standIn.state.issues.length, 1);
    // Once the search shows it, the retry finds the ticket made by the lost create.
    searchLags = false;
    assert.deepEqual(await client.createSuspectedFraudIssue(fraud()), {
      issueKey: "PER-1",
      created: false,
    });
    assert.equal(creates, 1);
    assert.equal(standIn.state.issues.length, 1);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("a create refused before it was sent does not hold back the next one", async () => {
  const standIn = serveStandIn();
  try {
    const client = clientFor(standIn.url);
    // No time left: nothing went out, so nothing can have been made.
    await rejectsWith(
      client.createSuspectedFraudIssue(fraud(), { deadline: new Deadline(0) }),
      "exception",
    );
    assert.deepEqual(await client.createSuspectedFraudIssue(fraud()), {
      issueKey: "PER-1",
      created: true,
    });
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("a 429 is retried after Retry-After seconds and then succeeds", async () => {
  // Every 2nd request is limited: the search passes, the create is limited once.
  const standIn = serveStandIn({ rateLimitEvery: 2 });
  const recorder = recordingSleep();
  try {
    const client = clientFor(standIn.url, { sleep: recorder.sleep });
    const result = await client.createSuspectedFraudIssue(fraud());
    assert.deepEqual(result, { issueKey: "PER-1", created: true });
    assert.deepEqual(recorder.waits, [1000]);
    assert.deepEqual(standIn.state.calls.map((c) => c.status), [200, 429, 201]);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("a 429 that never clears gives up after 3 retries as http_error", async () => {
  const standIn = serveStandIn({ rateLimitEvery: 1 });
  const recorder = recordingSleep();
  try {
    const client = clientFor(standIn.url, { sleep: recorder.sleep });
    const error = await rejectsWith(client.countOpenSuspectedFraudIssues(), "http_error", 429);
    assert.match(error.message, /gave up after 4 attempts/);
    assert.deepEqual(recorder.waits, [1000, 1000, 1000]);
    assert.equal(standIn.state.calls.length, 4);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("a Retry-After date is honoured, and one longer than the longest wait fails without retrying early", async () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const dated = serveStandIn({ rateLimitEvery: 2, retryAfter: new Date(now + 3000).toUTCString() });
  const recorder = recordingSleep();
  try {
    const client = clientFor(dated.url, { sleep: recorder.sleep, now: () => now });
    await client.countOpenSuspectedFraudIssues();
    await client.countOpenSuspectedFraudIssues();
    assert.deepEqual(recorder.waits, [3000]);
  } finally {
    await dated.shutdown();
  }
  const long = serveStandIn({ rateLimitEvery: 2, retryAfter: "120" });
  const capped = recordingSleep();
  try {
    const client = clientFor(long.url, { sleep: capped.sleep, maxRetryWaitMs: 2500 });
    await client.countOpenSuspectedFraudIssues();
    // Jira asks for 120 s: a retry after 2.5 s would only earn another 429.
    await rejectsWith(client.countOpenSuspectedFraudIssues(), "http_error", 429);
    assert.deepEqual(capped.waits, []);
    assert.equal(long.state.calls.length, 2);
  } finally {
    await long.shutdown();
  }
});

Deno.test("a 429 whose wait would outlive the deadline fails at once instead of waiting", async () => {
  const standIn = serveStandIn({ rateLimitEvery: 1, retryAfter: "5" });
  const recorder = recordingSleep();
  try {
    const client = clientFor(standIn.url, { sleep: recorder.sleep });
    await rejectsWith(
      client.countOpenSuspectedFraudIssues({ deadline: new Deadline(1000) }),
      "http_error",
      429,
    );
    assert.deepEqual(recorder.waits, []);
    assert.equal(standIn.state.calls.length, 1);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("retryAfterMs() reads seconds and HTTP dates and ignores garbage", () => {
  const now = Date.UTC(2026, 0, 1);
  assert.equal(retryAfterMs("2", now), 2000);
  assert.equal(retryAfterMs(new Date(now + 4000).toUTCString(), now), 4000);
  assert.equal(retryAfterMs(new Date(now - 4000).toUTCString(), now), 0);
  assert.equal(retryAfterMs("soon", now), undefined);
  // Not seconds and not an HTTP date, though Date.parse reads them as years long past.
  assert.equal(retryAfterMs("1.5", now), undefined);
  assert.equal(retryAfterMs("-1", now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
});

/** A fetch that never answers until its signal aborts. */
const hangingFetch: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
  });

Deno.test("a call that Jira does not answer fails as exception after JIRA_TIMEOUT_MS", async () => {
  const client = clientFor("http://127.0.0.1:9", { fetch: hangingFetch, timeoutMs: 50 });
  const started = performance.now();
  const error = await rejectsWith(client.countOpenSuspectedFraudIssues(), "exception");
  assert.match(error.message, /within 50 ms/);
  assert.ok(performance.now() - started < 1000);
});

Deno.test("the caller's deadline cuts a call shorter than JIRA_TIMEOUT_MS", async () => {
  const client = clientFor("http://127.0.0.1:9", { fetch: hangingFetch, timeoutMs: 5000 });
  const started = performance.now();
  await rejectsWith(
    client.countOpenSuspectedFraudIssues({ deadline: new Deadline(60) }),
    "exception",
  );
  assert.ok(performance.now() - started < 1000, "gave up at the deadline, not the timeout");
  await rejectsWith(
    client.countOpenSuspectedFraudIssues({ deadline: new Deadline(0) }),
    "exception",
  );
});

Deno.test("a caller joining a create in flight waits no longer than its own deadline", async () => {
  const client = clientFor("http://127.0.0.1:9", { fetch: hangingFetch, timeoutMs: 300 });
  const leader = client.createSuspectedFraudIssue(fraud());
  const started = performance.now();
  await rejectsWith(
    client.createSuspectedFraudIssue(fraud(), { deadline: new Deadline(30) }),
    "exception",
  );
  assert.ok(performance.now() - started < 250, "the joiner gave up before the leader");
  await rejectsWith(leader, "exception");
});

Deno.test("an unreachable Jira is an exception, and so is a 200 that is not JSON", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await rejectsWith(
    clientFor(`http://127.0.0.1:${closedPort}`).countOpenSuspectedFraudIssues(),
    "exception",
  );
  const html: typeof fetch = () => Promise.resolve(new Response("<html>maintenance</html>"));
  await rejectsWith(
    clientFor("http://jira.test", { fetch: html }).countOpenSuspectedFraudIssues(),
    "exception",
  );
  const wrongShape: typeof fetch = () => Promise.resolve(Response.json({ total: "many" }));
  await rejectsWith(
    clientFor("http://jira.test", { fetch: wrongShape }).countOpenSuspectedFraudIssues(),
    "exception",
  );
});

Deno.test("wrong credentials are an http_error 401 whose message never holds the token", async () => {
  const standIn = serveStandIn({ apiToken: "the-right-one" });
  try {
    const error = await rejectsWith(
      clientFor(standIn.url).createSuspectedFraudIssue(fraud()),
      "http_error",
      401,
    );
    assert.match(error.message, /401/);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("addComment() posts an ADF comment to the issue", async () => {
  const standIn = serveStandIn();
  try {
    const client = clientFor(standIn.url);
    const { issueKey } = await client.createSuspectedFraudIssue(fraud());
    await client.addComment(issueKey, "Confirmed fraudulent activity.\nPlease escalate");
    const [comment] = standIn.state.issue(issueKey)?.comments ?? [];
    assert.equal(adfProblem(comment.body), undefined);
    assert.equal(adfText(comment.body), "Confirmed fraudulent activity.\nPlease escalate");
    await rejectsWith(client.addComment("PER-99", "x"), "http_error", 404);
  } finally {
    await standIn.shutdown();
  }
});

for (const key of ["", " ", "PER", "PER-", "per-1", "PER-0", "PER-1/../2", "PER-1 "]) {
  Deno.test(`addComment() refuses the issue key ${JSON.stringify(key)} before calling Jira`, async () => {
    let calls = 0;
    const counting: typeof fetch = () => {
      calls++;
      return Promise.resolve(Response.json({}));
    };
    const client = clientFor("http://jira.test", { fetch: counting });
    await assert.rejects(client.addComment(key, "hello"), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 400);
      assert.equal(error.field, "issue_key");
      return true;
    });
    assert.equal(calls, 0);
  });
}

Deno.test("listSuspectedFraudIssues() follows nextPageToken over several pages, newest first", async () => {
  const standIn = serveStandIn();
  try {
    const client = clientFor(standIn.url, { pageSize: 2 });
    for (let i = 0; i < 7; i++) await client.createSuspectedFraudIssue(fraud(`pay_${i}`));
    const listing = await client.listSuspectedFraudIssues();
    assert.equal(listing.pages, 4);
    assert.equal(listing.complete, true);
    assert.deepEqual(
      listing.issues.map((i) => i.key),
      ["PER-7", "PER-6", "PER-5", "PER-4", "PER-3", "PER-2", "PER-1"],
    );
    assert.equal(listing.issues[0].statusCategory, "new");
    assert.deepEqual(listing.issues[0].labels, ["suspected-fraud", "payment-pay_6"]);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("listSuspectedFraudIssues() stops at its page bound and says the listing is incomplete", async () => {
  const standIn = serveStandIn();
  try {
    const client = clientFor(standIn.url, { pageSize: 2, maxPages: 2 });
    for (let i = 0; i < 7; i++) await client.createSuspectedFraudIssue(fraud(`pay_${i}`));
    const listing = await client.listSuspectedFraudIssues();
    assert.equal(listing.pages, 2);
    assert.equal(listing.complete, false);
    assert.equal(listing.issues.length, 4);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("countOpenSuspectedFraudIssues() leaves out resolved tickets", async () => {
  const standIn = serveStandIn();
  try {
    const client = clientFor(standIn.url);
    for (let i = 0; i < 3; i++) await client.createSuspectedFraudIssue(fraud(`pay_${i}`));
    assert.equal(await client.countOpenSuspectedFraudIssues(), 3);
    standIn.state.resolve("PER-2");
    assert.equal(await client.countOpenSuspectedFraudIssues(), 2);
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("listSuspectedFraudIssues() ends at a last page whose nextPageToken is null, as Jira's docs show it", async () => {
  // Jira Cloud leaves the token out of the last page (as the stand-in does); its API docs
  // show it as null. Either ends the listing.
  let calls = 0;
  const documented: typeof fetch = () => {
    calls++;
    return Promise.resolve(Response.json({
      issues: [{ key: "PER-7", fields: { summary: "Suspected Fraud x", labels: [] } }],
      nextPageToken: null,
      isLast: false,
    }));
  };
  const listing = await clientFor("http://jira.invalid", { fetch: documented })
    .listSuspectedFraudIssues();
  assert.equal(calls, 1);
  assert.equal(listing.complete, true);
  assert.deepEqual(listing.issues.map((i) => i.key), ["PER-7"]);
});

Deno.test("a 503 is retried for a search or a count, never for a create", async () => {
  const answers: Response[] = [];
  const paths: string[] = [];
  const scripted: typeof fetch = (input) => {
    paths.push(new URL(String(input)).pathname);
    return Promise.resolve(answers.shift()!);
  };
  const recorder = recordingSleep();
  const client = clientFor("http://jira.invalid", { fetch: scripted, sleep: recorder.sleep });

  answers.push(
    new Response("{}", { status: 503, headers: { "retry-after": "2" } }),
    Response.json({ count: 4 }),
  );
  assert.equal(await client.countOpenSuspectedFraudIssues(), 4);
  assert.deepEqual(recorder.waits, [2000]);

  // The search finds nothing, the create meets a 503: Jira may have acted, so no retry.
  answers.push(
    Response.json({ issues: [], isLast: true }),
    new Response("{}", { status: 503 }),
  );
  paths.length = 0;
  await rejectsWith(client.createSuspectedFraudIssue(fraud()), "http_error", 503);
  assert.deepEqual(paths, ["/rest/api/3/search/jql", "/rest/api/3/issue"]);
  assert.deepEqual(recorder.waits, [2000]);
});

Deno.test("a create that could not connect sends nothing, so the next one is not held back", async () => {
  const standIn = serveStandIn();
  let creates = 0;
  const refusedOnce: typeof fetch = (input, init) => {
    if (new URL(String(input)).pathname === "/rest/api/3/issue" && ++creates === 1) {
      return Promise.reject(
        new TypeError("fetch failed", {
          cause: new Error("client error (Connect): tcp connect error: Connection refused"),
        }),
      );
    }
    return fetch(input, init);
  };
  try {
    const client = clientFor(standIn.url, { fetch: refusedOnce });
    const refused = await rejectsWith(client.createSuspectedFraudIssue(fraud()), "exception");
    assert.equal(refused.unanswered, false);
    assert.deepEqual(await client.createSuspectedFraudIssue(fraud()), {
      issueKey: "PER-1",
      created: true,
    });
  } finally {
    await standIn.shutdown();
  }
});

Deno.test("a create answered 201 with a body that cannot be read holds back another", async () => {
  const standIn = serveStandIn();
  let creates = 0;
  // Jira makes the ticket; its answer arrives empty, and its search does not show it yet.
  const unreadable: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    if (path === "/rest/api/3/search/jql") return Response.json({ issues: [], isLast: true });
    const response = await fetch(input, init);
    if (path === "/rest/api/3/issue" && ++creates === 1) {
      await response.body?.cancel();
      return new Response("", { status: 201 });
    }
    return response;
  };
  try {
    const client = clientFor(standIn.url, { fetch: unreadable });
    await rejectsWith(client.createSuspectedFraudIssue(fraud()), "exception");
    const held = await rejectsWith(client.createSuspectedFraudIssue(fraud()), "exception");
    assert.match(held.message, /not creating another/);
    assert.equal(creates, 1);
    assert.equal(standIn.state.issues.length, 1);
  } finally {
    await standIn.shutdown();
  }
});
