import assert from "node:assert/strict";
import { freePort, waitReady } from "@demo/observability/testing";

const main = new URL("./main.ts", import.meta.url).pathname;

function spawn(env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main],
    env: {
      DD_TRACE_ENABLED: "false",
      DD_AGENT_HOST: "127.0.0.1",
      // Metrics go to a closed loopback port: nothing else receives what the test sends.
      DD_DOGSTATSD_PORT: String(freePort()),
      HOST: "127.0.0.1",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("payment-service exits 1 at start-up naming the bad variable, never its value", async () => {
  const out = await spawn({ PAYMENT_FAIL_RATE: "mostly", PORT: String(freePort()) }).output();
  assert.equal(out.code, 1);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /"config_invalid"/);
  assert.match(text, /PAYMENT_FAIL_RATE/);
  assert.doesNotMatch(text, /mostly/);
});

Deno.test("payment-service takes a payment, then exits 0 on SIGTERM after draining", async () => {
  const port = freePort();
  const child = spawn({
    PORT: String(port),
    PAYMENT_LATENCY_MIN_MS: "0",
    PAYMENT_LATENCY_MAX_MS: "0",
    PAYMENT_FAIL_RATE: "0",
    PAYMENT_SUSPECTED_FRAUD_RATE: "0",
  });
  const ready = await waitReady(port);
  assert.ok(ready, "payment-service became ready");
  const paid = await fetch(`http://127.0.0.1:${port}/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ customer_id: "cust_0123456789", bank_id: "RABO", amount: 7 }),
  });
  assert.equal(paid.status, 200);
  assert.equal((await paid.json()).bank_name, "Rabobank");
  child.kill("SIGTERM");
  const out = await child.output();
  assert.equal(out.code, 0);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /"payment_settled"/);
  assert.match(text, /"service_stopped"/);
});
