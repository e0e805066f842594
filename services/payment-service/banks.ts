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
