/** Header carrying the milliseconds a caller is still willing to wait. */
export const BUDGET_HEADER = "x-request-budget-ms";

/**
 * A request's time budget. It is passed downstream as the remaining milliseconds (not a
 * timestamp, so clocks need not agree) and shrinks at every hop.
 */
export class Deadline {
  readonly expiresAt: number;

  constructor(budgetMs: number, now = Date.now()) {
    this.expiresAt = now + Math.max(0, budgetMs);
  }

  /** Milliseconds left, never negative. */
  remaining(now = Date.now()): number {
    return Math.max(0, this.expiresAt - now);
  }

  get expired(): boolean {
    return this.remaining() <= 0;
  }

  /** A deadline `reserveMs` earlier, for a downstream call that must answer before we do. */
  shrink(reserveMs: number): Deadline {
    return new Deadline(this.remaining() - reserveMs);
  }

  /** The deadline from an incoming request: the caller's budget, capped by our own. */
  static fromHeader(value: string | undefined | null, maxMs: number): Deadline {
    const parsed = value === undefined || value === null ? NaN : Number(value);
    const budget = Number.isFinite(parsed) && parsed >= 0 ? Math.min(parsed, maxMs) : maxMs;
    return new Deadline(budget);
  }
}
