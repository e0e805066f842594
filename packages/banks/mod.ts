/**
 * The banks of the contract, shared by every service that validates or tags a bank.
 *
 * @module
 */

/** The banks a payment can go to (id → display name), as the contract lists them. */
export const BANKS = {
  FNB: "FNB",
  ABN: "ABN AMRO Bank",
  RABO: "Rabobank",
  HSBC: "HSBC",
  JPMC: "JP Morgan Chase",
  ING: "ING",
  BARC: "Barclays",
  CITI: "Citibank",
} as const;

/** A bank id such as `HSBC`. */
export type BankId = keyof typeof BANKS;

/** Every bank id, in the contract's order. */
export const BANK_IDS = Object.keys(BANKS) as [BankId, ...BankId[]];

/** The display name of `bankId`. */
export function bankName(bankId: BankId): string {
  return BANKS[bankId];
}

/** Whether `value` is one of the contract's bank ids. */
export function isBankId(value: unknown): value is BankId {
  return typeof value === "string" && Object.hasOwn(BANKS, value);
}
