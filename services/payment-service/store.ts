import type { BankId } from "@demo/banks";

/** Where a payment is in its life: created, then settled or failed for good. */
export type PaymentStatus = "pending" | "settled" | "failed";

/** A stored payment. Records are replaced, never mutated, so a reader's copy stays stable. */
export interface Payment {
  readonly id: string;
  readonly customerId: string;
  readonly bankId: BankId;
  readonly amount: number;
  readonly status: PaymentStatus;
  /** Why it failed (a contract reason such as `Insufficient funds`). */
  readonly reason?: string;
  /** ISO 8601 creation time. */
  readonly createdAt: string;
  /** ISO 8601 time it reached its final state. */
  readonly finishedAt?: string;
  /** The Jira issue opened when it was suspected of fraud. */
  readonly issueKey?: string;
  /** The caller's `Idempotency-Key`, with a fingerprint of the request it came with. */
  readonly idempotencyKey?: string;
  readonly requestFingerprint?: string;
}

/** What may change on a stored payment after creation. */
export type PaymentChanges = Partial<
  Pick<Payment, "status" | "reason" | "finishedAt" | "issueKey">
>;

/**
 * Storage of payments. Every method is asynchronous so a database can take the place of
 * the in-memory implementation without changing callers.
 */
export interface PaymentStore {
  /** Stores a new payment; rejects when the id or idempotency key is already stored. */
  create(payment: Payment): Promise<void>;
  get(id: string): Promise<Payment | undefined>;
  /** Applies `changes` and returns the new record, or undefined when `id` is unknown. */
  update(id: string, changes: PaymentChanges): Promise<Payment | undefined>;
  findByIdempotencyKey(key: string): Promise<Payment | undefined>;
  /** The customer's payments, newest first, at most `limit`. */
  listByCustomer(customerId: string, limit: number): Promise<Payment[]>;
}

/** The in-memory {@linkcode PaymentStore}, with its size for tests and diagnostics. */
export interface MemoryPaymentStore extends PaymentStore {
  readonly size: number;
}

/** Options of {@linkcode createMemoryPaymentStore}. */
export interface MemoryPaymentStoreOptions {
  /** The most payments kept; past it the oldest are evicted first. */
  maxEntries: number;
}

/**
 * Creates a bounded in-memory {@linkcode PaymentStore}. Payments are kept in creation
 * order, so evicting the oldest is O(1); the idempotency and per-customer indexes are
 * trimmed with them, which keeps idempotency records bounded too.
 */
export function createMemoryPaymentStore(options: MemoryPaymentStoreOptions): MemoryPaymentStore {
  if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
    throw new RangeError("Cannot create payment store: maxEntries must be a positive integer");
  }
  const byId = new Map<string, Payment>();
  const byKey = new Map<string, string>();
  // Ids per customer in creation order (oldest first).
  const byCustomer = new Map<string, string[]>();

  function evictOldest() {
    const oldest = byId.values().next();
    if (oldest.done) return;
    const payment = oldest.value;
    byId.delete(payment.id);
    if (payment.idempotencyKey && byKey.get(payment.idempotencyKey) === payment.id) {
      byKey.delete(payment.idempotencyKey);
    }
    const ids = byCustomer.get(payment.customerId);
    if (!ids) return;
    // The globally oldest payment is also its customer's oldest.
    if (ids[0] === payment.id) ids.shift();
    else ids.splice(ids.indexOf(payment.id), 1);
    if (ids.length === 0) byCustomer.delete(payment.customerId);
  }

  return {
    get size() {
      return byId.size;
    },
    create(payment) {
      if (byId.has(payment.id)) {
        return Promise.reject(new Error(`Cannot store payment: id ${payment.id} exists`));
      }
      if (payment.idempotencyKey && byKey.has(payment.idempotencyKey)) {
        return Promise.reject(new Error("Cannot store payment: idempotency key exists"));
      }
      byId.set(payment.id, payment);
      if (payment.idempotencyKey) byKey.set(payment.idempotencyKey, payment.id);
      const ids = byCustomer.get(payment.customerId);
      if (ids) ids.push(payment.id);
      else byCustomer.set(payment.customerId, [payment.id]);
      while (byId.size > options.maxEntries) evictOldest();
      return Promise.resolve();
    },
    get(id) {
      return Promise.resolve(byId.get(id));
    },
    update(id, changes) {
      const current = byId.get(id);
      if (!current) return Promise.resolve(undefined);
      const next: Payment = { ...current, ...changes };
      // Map.set on an existing key keeps its place, so eviction order stays creation order.
      byId.set(id, next);
      return Promise.resolve(next);
    },
    findByIdempotencyKey(key) {
      const id = byKey.get(key);
      return Promise.resolve(id === undefined ? undefined : byId.get(id));
    },
    listByCustomer(customerId, limit) {
      const ids = byCustomer.get(customerId) ?? [];
      const out: Payment[] = [];
      for (let i = ids.length - 1; i >= 0 && out.length < limit; i--) {
        const payment = byId.get(ids[i]);
        if (payment) out.push(payment);
      }
      return Promise.resolve(out);
    },
  };
}
