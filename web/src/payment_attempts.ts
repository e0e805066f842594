/**
 * The idempotency rule of paying: every attempt gets a fresh key, and only "check again"
 * after an unknown outcome sends the very same request with the very same key, so that the
 * gateway answers with the first attempt's result instead of paying twice.
 */
import type { PayOutcome, PayRequest } from "./api.ts";

/** Sends one payment request with its idempotency key. */
export type SendPayment = (request: PayRequest, idempotencyKey: string) => Promise<PayOutcome>;

/** Payment attempts of one page; see {@linkcode createPaymentAttempts}. */
export interface PaymentAttempts {
  /** Starts a new attempt with a fresh key. */
  submit(request: PayRequest): Promise<PayOutcome>;
  /** Repeats the attempt whose outcome is unknown, with its key; rejects when there is none. */
  checkAgain(): Promise<PayOutcome>;
  /** The attempt whose outcome is still unknown, if any. */
  readonly pending: { request: PayRequest; idempotencyKey: string } | undefined;
  /** Forgets the unknown attempt (e.g. on logout). */
  reset(): void;
}

/** Tracks payment attempts; `newKey` defaults to `crypto.randomUUID`. */
export function createPaymentAttempts(
  send: SendPayment,
  newKey: () => string = () => crypto.randomUUID(),
): PaymentAttempts {
  let pending: PaymentAttempts["pending"];

  async function attempt(request: PayRequest, idempotencyKey: string): Promise<PayOutcome> {
    pending = { request, idempotencyKey };
    try {
      const outcome = await send(request, idempotencyKey);
      if (outcome.kind !== "unknown") pending = undefined;
      return outcome;
    } catch (error) {
      // A refused request (4xx) was not paid: nothing is left to check.
      pending = undefined;
      throw error;
    }
  }

  return {
    submit: (request) => attempt({ ...request }, newKey()),
    checkAgain() {
      if (!pending) {
        return Promise.reject(new Error("Cannot check again: no payment has an unknown outcome"));
      }
      return attempt(pending.request, pending.idempotencyKey);
    },
    get pending() {
      return pending;
    },
    reset() {
      pending = undefined;
    },
  };
}
