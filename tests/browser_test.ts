/**
 * Browser tests: the whole system on free ports (local Agent stand-in, Jira stand-in, the six
 * services) with the UI built from source, driven in Debian's Chromium. One user goes through
 * the page by keyboard only and another by mouse; then what reached the local Agent is
 * checked: the pay request's trace, RUM actions and errors, browser logs, and that no
 * username or password left the page.
 */
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { freePorts, type Stack, startStack } from "../tasks/lib/stack.ts";
import { buildWeb, JS_GZIP_BUDGET_BYTES } from "../tasks/web_build.ts";
import { launchChromium } from "./browser/chromium.ts";
import { type Driver, keyboardDriver, mouseDriver } from "./browser/drivers.ts";
import {
  focusedId,
  pageWidths,
  waitForCount,
  waitForText,
  waitUntilNotBusy,
} from "./browser/in_page.ts";
import { type IntakeRecorder, startIntakeRecorder } from "./browser/intake_recorder.ts";
import { createPageWatch } from "./browser/page_watch.ts";
import { lower64, traceparentTraceId } from "./browser/trace_ids.ts";

// Distinctive text, searched for in everything the intakes received.
const KEYBOARD_USER = "keys-walker-5c1e9";
const MOUSE_USER = "mouse-clicker-a7f02";
const PASSWORD = "Pw-8d41f7-kept-secret";

// With seed 18 each user's first login is refused and the second accepted, and payments go
// settled, settled, declined, declined, settled: both outcomes in each pass. The flows loop
// (boundedly) until they have seen what they need, so another seed only costs attempts.
const ENV = {
  RANDOM_SEED: "18",
  AUTH_FAIL_RATE: "0.5",
  PAYMENT_FAIL_RATE: "0.5",
  PAYMENT_SUSPECTED_FRAUD_RATE: "0",
  PAYMENT_LATENCY_MIN_MS: "10",
  PAYMENT_LATENCY_MAX_MS: "40",
  LLM_FAIL_RATE: "0",
  LLM_LATENCY_MIN_MS: "1",
  LLM_LATENCY_MAX_MS: "5",
  DD_TRACE_FLUSH_INTERVAL: "500",
};
const RUM_IDS = {
  DD_RUM_APPLICATION_ID: "0b5e8a2c-0000-4000-8000-00000000b7e5",
  DD_RUM_CLIENT_TOKEN: "pubbrowsertest000000000000000000",
};

const LOGIN_REASONS = [
  "Incorrect password",
  "incorrect username",
  "account not found",
  "Unknown device",
];
const MAX_LOGINS = 8;
const MAX_PAYMENTS = 8;
/** Longest wait for one thing on the page. */
const UI_TIMEOUT_MS = 5000;
/** Longest wait for telemetry to reach the local Agent. */
const INTAKE_TIMEOUT_MS = 15_000;

interface Span {
  service: string;
  name: string;
  resource: string;
  trace_id: string;
  span_id: string;
  parent_id: string;
}
interface BrowserEntry {
  kind: "rum" | "browser_log" | "replay";
  type: string;
  // deno-lint-ignore no-explicit-any
  event: Record<string, any>;
}
interface Payment {
  id: string;
  status: "settled" | "failed";
  reason?: string;
  bankName: string;
}
/** What one user did, for the checks against the intakes. */
interface Visit {
  username: string;
  refusals: string[];
  payments: Payment[];
}

async function customerIdOf(username: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(username));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return `cust_${hex.slice(0, 10)}`;
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = INTAKE_TIMEOUT_MS,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200, `GET ${url} answered ${response.status}`);
  return await response.json() as T;
}

/** Waits until the announcer has read `text` out. */
async function announced(page: Page, text: string) {
  await waitForText(page, "announcer", text, UI_TIMEOUT_MS).catch(async () => {
    const actual = await page.locator("#announcer").textContent();
    throw new Error(`The announcer did not read "${text}" (it holds "${actual}")`);
  });
}

/** Waits until the element `#id` is no longer waiting for the server. */
async function settled(page: Page, id: string) {
  await waitUntilNotBusy(page, id, UI_TIMEOUT_MS);
}

/** Runs `act` and returns the answer of the first request to `path` it caused. */
async function answerTo(page: Page, path: string, act: () => Promise<void>): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === path, { timeout: UI_TIMEOUT_MS }),
    act(),
  ]);
  return response;
}

async function openPage(
  browser: Browser,
  watch: ReturnType<typeof createPageWatch>,
  label: string,
  options: Parameters<Browser["newContext"]>[0] = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = watch.watch(await context.newPage(), label);
  return { context, page };
}

/**
 * Logs in, proving a refused login first: it keeps trying (boundedly) until one attempt was
 * refused and a later one accepted, logging out again if it got in before any refusal.
 */
async function logInAfterARefusal(driver: Driver, username: string): Promise<string[]> {
  const { page } = driver;
  const refusals: string[] = [];
  for (let attempt = 1; attempt <= MAX_LOGINS; attempt++) {
    const answer = await answerTo(page, "/api/login", () => driver.logIn(username, PASSWORD));
    await settled(page, "login-form");
    if (answer.status() === 401) {
      const error = page.locator("#login-error");
      const text = (await error.textContent()) ?? "";
      const reason = text.replace(/^Login failed: /, "");
      assert.ok(LOGIN_REASONS.includes(reason), `a refused login shows its reason: "${text}"`);
      assert.ok(await error.isVisible(), "the refusal is visible");
      assert.equal(await focusedId(page), "login-error", "focus moves to the refusal");
      await announced(page, text);
      assert.equal(await page.locator("#password").inputValue(), "", "the password is cleared");
      assert.equal(await page.locator("#username").inputValue(), username);
      refusals.push(reason);
      continue;
    }
    assert.equal(answer.status(), 200, `POST /api/login answered ${answer.status()}`);
    await page.getByText(`Signed in as ${username}`).waitFor();
    assert.ok(await page.locator("#login-view").isHidden(), "the login form is gone");
    await announced(page, `Logged in as ${username}`);
    assert.equal(await focusedId(page), "bank", "focus moves to the pay form");
    if (refusals.length > 0) return refusals;
    await logOutAndCheck(driver);
  }
  throw new Error(`No refused and then accepted login in ${MAX_LOGINS} attempts`);
}

async function logOutAndCheck(driver: Driver) {
  const { page } = driver;
  const answer = await answerTo(page, "/api/logout", () => driver.logOut());
  assert.equal(answer.status(), 200);
  await page.getByRole("textbox", { name: "Username" }).waitFor();
  assert.ok(await page.locator("#app-view").isHidden(), "the payments are hidden");
  assert.ok(await page.locator("#account").isHidden(), "the header names nobody");
  assert.equal(await focusedId(page), "username", "focus moves to the username");
  await announced(page, "Logged out");
}

/** The payment result's details, term → value. */
async function resultDetails(page: Page): Promise<Record<string, string>> {
  const terms = await page.locator("#pay-result-details dt").allTextContents();
  const values = await page.locator("#pay-result-details dd").allTextContents();
  return Object.fromEntries(terms.map((term, i) => [term, values[i]]));
}

/** Pays (boundedly) until one payment settled and one was declined, checking each result. */
async function payUntilSettledAndDeclined(
  driver: Driver,
  bankName: string,
  amount: string,
): Promise<Payment[]> {
  const { page } = driver;
  const payments: Payment[] = [];
  const seen = () => new Set(payments.map((p) => p.status)).size === 2;
  for (let attempt = 1; attempt <= MAX_PAYMENTS && !seen(); attempt++) {
    const answer = await answerTo(page, "/api/pay", () => driver.pay(bankName, amount));
    const body = await answer.json();
    await settled(page, "pay-form");
    await settled(page, "pay-result");
    const result = page.getByRole("region", { name: "Payment result" });
    assert.ok(await result.isVisible(), "the payment result is shown");
    assert.equal(await focusedId(page), "pay-result", "focus moves to the result");
    const summary = (await page.locator("#pay-result-summary").textContent()) ?? "";
    const details = await resultDetails(page);
    assert.match(body.payment_id, /^pay_[0-9a-f]+$/, `POST /api/pay answered ${answer.status()}`);
    assert.equal(details["Payment ID"], body.payment_id, "the result shows the payment id");
    assert.equal(details.Bank, bankName);
    assert.equal(details.Amount, Number(amount).toFixed(2));
    if (answer.status() === 200) {
      assert.equal(summary, "Payment settled.");
      assert.equal(details.Status, "settled");
      payments.push({ id: body.payment_id, status: "settled", bankName });
    } else {
      assert.equal(answer.status(), 402, `POST /api/pay answered ${answer.status()}`);
      assert.ok(body.reason, "a declined payment has a reason");
      assert.equal(summary, `Payment failed: ${body.reason}.`);
      assert.equal(details.Status, "failed");
      assert.equal(details.Reason, body.reason);
      // The contract's reasons each come with what to do next, shown under the summary.
      assert.ok(body.next_step, `a next step for "${body.reason}"`);
      assert.equal(await page.locator("#pay-result-message").textContent(), body.next_step);
      payments.push({ id: body.payment_id, status: "failed", reason: body.reason, bankName });
    }
    await announced(page, body.next_step ? `${summary} ${body.next_step}` : summary);
    await historyShows(page, payments.at(-1)!);
  }
  assert.ok(seen(), `a settled and a declined payment within ${MAX_PAYMENTS} attempts`);
  return payments;
}

/** The recent payments table lists `payment` with its status. */
async function historyShows(page: Page, payment: Payment) {
  const row = page.getByRole("table").getByRole("row").filter({ hasText: payment.id });
  await row.waitFor();
  const status = payment.status === "settled" ? "Settled" : `Failed: ${payment.reason}`;
  assert.equal(await row.locator('td[data-label="Status"]').textContent(), status);
  assert.equal(await row.locator('td[data-label="Bank"]').textContent(), payment.bankName);
  assert.ok(await page.getByText("No payments yet.").isHidden());
}

/** Asks the assistant about the newest payment, which the page has already chosen. */
async function askAboutNewestPayment(driver: Driver, paymentId: string) {
  const { page } = driver;
  assert.equal(
    await page.getByRole("combobox", { name: "Payment" }).inputValue(),
    paymentId,
    "the assistant is set to the newest payment",
  );
  const answer = await answerTo(page, "/api/assistant", () => driver.ask("What happened?"));
  assert.equal(answer.status(), 200, `POST /api/assistant answered ${answer.status()}`);
  await settled(page, "assistant-form");
  const region = page.getByRole("region", { name: "Assistant answer" });
  await region.waitFor();
  const text = (await page.locator("#assistant-answer-text").textContent()) ?? "";
  assert.ok(text.includes(paymentId), `the answer is about ${paymentId}: "${text}"`);
  assert.equal(await focusedId(page), "assistant-answer", "focus moves to the answer");
  await announced(page, `Assistant answer: ${text}`);
}

Deno.test("the web UI works by keyboard and by mouse and reports to the local Agent", async (t) => {
  const started = performance.now();
  const watch = createPageWatch();
  const visits: Visit[] = [];
  const contexts: BrowserContext[] = [];
  let stack: Stack | undefined;
  let recorder: IntakeRecorder | undefined;
  let browser: Browser | undefined;
  let distDir: string | undefined;
  let mouse: { context: BrowserContext; page: Page } | undefined;
  let documentHeaders: Record<string, string> | undefined;

  /** Leaves and closes every page, so that the SDKs send what they still hold. */
  const closePages = async () => {
    for (const context of contexts.splice(0)) {
      for (const page of context.pages()) await page.goto("about:blank").catch(() => {});
      await context.close();
    }
  };

  try {
    await t.step(
      "the UI builds and the stack starts with RUM sent through the gateway",
      async () => {
        distDir = await Deno.makeTempDir({ prefix: "browser-test-web-" });
        await buildWeb({ outDir: distDir, progress: () => {} });
        const ports = await freePorts();
        recorder = startIntakeRecorder(`http://127.0.0.1:${ports["local-agent"]}/browser-intake`);
        stack = await startStack({
          ports,
          env: ENV,
          processEnv: {
            "web-frontend": { ...RUM_IDS, WEB_DIST_DIR: distDir, RUM_PROXY_URL: recorder.url },
          },
        });
        browser = await launchChromium();
        const config = await getJson<{ rum: { proxy?: string } | null }>(
          `${stack.webUrl}/api/config`,
        );
        assert.equal(config.rum?.proxy, "/rum-proxy", "RUM is on and sent through /rum-proxy");
      },
    );

    await t.step(
      "a keyboard-only user logs in after a refused attempt, pays, reads the history, asks the assistant and logs out",
      async () => {
        assert.ok(stack && browser, "the stack runs");
        const { context, page } = await openPage(browser, watch, "keyboard");
        contexts.push(context);
        const response = await page.goto(stack.webUrl);
        documentHeaders = response?.headers();
        await page.getByRole("textbox", { name: "Username" }).waitFor();
        const driver = keyboardDriver(page);
        const refusals = await logInAfterARefusal(driver, KEYBOARD_USER);
        await waitForCount(page, "#bank option", 2, UI_TIMEOUT_MS);
        const payments = await payUntilSettledAndDeclined(driver, "Rabobank", "12.50");
        visits.push({ username: KEYBOARD_USER, refusals, payments });
        await askAboutNewestPayment(driver, payments.at(-1)!.id);
        await logOutAndCheck(driver);
      },
    );

    await t.step(
      "a mouse user logs in after a refused attempt, pays, reads the history and asks the assistant",
      async () => {
        assert.ok(stack && browser, "the stack runs");
        mouse = await openPage(browser, watch, "mouse");
        contexts.push(mouse.context);
        const { page } = mouse;
        await page.goto(stack.webUrl);
        await page.getByRole("textbox", { name: "Username" }).waitFor();
        const driver = mouseDriver(page);
        const refusals = await logInAfterARefusal(driver, MOUSE_USER);
        await waitForCount(page, "#bank option", 2, UI_TIMEOUT_MS);
        const payments = await payUntilSettledAndDeclined(driver, "ABN AMRO Bank", "99.99");
        visits.push({ username: MOUSE_USER, refusals, payments });
        await askAboutNewestPayment(driver, payments.at(-1)!.id);
      },
    );

    await t.step("the session is restored when the page is reloaded", async () => {
      assert.ok(mouse, "the mouse user is logged in");
      const { page } = mouse;
      const sessionAnswer = await answerTo(page, "/api/session", async () => {
        await page.reload();
      });
      assert.equal(sessionAnswer.status(), 200);
      await page.getByText(`Signed in as ${MOUSE_USER}`).waitFor();
      assert.ok(await page.getByRole("button", { name: "Pay", exact: true }).isVisible());
      assert.ok(await page.locator("#login-view").isHidden(), "no login form after a reload");
      const visit = visits.find((v) => v.username === MOUSE_USER);
      assert.ok(visit, "the mouse user paid");
      for (const payment of visit.payments) await historyShows(page, payment);
    });

    await t.step("an invalid amount is refused before any request is sent", async () => {
      assert.ok(mouse, "the mouse user is logged in");
      const { page } = mouse;
      const payRequests = () =>
        watch.requests.filter((r) => new URL(r.url).pathname === "/api/pay").length;
      const before = payRequests();
      await page.getByRole("combobox", { name: "Bank" }).selectOption({ label: "HSBC" });
      const field = page.getByRole("textbox", { name: "Amount" });
      const cases = [
        ["0", "Enter an amount greater than 0"],
        ["12.345", "Use at most 2 decimals"],
        ["ten", "Enter the amount as a number, like 12.50"],
        ["20000", "Enter an amount of at most 10,000"],
      ];
      for (const [typed, message] of cases) {
        await field.fill(typed);
        await page.getByRole("button", { name: "Pay", exact: true }).click();
        await page.locator("#amount-error", { hasText: message }).waitFor();
        assert.equal(await field.getAttribute("aria-invalid"), "true");
        assert.equal(await focusedId(page), "amount", `focus returns to the amount (${typed})`);
        await announced(page, message);
      }
      // Give a request that should not exist the time to show up.
      await page.waitForTimeout(300);
      assert.equal(payRequests(), before, "no /api/pay request was sent");
      await field.fill("");
    });

    await t.step(
      "on a 375×667 screen the pay form shows without horizontal scrolling",
      async () => {
        assert.ok(stack && browser && mouse, "the mouse user is logged in");
        const { context, page } = await openPage(browser, watch, "phone", {
          viewport: { width: 375, height: 667 },
          deviceScaleFactor: 2,
          isMobile: true,
          hasTouch: true,
          storageState: await mouse.context.storageState(),
        });
        contexts.push(context);
        await page.goto(stack.webUrl);
        const form = page.locator("#pay-form");
        await form.waitFor();
        for (const name of ["Bank", "Amount"]) {
          const role = name === "Bank" ? "combobox" : "textbox";
          const box = await page.getByRole(role, { name }).boundingBox();
          assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `${name} fits the width`);
        }
        const button = await page.getByRole("button", { name: "Pay", exact: true }).boundingBox();
        assert.ok(button && button.x >= 0 && button.x + button.width <= 375, "Pay fits the width");
        const widths = await pageWidths(page);
        assert.equal(widths.client, 375, "the page is laid out for the phone's width");
        assert.ok(
          widths.scroll <= widths.client,
          `no horizontal scrolling: ${JSON.stringify(widths)}`,
        );
      },
    );

    await t.step("a mouse user logs out", async () => {
      assert.ok(mouse, "the mouse user is logged in");
      await logOutAndCheck(mouseDriver(mouse.page));
      const session = await answerTo(mouse.page, "/api/session", async () => {
        await mouse!.page.reload();
      });
      assert.equal(session.status(), 401, "the session is gone after logging out");
      await mouse.page.getByRole("textbox", { name: "Username" }).waitFor();
    });

    await t.step("the page is served with CSP, X-Content-Type-Options and Referrer-Policy", () => {
      assert.ok(documentHeaders, "the page loaded");
      const csp = documentHeaders["content-security-policy"] ?? "";
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(documentHeaders["x-content-type-options"], "nosniff");
      assert.ok(
        ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]
          .includes(documentHeaders["referrer-policy"]),
        `Referrer-Policy: ${documentHeaders["referrer-policy"]}`,
      );
    });

    await t.step("the page's JavaScript is at most 120 kB gzip", async () => {
      const scripts = [...watch.scripts];
      assert.ok(scripts.length > 0, "the page loaded its script");
      let raw = 0;
      let gzip = 0;
      for (const url of scripts) {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        assert.equal(response.status, 200, url);
        const bytes = new Uint8Array(await response.arrayBuffer());
        raw += bytes.byteLength;
        const compressed = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
        gzip += (await new Response(compressed).arrayBuffer()).byteLength;
      }
      console.log(
        `JavaScript: ${scripts.length} script(s), ${raw} bytes, ${gzip} bytes gzip ` +
          `(budget ${JS_GZIP_BUDGET_BYTES})`,
      );
      assert.ok(gzip <= JS_GZIP_BUDGET_BYTES, `${gzip} bytes gzip > ${JS_GZIP_BUDGET_BYTES}`);
    });

    await t.step(
      "the pay request carried trace headers and its backend trace has the RUM resource's trace id",
      async () => {
        assert.ok(stack?.agentUrl, "the local Agent runs");
        await closePages();
        const pay = watch.requests.filter((r) => new URL(r.url).pathname === "/api/pay").at(-1);
        assert.ok(pay, "a pay request was sent");
        const { headers } = pay;
        const traceId = headers["x-datadog-trace-id"];
        const parentId = headers["x-datadog-parent-id"];
        assert.match(traceId ?? "", /^\d+$/, "x-datadog-trace-id is sent");
        assert.match(parentId ?? "", /^\d+$/, "x-datadog-parent-id is sent");
        assert.ok(headers.traceparent, "traceparent is sent");
        assert.equal(traceparentTraceId(headers.traceparent), lower64(traceId));
        const id = lower64(traceId);

        const agent = stack.agentUrl;
        const trace = await eventually(
          `the trace ${id} with web-frontend POST /api/pay`,
          async () => {
            const response = await fetch(`${agent}/local/traces/${id}`, {
              signal: AbortSignal.timeout(5000),
            });
            if (response.status !== 200) {
              await response.body?.cancel();
              return undefined;
            }
            const found = await response.json() as { trace_id: string; spans: Span[] };
            const ready = found.spans.some((s) => s.service === "web-frontend") &&
              found.spans.some((s) => s.service === "payment-service");
            return ready ? found : undefined;
          },
        );
        const root = trace.spans.find((s) =>
          s.service === "web-frontend" && s.resource === "POST /api/pay"
        );
        assert.ok(root, "the trace holds web-frontend's POST /api/pay span");
        assert.equal(root.parent_id, parentId, "it is the child of the browser's span");
        assert.ok(
          !trace.spans.some((s) => s.span_id === root.parent_id),
          "no backend span is above it",
        );
        assert.ok(
          trace.spans.some((s) => s.service === "payment-service" && s.resource === "POST /pay"),
          "payment-service's POST /pay is in the same trace",
        );

        const resource = await eventually("the RUM resource event of the pay request", async () => {
          const events = await getJson<BrowserEntry[]>(
            `${agent}/local/rum?kind=rum&type=resource&limit=1000`,
          );
          return events.find((e) =>
            e.event.resource?.url?.endsWith("/api/pay") && e.event._dd?.trace_id !== undefined &&
            lower64(String(e.event._dd.trace_id)) === id
          );
        });
        assert.equal(String(resource.event._dd.span_id), parentId, "RUM names the same span");
        assert.equal(lower64(String(resource.event._dd.trace_id)), trace.trace_id);
      },
    );

    await t.step(
      "RUM actions, the payment_failed error and browser logs reached the intake with the customer id",
      async () => {
        assert.ok(stack?.agentUrl && visits.length === 2, "both users went through the page");
        await closePages();
        const agent = stack.agentUrl;
        const customers = new Map<string, string>();
        for (const visit of visits) {
          customers.set(await customerIdOf(visit.username), visit.username);
        }
        const declined = visits.flatMap((v) => v.payments).filter((p) => p.status === "failed");
        const all = () => getJson<BrowserEntry[]>(`${agent}/local/rum?limit=10000`);

        // Every payment's action, every declined payment's error and log: the last to arrive.
        const entries = await eventually(
          "every pay_attempt action and payment_failed error",
          async () => {
            const found = await all();
            const actionFor = (id: string) =>
              found.some((e) =>
                e.type === "action" && e.event.action?.target?.name === "pay_attempt" &&
                e.event.context?.payment_id === id
              );
            const errorFor = (id: string) =>
              found.some((e) =>
                e.type === "error" && e.event.error?.type === "payment_failed" &&
                e.event.context?.payment_id === id
              );
            const logFor = (id: string) =>
              found.some((e) => e.kind === "browser_log" && e.event.payment_id === id);
            const payments = visits.flatMap((v) => v.payments);
            return payments.every((p) => actionFor(p.id) && logFor(p.id)) &&
                declined.every((p) => errorFor(p.id))
              ? found
              : undefined;
          },
        );

        const actions = entries.filter((e) => e.kind === "rum" && e.type === "action");
        for (const visit of visits) {
          const customerId = [...customers].find(([, name]) => name === visit.username)![0];
          const logins = actions.filter((e) =>
            e.event.action.target?.name === "login_attempt" && e.event.usr?.id === customerId
          );
          assert.ok(
            logins.some((e) => e.event.context?.outcome === "ok"),
            `login_attempt ok for ${customerId}`,
          );
          const refused = actions.filter((e) =>
            e.event.action.target?.name === "login_attempt" && e.event.context?.outcome === "failed"
          ).map((e) => e.event.context.reason);
          for (const reason of visit.refusals) assert.ok(refused.includes(reason), reason);
          for (const payment of visit.payments) {
            const action = actions.find((e) =>
              e.event.action.target?.name === "pay_attempt" &&
              e.event.context?.payment_id === payment.id
            );
            assert.ok(action, `pay_attempt for ${payment.id}`);
            assert.equal(action.event.context.outcome, payment.status);
            assert.equal(action.event.usr?.id, customerId, "the action names the customer");
          }
        }
        for (const payment of declined) {
          const error = entries.find((e) =>
            e.type === "error" && e.event.error?.type === "payment_failed" &&
            e.event.context?.payment_id === payment.id
          );
          assert.ok(error, `payment_failed error for ${payment.id}`);
          assert.equal(error.event.error.message, payment.reason);
        }

        const logs = entries.filter((e) => e.kind === "browser_log");
        const messages = new Set(logs.map((e) => e.event.message));
        for (const message of ["login_ok", "login_failed", "payment_settled", "payment_failed"]) {
          assert.ok(messages.has(message), `browser log ${message} (got ${[...messages]})`);
        }
        for (const log of logs.filter((e) => e.event.outcome !== undefined)) {
          assert.ok(["info", "warn", "error"].includes(log.event.status), "status is a level");
        }

        // The only user the SDKs ever name is a customer id, with nothing else about them.
        for (const entry of entries.filter((e) => e.event.usr)) {
          const { id, anonymous_id: _anonymous, ...rest } = entry.event.usr;
          if (id !== undefined) assert.ok(customers.has(id), `usr.id ${id} is a customer id`);
          assert.deepEqual(rest, {}, "usr carries no name or e-mail");
        }
        const identified = entries.filter((e) => e.event.usr?.id !== undefined);
        assert.ok(identified.length > 0, "events carry usr.id");
        // The SDKs' own telemetry (sampled) is sent without an application by the Logs SDK.
        for (const entry of entries.filter((e) => e.kind === "rum" && e.type !== "telemetry")) {
          assert.equal(entry.event.application?.id, RUM_IDS.DD_RUM_APPLICATION_ID, entry.type);
        }
      },
    );

    await t.step("no intake payload holds a username or the password", async () => {
      assert.ok(stack?.agentUrl && recorder, "the stack runs");
      await closePages();
      const batches = recorder.batches;
      const tracks = new Set(batches.map((b) => b.path));
      for (const track of ["/api/v2/rum", "/api/v2/logs", "/api/v2/replay"]) {
        assert.ok(tracks.has(track), `the browser sent ${track} batches`);
      }
      for (const batch of batches) {
        assert.equal(batch.unreadableParts, 0, `a ${batch.path} batch inflates`);
        assert.equal(batch.forwardedStatus, 202, `the stand-in took a ${batch.path} batch`);
      }
      assert.ok(
        batches.some((b) => b.path === "/api/v2/replay" && b.text.includes("Make a payment")),
        "replay segments are read as the page they recorded",
      );
      const agent = stack.agentUrl;
      const stored = [
        ["RUM and browser logs", await getJson(`${agent}/local/rum?limit=10000`)],
        ["service logs", await getJson(`${agent}/local/logs?limit=10000`)],
        ["traces", await getJson(`${agent}/local/traces?limit=10000`)],
      ] as const;
      const payloads = [
        ...batches.map((b) => [`browser ${b.path} batch`, b.text] as const),
        ...stored.map(([what, body]) => [what, JSON.stringify(body)] as const),
      ];
      for (const [what, text] of payloads) {
        for (const secret of [KEYBOARD_USER, MOUSE_USER, PASSWORD]) {
          assert.ok(!text.includes(secret), `${what} holds "${secret}"`);
        }
      }
    });

    await t.step("the pages logged no console errors", () => {
      assert.deepEqual(watch.errors, []);
      // Chromium logs every HTTP error answer; these are the API's documented ones.
      const expected = (path: string, status: number) =>
        (path === "/api/session" && status === 401) || (path === "/api/login" && status === 401) ||
        (path === "/api/pay" && status === 402);
      const unexpected = watch.httpErrors.filter((e) =>
        !expected(new URL(e.url).pathname, e.status)
      );
      assert.deepEqual(unexpected, [], "only documented error answers");
    });
  } finally {
    await closePages().catch(() => {});
    await browser?.close();
    await stack?.stop();
    await recorder?.close();
    if (distDir) await Deno.remove(distDir, { recursive: true });
    console.log(`Browser test: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
});
