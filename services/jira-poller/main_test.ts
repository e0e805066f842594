import assert from "node:assert/strict";
import { freePort } from "@demo/observability/testing";
import { AUTH_VALUE, EMAIL, serveStandIn, TOKEN } from "./_testing.ts";

const main = new URL("./main.ts", import.meta.url).pathname;

function spawn(env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main],
    env: {
      DD_TRACE_ENABLED: "false",
      DD_AGENT_HOST: "127.0.0.1",
      HOST: "127.0.0.1",
      PORT: "0",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("jira-poller exits 1 at start-up naming the bad variable, never a value", async () => {
  const out = await spawn({
    JIRA_TIMEOUT_MS: "soonish",
    JIRA_API_TOKEN: `${TOKEN} with-a-space`,
  }).output();
  assert.equal(out.code, 1);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /"config_invalid"/);
  assert.match(text, /JIRA_TIMEOUT_MS/);
  assert.match(text, /JIRA_API_TOKEN/);
  assert.doesNotMatch(text, /soonish/);
  assert.doesNotMatch(text, new RegExp(TOKEN));
});

Deno.test("jira-poller serves, polls the stand-in shortly after start and exits 0 on SIGTERM", async () => {
  const standIn = serveStandIn();
  const port = freePort();
  const child = spawn({
    PORT: String(port),
    JIRA_BASE_URL: standIn.url,
    JIRA_EMAIL: EMAIL,
    JIRA_API_TOKEN: TOKEN,
    JIRA_POLL_INTERVAL_SECONDS: "3600",
  });
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const readUntil = async (pattern: RegExp) => {
    const timeout = setTimeout(() => reader.cancel(), 10_000);
    try {
      while (!pattern.test(output)) {
        const { done, value } = await reader.read();
        if (done) break;
        output += value;
      }
    } finally {
      clearTimeout(timeout);
    }
    assert.match(output, pattern);
  };
  try {
    try {
      await readUntil(/"service_started"/);
      const res = await fetch(`http://127.0.0.1:${port}/jira/create_suspected_fraud`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          payment_id: "pay_main",
          customer_id: "cust_2bd806c97f",
          bank_id: "ING",
          amount: 10,
          trace_id: "",
        }),
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).issue_key, "PER-1");
      await readUntil(/"jira_poll_ok"/);
    } finally {
      child.kill("SIGTERM");
    }
    await readUntil(/"service_stopped"/);
    await reader.cancel();
    await child.stderr.cancel();
    assert.equal((await child.status).code, 0);
  } finally {
    await standIn.shutdown();
  }
  assert.match(output, /"jira_create_ok"/);
  assert.doesNotMatch(output, new RegExp(TOKEN));
  assert.doesNotMatch(output, new RegExp(AUTH_VALUE.replace(/[+/=]/g, "\\$&")));
});
