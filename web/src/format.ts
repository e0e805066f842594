/** How amounts, dates and payment states read on the page. */
import type { Payment } from "./api.ts";

const AMOUNT = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** An amount with 2 decimals and thousands separators: `1,234.50`. */
export function formatAmount(amount: number): string {
  return AMOUNT.format(amount);
}

/** A timestamp in the reader's locale and time zone, or the raw text if it is no date. */
export function formatDate(iso: string, locale?: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone })
    .format(date);
}

/** A payment's state in words: `Settled`, or `Failed: <reason>`. */
export function describeStatus(payment: Pick<Payment, "status" | "reason">): string {
  if (payment.status === "settled") return "Settled";
  return payment.reason ? `Failed: ${payment.reason}` : "Failed";
}

/** How a payment is named in the assistant's list. */
export function describePayment(payment: Payment): string {
  const outcome = payment.reason ? `${payment.status}: ${payment.reason}` : payment.status;
  const amount = formatAmount(payment.amount);
  // What tells payments apart first: a narrow list cuts the end, and ids look alike.
  return `${amount} to ${payment.bank_name}, ${outcome} (${payment.payment_id})`;
}
