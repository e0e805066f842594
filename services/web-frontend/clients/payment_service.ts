import { createServiceClient, type UpstreamReply } from "@demo/observability";
import type { Bank } from "../banks.ts";
import { IDEMPOTENCY_HEADER, type PaymentFacts } from "../payment.ts";
import {
  badAnswer,
  type PeerCall,
  type PeerClientOptions,
  relayedError,
  unexpectedAnswer,
} from "./_reply.ts";

/** The peer's name, as in its `DD_SERVICE`. */
const PEER = "payment-service";

/** A payment as payment-service stores it (the fields the gateway relies on). */
export interface PaymentRecord extends PaymentFacts {
  customer_id: string;
  [field: string]: unknown;
}

/** What the gateway asks payment-service to pay. */
export interface PayCommand {
  customerId: string;
  bankId: string;
  amount: number;
  /** Already scoped to the customer. */
  idempotencyKey: string;
}

/** payment-service, as web-frontend uses it. */
export interface PaymentServiceClient {
  /** `GET /banks`. */
  banks(call: PeerCall): Promise<Bank[]>;
  /** `POST /pay`: payment-service's status and body, whatever they are, for the caller to judge. */
  pay(command: PayCommand, call: PeerCall): Promise<UpstreamReply>;
  /** `GET /payments?customer_id=&limit=`: the customer's payments, newest first. */
  recent(customerId: string, limit: number, call: PeerCall): Promise<unknown[]>;
  /** `GET /payments/:id`, or undefined when there is no such payment. */
  get(paymentId: string, call: PeerCall): Promise<PaymentRecord | undefined>;
}

function isBank(value: unknown): value is Bank {
  const bank = value as Bank | null;
  return typeof bank?.bank_id === "string" && typeof bank.bank_name === "string";
}

function isRecord(value: unknown): value is PaymentRecord {
  const record = value as PaymentRecord | null;
  return typeof record?.payment_id === "string" && typeof record.customer_id === "string";
}

/** Creates the payment-service client on the kit's service client. */
export function createPaymentServiceClient(options: PeerClientOptions): PaymentServiceClient {
  const client = createServiceClient({ name: PEER, ...options });
  return {
    async banks(call) {
      const { status, data } = await client.call("GET", "/banks", call);
      if (status !== 200) throw unexpectedAnswer(PEER, status);
      if (!Array.isArray(data.banks) || !data.banks.every(isBank)) throw badAnswer(PEER, status);
      return data.banks.map((b: Bank) => ({ bank_id: b.bank_id, bank_name: b.bank_name }));
    },
    pay(command, call) {
      return client.call("POST", "/pay", {
        ...call,
        headers: { [IDEMPOTENCY_HEADER]: command.idempotencyKey },
        body: {
          customer_id: command.customerId,
          bank_id: command.bankId,
          amount: command.amount,
        },
      });
    },
    async recent(customerId, limit, call) {
      const query = `customer_id=${encodeURIComponent(customerId)}&limit=${limit}`;
      const { status, data } = await client.call("GET", `/payments?${query}`, call);
      if (status !== 200) throw unexpectedAnswer(PEER, status);
      if (!Array.isArray(data.payments)) throw badAnswer(PEER, status);
      return data.payments;
    },
    async get(paymentId, call) {
      const { status, data } = await client.call(
        "GET",
        `/payments/${encodeURIComponent(paymentId)}`,
        call,
      );
      if (status === 404) return undefined;
      if (status >= 400 && status < 500) throw relayedError(PEER, status, data);
      if (status !== 200) throw unexpectedAnswer(PEER, status);
      // payment-service may answer the record itself or wrap it as `{ok, payment}`.
      const record = isRecord(data.payment) ? data.payment : data;
      if (!isRecord(record)) throw badAnswer(PEER, status);
      return record;
    },
  };
}
