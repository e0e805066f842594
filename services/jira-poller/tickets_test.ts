import assert from "node:assert/strict";
import { adfProblem, parseJql } from "@demo/jira-stand-in";
import { adfFromText, adfToText } from "./adf.ts";
import { fraud } from "./_testing.ts";
import {
  descriptionFor,
  jqlString,
  labelsFor,
  openSuspectedFraudJql,
  paymentJql,
  summaryFor,
  suspectedFraudJql,
} from "./tickets.ts";

Deno.test("summaryFor() is 'Suspected Fraud <trace id>' and labelsFor() names the payment", () => {
  assert.equal(summaryFor(fraud()), "Suspected Fraud 4bf92f3577b34da6a3ce929d0e0e4736");
  assert.deepEqual(labelsFor(fraud("pay_1")), ["suspected-fraud", "payment-pay_1"]);
});

Deno.test("descriptionFor() is a valid ADF document with the six contract lines", () => {
  const doc = descriptionFor({ ...fraud(), bankId: "ABN", amount: 10 });
  assert.equal(adfProblem(doc), undefined);
  assert.deepEqual(adfToText(doc).split("\n").map((line) => line.split(":")[0]), [
    "Trace ID",
    "Payment ID",
    "Customer ID",
    "Bank",
    "Amount",
    "Reason",
  ]);
  assert.match(adfToText(doc), /^Bank: ABN AMRO Bank \(ABN\)$/m);
  assert.match(adfToText(doc), /^Amount: 10\.00$/m);
  assert.deepEqual(doc.content[0].content[0].marks, [{ type: "strong" }]);
});

Deno.test("the JQL queries are the contract's, exactly", () => {
  assert.equal(paymentJql("PER", "pay_1"), 'project = "PER" AND labels = "payment-pay_1"');
  assert.equal(
    suspectedFraudJql("PER"),
    'project = "PER" AND labels = "suspected-fraud" ORDER BY created DESC',
  );
  assert.equal(
    openSuspectedFraudJql("PER"),
    'project = "PER" AND labels = "suspected-fraud" AND statusCategory != Done',
  );
});

Deno.test("jqlString() escapes quotes and backslashes so a value cannot change the query", () => {
  const value = 'x" OR project = "OPS\\';
  assert.equal(jqlString(value), '"x\\" OR project = \\"OPS\\\\"');
  const query = parseJql(`labels = ${jqlString(value)}`);
  assert.deepEqual(query.clauses, [{ field: "labels", value }]);
});

Deno.test("adfFromText() makes one paragraph per line and never an empty text node", () => {
  const doc = adfFromText("Confirmed fraudulent activity.\r\n\nPlease escalate");
  assert.equal(adfProblem(doc), undefined);
  assert.equal(doc.content.length, 3);
  assert.deepEqual(doc.content[1], { type: "paragraph", content: [] });
  assert.equal(adfToText(doc), "Confirmed fraudulent activity.\n\nPlease escalate");
});
