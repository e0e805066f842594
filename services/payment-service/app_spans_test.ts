import assert from "node:assert/strict";
import { captureSpans } from "@demo/observability/testing";
import { PAY_BODY, scriptedRandom, setup } from "./_testing.ts";
import { SPAN } from "./telemetry.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const capture = await captureSpans();

Deno.test(
  "POST /pay emits the payment.pay span with usr.id, payment.id, bank, amount and reason under the server span",
  opts,
  async () => {
    // latency, suspected fraud (no), failure (yes), reason index 3 of 4.
    const t = setup({
      config: { failRate: 0.15, suspectedFraudRate: 0.05 },
      random: scriptedRandom([0, 0.99, 0.01, 0.9]),
    });
    const response = await t.pay({ ...PAY_BODY, bank_id: "BARC", amount: 42.42 });
    assert.equal(response.status, 402);
    const answer = await response.json();
    const pay = await capture.waitFor((s) =>
      s.name === SPAN.pay && s.meta["payment.id"] === answer.payment_id
    );
    const server = await capture.waitFor((s) => s.span_id === pay.parent_id);
    assert.equal(server.resource, "POST /pay");
    assert.equal(pay.meta["usr.id"], "cust_0123456789");
    assert.equal(pay.meta.bank, "BARC");
    assert.equal(pay.metrics.amount ?? Number(pay.meta.amount), 42.42);
    assert.equal(pay.meta.reason, "incorrect card details");
    assert.equal(server.meta["usr.id"], "cust_0123456789");
    assert.equal(server.meta["payment.id"], answer.payment_id);
    // An ordinary decline never reaches jira-poller.
    assert.equal(t.jira.calls.length, 0);
  },
);

Deno.test(
  "POST /pay sends jira-poller the payment's trace id when fraud is suspected",
  opts,
  async () => {
    const t = setup({ config: { suspectedFraudRate: 1 } });
    const response = await t.pay();
    assert.equal(response.status, 200);
    const answer = await response.json();
    const pay = await capture.waitFor((s) =>
      s.name === SPAN.pay && s.meta["payment.id"] === answer.payment_id
    );
    assert.equal(t.jira.calls[0].body.trace_id, pay.trace_id);
    assert.equal(pay.meta["jira.issue_key"], "PER-7");
  },
);
