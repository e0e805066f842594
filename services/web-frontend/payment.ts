import { BANK_IDS as ALL_BANK_IDS } from "@demo/banks";
import { badRequest, HttpError } from "@demo/observability";

/** The header a browser retries a payment with, so it is never paid twice. */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** payment-service's mark on an answer that repeats an earlier request's payment. */
export const REPLAYED_HEADER = "idempotent-replayed";

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,100}$/;

/** The contract's bank ids: the only values a `bank` metric tag may take. */
export const BANK_IDS: ReadonlySet<string> = new Set(ALL_BANK_IDS);

/**
 * The browser's idempotency key, or a fresh one when it sent none. A malformed key is a
 * 400 naming the header: it would otherwise be silently replaced and a retry could pay twice.
 */
export function idempotencyKeyFrom(
  header: string | undefined,
  generate: () => string = () => crypto.randomUUID(),
): string {
  if (header === undefined) return generate();
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw badRequest(
      IDEMPOTENCY_HEADER,
      "Invalid 'Idempotency-Key': expected 1 to 100 letters, digits or _ . : -",
    );
  }
  return header;
}

/**
 * The key payment-service sees: scoped by customer, so one customer's key can never
 * replay (or reveal) another customer's payment.
 */
export function scopedIdempotencyKey(customerId: string, key: string): string {
  return `${customerId}:${key}`;
}

/** A bank id safe as a metric tag value: a contract bank, or `unknown` for anything else. */
export function bankTag(bankId: unknown): string {
  return typeof bankId === "string" && BANK_IDS.has(bankId) ? bankId : "unknown";
}

/** What payment-service's answer to `POST /pay` means for the customer. */
export type PaymentOutcome =
  /** 200: the payment settled. */
  | { kind: "settled"; paymentId?: string }
  /** 402, or 503 with a failed payment (fraud check unavailable): created, then declined. */
  | { kind: "failed"; paymentId?: string; reason: string }
  /** 4xx, or a 503 envelope: payment-service refused the request and created nothing. */
  | { kind: "refused"; reason: string; field?: string }
  /** Any other answer: the payment may or may not exist. */
  | { kind: "unknown" };

/** Classifies payment-service's answer to `POST /pay`. */
export function paymentOutcome(status: number, data: Record<string, unknown>): PaymentOutcome {
  const paymentId = typeof data.payment_id === "string" ? data.payment_id : undefined;
  if (status === 200) return { kind: "settled", paymentId };
  if (status === 402 || (status === 503 && data.status === "failed")) {
    return { kind: "failed", paymentId, reason: String(data.reason ?? "unknown") };
  }
  if ((status >= 400 && status < 500) || status === 503) {
    const error = (data.error ?? {}) as Record<string, unknown>;
    return {
      kind: "refused",
      reason: typeof error.code === "string" ? error.code : `http_${status}`,
      field: typeof error.field === "string" ? error.field : undefined,
    };
  }
  return { kind: "unknown" };
}

/**
 * The answer when nobody knows whether a payment went through. It never says the payment
 * failed: it may still complete, and a retry with the same key tells the real outcome.
 */
export function paymentOutcomeUnknown(
  key: string,
  status: 502 | 504,
  cause?: unknown,
): HttpError {
  return new HttpError(
    status,
    "payment_outcome_unknown",
    "We could not confirm this payment yet: it may still complete. Retry with the same " +
      "Idempotency-Key to see its outcome; it will not be charged twice.",
    { details: { idempotency_key: key }, cause },
  );
}

/**
 * The answer when the request's time ran out before the payment was sent to
 * payment-service: nothing was sent, so unlike {@linkcode paymentOutcomeUnknown} the
 * outcome is known.
 */
export function paymentNotSent(key: string, cause?: unknown): HttpError {
  return new HttpError(
    503,
    "deadline_exceeded",
    "No time was left to send this payment, so it was not sent. Retry with the same " +
      "Idempotency-Key.",
    { details: { idempotency_key: key }, cause },
  );
}

/** The payment fields the assistant is told about. */
export interface PaymentFacts {
  payment_id: string;
  status?: unknown;
  reason?: unknown;
  bank_id?: unknown;
  bank_name?: unknown;
  amount?: unknown;
  created_at?: unknown;
}

function text(value: unknown, max = 80): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return typeof value === "string" && value !== "" ? value.slice(0, max) : undefined;
}

/** What a customer can do about a failed payment, by the contract's failure reasons. */
const NEXT_STEPS: Record<string, string> = {
  "insufficient funds": "Add funds or pay a smaller amount.",
  "request timeout": "The bank did not answer in time; you can pay again.",
  "invalid recipient": "Check the bank you chose and pay again.",
  "incorrect card details": "Check your card details with your bank.",
  "suspected fraud":
    "It was stopped as suspected fraud and not paid; if you made it, contact support.",
  "fraud check unavailable": "Nothing was paid; try again in a moment.",
  "internal error": "Nothing was paid; try again in a moment.",
};

/** The next step for a payment's outcome, when there is one to suggest. */
export function nextStep(status: unknown, reason: unknown): string | undefined {
  if (status === "settled") return "No action is needed.";
  return typeof reason === "string" ? NEXT_STEPS[reason.trim().toLowerCase()] : undefined;
}

/**
 * A declined payment's answer with `next_step`, what the customer can do about its reason
 * (the UI shows it under the reason); any other answer as it is.
 */
export function withNextStep(
  answer: Record<string, unknown>,
  outcome: PaymentOutcome,
): Record<string, unknown> {
  const step = outcome.kind === "failed" ? nextStep("failed", outcome.reason) : undefined;
  return step ? { ...answer, next_step: step } : answer;
}

const AMOUNT = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/**
 * The assistant's prompt about one payment: its facts and next step first, as sentences a
 * customer can read, then the request to summarize and the customer's question. The
 * simulated model answers a prompt that mentions "summarize" with its first 160 characters,
 * so the facts are what it says; the question still reaches it and LLM Observability.
 */
export function assistantPrompt(payment: PaymentFacts, question?: string): string {
  const amount = typeof payment.amount === "number" && Number.isFinite(payment.amount)
    ? AMOUNT.format(payment.amount)
    : text(payment.amount);
  const bank = text(payment.bank_name) ?? text(payment.bank_id) ?? "an unknown bank";
  const reason = text(payment.reason, 120);
  const status = text(payment.status);
  const outcome = status === "settled"
    ? "settled"
    : status === "failed"
    ? `failed${reason ? `: ${reason.toLowerCase()}` : ""}`
    : `is ${status ?? "in an unknown state"}`;
  const step = nextStep(payment.status, payment.reason);
  const parts = [
    `Payment ${payment.payment_id}${amount ? ` of ${amount}` : ""} to ${bank} ${outcome}.`,
    step ? ` ${step}` : "",
    ` ${SUMMARY_REQUEST}`,
    question ? `, who asks: ${question}` : ".",
  ];
  return parts.join("");
}

/** The gateway's request to the model, after the facts in every assistant prompt. */
export const SUMMARY_REQUEST = "Please summarize this payment for the customer";

/**
 * What the customer is shown of a model's answer: the simulated model echoes the prompt, so
 * an echo of the gateway's own request (and the question after it) is left out, and the
 * rest is cut after its last whole sentence.
 */
export function assistantAnswer(output: string): string {
  const echo = output.indexOf(SUMMARY_REQUEST);
  return wholeSentences(echo > 0 ? output.slice(0, echo) : output);
}

/**
 * A model's answer cut after its last whole sentence, as a chat UI shows it: a model that
 * stops at a length limit stops mid-word. An answer with no sentence end is kept, with "…".
 */
export function wholeSentences(answer: string): string {
  const trimmed = answer.trim();
  if (/[.!?]$/.test(trimmed)) return trimmed;
  let end = -1;
  for (const match of trimmed.matchAll(/[.!?](?=\s)/g)) end = match.index!;
  return end > 0 ? trimmed.slice(0, end + 1) : `${trimmed}…`;
}
