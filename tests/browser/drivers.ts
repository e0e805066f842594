/**
 * Two ways through the page: a keyboard user who only presses Tab, Enter and types, and a
 * mouse user who clicks. Both expose the same steps, so one flow runs twice. They only act;
 * what the page shows in answer is checked by the flow.
 */
import type { Page } from "playwright-core";
import { focusedId } from "./in_page.ts";

/** One way of using the page. */
export interface Driver {
  readonly kind: "keyboard" | "mouse";
  readonly page: Page;
  /** Fills the login form and sends it. */
  logIn(username: string, password: string): Promise<void>;
  /** Chooses a bank by its name, enters an amount and sends the pay form. */
  pay(bankName: string, amount: string): Promise<void>;
  /** Asks the assistant about the chosen payment. */
  ask(question: string): Promise<void>;
  logOut(): Promise<void>;
}

/** The most Tab presses (each way) it may take to reach a control on this page. */
const MAX_TABS = 40;

/**
 * Moves focus to `#id` with Tab (then Shift+Tab, should the page not wrap around), the way a
 * keyboard user does; throws when the control cannot be reached.
 */
export async function tabTo(page: Page, id: string): Promise<void> {
  for (const key of ["Tab", "Shift+Tab"]) {
    for (let i = 0; i <= MAX_TABS; i++) {
      if (await focusedId(page) === id) return;
      await page.keyboard.press(key);
    }
  }
  throw new Error(`Cannot reach #${id} with the Tab key`);
}

/** A keyboard-only user: Tab to a control, type into it, Enter to send. */
export function keyboardDriver(page: Page): Driver {
  /** Tabs to a text field and types `text` into it, replacing what it held. */
  async function typeInto(id: string, text: string) {
    await tabTo(page, id);
    const current = await page.locator(`#${id}`).inputValue();
    if (current === text) return;
    if (current !== "") {
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.press("Backspace");
    }
    await page.keyboard.type(text);
  }

  return {
    kind: "keyboard",
    page,
    async logIn(username, password) {
      await typeInto("username", username);
      await typeInto("password", password);
      await page.keyboard.press("Enter");
    },
    async pay(bankName, amount) {
      await tabTo(page, "bank");
      // A closed select picks the option whose name starts with what is typed.
      const chosen = async () => await page.locator("#bank option:checked").textContent() ?? "";
      if (await chosen() !== bankName) await page.keyboard.type(bankName);
      const now = await chosen();
      if (now !== bankName) {
        throw new Error(`Cannot choose ${bankName} by typing its name: the select shows ${now}`);
      }
      await typeInto("amount", amount);
      await page.keyboard.press("Enter");
    },
    async ask(question) {
      await typeInto("assistant-question", question);
      await tabTo(page, "assistant-button");
      await page.keyboard.press("Enter");
    },
    async logOut() {
      await tabTo(page, "logout");
      await page.keyboard.press("Enter");
    },
  };
}

/** A mouse user: clicks controls found by their role and accessible name. */
export function mouseDriver(page: Page): Driver {
  return {
    kind: "mouse",
    page,
    async logIn(username, password) {
      const name = page.getByRole("textbox", { name: "Username" });
      await name.click();
      await name.fill(username);
      const secret = page.getByRole("textbox", { name: "Password" });
      await secret.click();
      await secret.fill(password);
      await page.getByRole("button", { name: "Log in" }).click();
    },
    async pay(bankName, amount) {
      await page.getByRole("combobox", { name: "Bank" }).selectOption({ label: bankName });
      const field = page.getByRole("textbox", { name: "Amount" });
      await field.click();
      await field.fill(amount);
      await page.getByRole("button", { name: "Pay", exact: true }).click();
    },
    async ask(question) {
      const field = page.getByRole("textbox", { name: "Question (optional)" });
      await field.click();
      await field.fill(question);
      await page.getByRole("button", { name: "Ask the assistant" }).click();
    },
    async logOut() {
      await page.getByRole("button", { name: "Log out" }).click();
    },
  };
}
