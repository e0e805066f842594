/**
 * The amount rules the gateway enforces, checked in the browser first so that a typo
 * costs no round trip and never reaches the payment service.
 */

/** The largest amount one payment may carry. */
export const MAX_AMOUNT = 10_000;

/** The result of {@linkcode parseAmount}: the number to send, or why the text is refused. */
export type AmountCheck = { ok: true; value: number } | { ok: false; message: string };

const NUMBER = /^\d+(\.\d+)?$/;
// Thousands grouped by commas, as the page itself writes amounts ("10,000").
const GROUPED = /^\d{1,3}(,\d{3})+(\.\d+)?$/;
// A decimal comma ("12,50"): refused by name rather than read as 1250.
const DECIMAL_COMMA = /^\d+,\d{1,2}$/;
const AT_MOST_TWO_DECIMALS = /^\d+(\.\d{1,2})?$/;

/** Reads what the user typed as an amount: greater than 0, at most 2 decimals, at most 10,000. */
export function parseAmount(input: string): AmountCheck {
  let text = input.trim();
  if (text === "") return refuse("Enter an amount");
  if (/^-\d/.test(text)) return refuse("Enter an amount greater than 0");
  if (GROUPED.test(text)) text = text.replaceAll(",", "");
  else if (DECIMAL_COMMA.test(text)) return refuse("Use a dot for decimals, like 12.50");
  if (!NUMBER.test(text)) return refuse("Enter the amount as a number, like 12.50");
  if (!AT_MOST_TWO_DECIMALS.test(text)) return refuse("Use at most 2 decimals");
  const value = Number(text);
  if (value <= 0) return refuse("Enter an amount greater than 0");
  if (value > MAX_AMOUNT) return refuse("Enter an amount of at most 10,000");
  return { ok: true, value };
}

function refuse(message: string): AmountCheck {
  return { ok: false, message };
}
