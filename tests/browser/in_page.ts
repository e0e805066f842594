/**
 * Checks that run inside the page. They are functions, never strings: the page's CSP forbids
 * eval, which Playwright would need to run a string there.
 */
import type { Page } from "playwright-core";

// The few DOM members these functions touch, declared here because the tests are
// type-checked without the DOM library.
interface PageElement {
  id: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  activeElement: PageElement | null;
  getElementById(id: string): PageElement | null;
  querySelectorAll(selectors: string): { length: number };
  documentElement: { scrollWidth: number; clientWidth: number };
};

/** The id of the focused element ("" for none). */
export function focusedId(page: Page): Promise<string> {
  return page.evaluate(() => document.activeElement?.id ?? "");
}

/** Waits until `#id` holds exactly `text`. */
export async function waitForText(page: Page, id: string, text: string, timeout: number) {
  await page.waitForFunction(
    ([target, expected]) => document.getElementById(target)?.textContent === expected,
    [id, text],
    { timeout },
  );
}

/** Waits until `#id` is no longer marked `aria-busy="true"` (waiting for the server). */
export async function waitUntilNotBusy(page: Page, id: string, timeout: number) {
  await page.waitForFunction(
    (target) => document.getElementById(target)?.getAttribute("aria-busy") !== "true",
    id,
    { timeout },
  );
}

/** Waits until at least `count` elements match `selectors`. */
export async function waitForCount(page: Page, selectors: string, count: number, timeout: number) {
  await page.waitForFunction(
    ([target, least]) => document.querySelectorAll(target).length >= least,
    [selectors, count] as const,
    { timeout },
  );
}

/** The page's scrollable and visible widths, in CSS pixels. */
export function pageWidths(page: Page): Promise<{ scroll: number; client: number }> {
  return page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
}
