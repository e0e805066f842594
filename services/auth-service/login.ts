import type { Random } from "@demo/observability";

/** The reasons a login fails, as the contract names them. */
export const LOGIN_FAILURE_REASONS = [
  "Incorrect password",
  "incorrect username",
  "account not found",
  "Unknown device",
] as const;

export type LoginFailureReason = typeof LOGIN_FAILURE_REASONS[number];

/** The outcome of a login attempt. */
export type LoginOutcome =
  | { ok: true; customerId: string }
  | { ok: false; customerId: string; reason: LoginFailureReason };

/** `cust_` + the first 10 hex characters of sha256(username), as the original derived it. */
export async function customerIdFor(username: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(username));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return `cust_${hex.slice(0, 10)}`;
}

/** Decides a login: it fails with probability `failRate`, with a contract reason. */
export async function attemptLogin(
  username: string,
  random: Random,
  failRate: number,
): Promise<LoginOutcome> {
  const customerId = await customerIdFor(username);
  if (random.chance(failRate)) {
    return { ok: false, customerId, reason: random.pick(LOGIN_FAILURE_REASONS) };
  }
  return { ok: true, customerId };
}
