/**
 * What a suspected-fraud ticket says and how it is found again: its summary, labels, ADF
 * description and the JQL queries over the project. Plain functions, no I/O.
 *
 * @module
 */
import { type BankId, BANKS as BANK_NAMES } from "@demo/banks";
import { type AdfDoc, adfFromFields } from "./adf.ts";

/** Every suspected-fraud ticket carries this label; the poller counts by it. */
export const SUSPECTED_FRAUD_LABEL = "suspected-fraud";

/** Jira issue keys: a project key, a dash, a number (`PER-12`). */
export const ISSUE_KEY = /^[A-Z][A-Z0-9_]{0,49}-[1-9][0-9]{0,11}$/;

export { type BankId, BANKS as BANK_NAMES } from "@demo/banks";

/** A payment flagged as suspected fraud, as a ticket describes it. */
export interface SuspectedFraud {
  paymentId: string;
  customerId: string;
  bankId: BankId;
  amount: number;
  reason: string;
  /** The trace of the payment; the summary names it so the ticket links to APM. */
  traceId: string;
}

/** The label that makes a ticket findable by its payment (Jira has no idempotency key). */
export function paymentLabel(paymentId: string): string {
  return `payment-${paymentId}`;
}

/** `Suspected Fraud <trace id>`, as the original tickets were titled. */
export function summaryFor(fraud: SuspectedFraud): string {
  return `Suspected Fraud ${fraud.traceId}`;
}

/** The labels of a ticket: the suspected-fraud label and the payment's own. */
export function labelsFor(fraud: SuspectedFraud): string[] {
  return [SUSPECTED_FRAUD_LABEL, paymentLabel(fraud.paymentId)];
}

/** The ticket's ADF description: one line each for trace, payment, customer, bank, amount, reason. */
export function descriptionFor(fraud: SuspectedFraud): AdfDoc {
  return adfFromFields([
    ["Trace ID", fraud.traceId],
    ["Payment ID", fraud.paymentId],
    ["Customer ID", fraud.customerId],
    ["Bank", `${BANK_NAMES[fraud.bankId]} (${fraud.bankId})`],
    ["Amount", fraud.amount.toFixed(2)],
    ["Reason", fraud.reason],
  ]);
}

/** A JQL string literal: double-quoted, with quotes and backslashes escaped. */
export function jqlString(value: string): string {
  return `"${value.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;
}

/** The query that finds a payment's ticket before creating one. */
export function paymentJql(projectKey: string, paymentId: string): string {
  return `project = ${jqlString(projectKey)} AND labels = ${jqlString(paymentLabel(paymentId))}`;
}

/** Every suspected-fraud ticket of the project, newest first. */
export function suspectedFraudJql(projectKey: string): string {
  return `project = ${jqlString(projectKey)} AND labels = ${
    jqlString(SUSPECTED_FRAUD_LABEL)
  } ORDER BY created DESC`;
}

/** The suspected-fraud tickets not yet done: the open count of the gauge. */
export function openSuspectedFraudJql(projectKey: string): string {
  return `project = ${jqlString(projectKey)} AND labels = ${
    jqlString(SUSPECTED_FRAUD_LABEL)
  } AND statusCategory != Done`;
}
