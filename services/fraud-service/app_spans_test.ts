import assert from "node:assert/strict";
import { captureSpans, jsonRequest } from "@demo/observability/testing";
import { checkBody, setup } from "./_testing.ts";
import { LOG, SPAN } from "./telemetry.ts";

// The tracer is global to this module and keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };
const capture = await captureSpans();

Deno.test(
  "POST /check emits fraud.check with usr.id, payment.id, bank, amount and reason under the server span",
  opts,
  async () => {
    const { app, t } = setup({ draws: [0.1, 0.25] });
    const res = await app.request(
      jsonRequest("POST", "/check", { body: checkBody({ payment_id: "pay_span_rejected" }) }),
    );
    assert.equal(res.status, 200);
    const check = await capture.waitFor((s) =>
      s.name === SPAN.check && s.meta["payment.id"] === "pay_span_rejected"
    );
    const server = await capture.waitFor((s) =>
      s.resource === "POST /check" && s.span_id === check.parent_id
    );
    assert.equal(server.meta["usr.id"], "cust_2bd806c97f");
    assert.equal(server.meta["payment.id"], "pay_span_rejected");
    assert.equal(check.meta["usr.id"], "cust_2bd806c97f");
    assert.equal(check.meta.bank, "ING");
    assert.equal(check.metrics.amount, 125.5);
    assert.equal(check.meta.reason, "incorrect PIN number");
    assert.equal(check.error, 0);
    // The verdict's log line is correlated with the fraud.check span.
    const [line] = t.logged(LOG.rejected) as { dd: { span_id: string } }[];
    assert.equal(line.dd.span_id, check.span_id);
  },
);

Deno.test(
  "POST /check leaves reason off fraud.check when the payment is cleared",
  opts,
  async () => {
    const { app } = setup({ draws: [0.9] });
    const res = await app.request(
      jsonRequest("POST", "/check", { body: checkBody({ payment_id: "pay_span_cleared" }) }),
    );
    assert.equal(res.status, 200);
    const check = await capture.waitFor((s) =>
      s.name === SPAN.check && s.meta["payment.id"] === "pay_span_cleared"
    );
    assert.equal(check.meta.reason, undefined);
    assert.equal(check.meta["fraud.fraudulent"], "false");
  },
);
