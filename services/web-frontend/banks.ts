/** A bank customers can pay, as payment-service lists it. */
export interface Bank {
  bank_id: string;
  bank_name: string;
}

/** A short-lived copy of the bank list, which never changes while the system runs. */
export interface BankCache {
  /** The cached list, or the result of `load()` when it is missing or stale. */
  get(load: () => Promise<Bank[]>): Promise<Bank[]>;
}

/** Options of {@linkcode createBankCache}. */
export interface BankCacheOptions {
  ttlMs: number;
  now?: () => number;
}

/**
 * Creates a {@linkcode BankCache}. Concurrent misses share one load, and a failed load is
 * not cached, so the next request tries again.
 */
export function createBankCache(options: BankCacheOptions): BankCache {
  const now = options.now ?? Date.now;
  let banks: Bank[] | undefined;
  let expiresAt = 0;
  let loading: Promise<Bank[]> | undefined;
  return {
    get(load) {
      if (banks && now() < expiresAt) return Promise.resolve(banks);
      loading ??= load().then(
        (loaded) => {
          banks = loaded;
          expiresAt = now() + options.ttlMs;
          loading = undefined;
          return loaded;
        },
        (error) => {
          loading = undefined;
          throw error;
        },
      );
      return loading;
    },
  };
}
