/**
 * The page: log in, pay, recent payments, ask the assistant, log out. The markup is static
 * in `index.html`; this module fills it in, moves focus to what changed and reads results
 * out through the aria-live region.
 */
import {
  type Api,
  ApiError,
  type Bank,
  type Payment,
  type PayOutcome,
  type Session,
} from "./api.ts";
import { parseAmount } from "./amount.ts";
import {
  type Control,
  createAnnouncer,
  element,
  setBusy,
  setFieldError,
  showMessage,
  textElement,
} from "./dom.ts";
import { describePayment, describeStatus, formatAmount, formatDate } from "./format.ts";
import { createPaymentAttempts } from "./payment_attempts.ts";
import type { PayAttempt, Telemetry } from "./telemetry.ts";

/** What the page is built from. */
export interface UiDeps {
  api: Api;
  telemetry: Telemetry;
  document: Document;
  /** Idempotency keys (default `crypto.randomUUID`). */
  newKey?: () => string;
}

const QUESTION_MAX = 500;

/** Wires the page and restores the session, if any. */
export async function startUi(deps: UiDeps): Promise<void> {
  const { api, telemetry, document: doc } = deps;
  const $ = <T extends HTMLElement>(id: string, type: { new (): T; prototype: T }) =>
    element(doc, id, type);

  const view = {
    loading: $("loading", HTMLElement),
    pageError: $("page-error", HTMLElement),
    login: $("login-view", HTMLElement),
    app: $("app-view", HTMLElement),
    account: $("account", HTMLElement),
    accountName: $("account-name", HTMLElement),
    logout: $("logout", HTMLButtonElement),
  };
  const login = {
    form: $("login-form", HTMLFormElement),
    username: $("username", HTMLInputElement),
    password: $("password", HTMLInputElement),
    error: $("login-error", HTMLElement),
  };
  const pay = {
    heading: $("pay-heading", HTMLElement),
    form: $("pay-form", HTMLFormElement),
    bank: $("bank", HTMLSelectElement),
    amount: $("amount", HTMLInputElement),
    result: $("pay-result", HTMLElement),
    summary: $("pay-result-summary", HTMLElement),
    message: $("pay-result-message", HTMLElement),
    details: $("pay-result-details", HTMLElement),
    checkAgain: $("check-again", HTMLButtonElement),
  };
  const history = {
    error: $("history-error", HTMLElement),
    empty: $("history-empty", HTMLElement),
    table: $("history-table", HTMLTableElement),
    body: $("history-body", HTMLTableSectionElement),
  };
  const assistant = {
    form: $("assistant-form", HTMLFormElement),
    payment: $("assistant-payment", HTMLSelectElement),
    question: $("assistant-question", HTMLTextAreaElement),
    error: $("assistant-error", HTMLElement),
    answer: $("assistant-answer", HTMLElement),
    answerText: $("assistant-answer-text", HTMLElement),
  };
  const announce = createAnnouncer($("announcer", HTMLElement));
  const attempts = createPaymentAttempts(api.pay, deps.newKey);
  let banks: Bank[] = [];
  let lastPaymentId: string | undefined;

  function showView(name: "login" | "app") {
    view.loading.hidden = true;
    view.login.hidden = name !== "login";
    view.app.hidden = name !== "app";
    view.account.hidden = name !== "app";
  }

  function showLogin(message = "") {
    showView("login");
    showMessage(login.error, message);
    if (message) login.error.focus();
  }

  function enterApp(session: Session, moveFocus: boolean) {
    telemetry.identify(session.customer_id);
    view.accountName.textContent = session.username;
    showMessage(view.pageError);
    showView("app");
    if (moveFocus) pay.bank.focus();
    void loadBanks();
    void refreshHistory();
  }

  function reset() {
    attempts.reset();
    banks = [];
    lastPaymentId = undefined;
    login.form.reset();
    pay.form.reset();
    assistant.form.reset();
    for (const control of [login.username, login.password, pay.bank, pay.amount]) {
      setFieldError(control);
    }
    setFieldError(assistant.payment);
    setFieldError(assistant.question);
    pay.result.hidden = true;
    assistant.answer.hidden = true;
    showMessage(assistant.error);
    renderHistory([]);
  }

  /** A 401 after login: the session expired or was revoked elsewhere. */
  function sessionEnded() {
    telemetry.forget();
    reset();
    showLogin("Your session has ended. Log in again.");
    announce("Your session has ended. Log in again.");
  }

  /** Shows a refused request next to the field the gateway named, if the form has it. */
  function showFieldError(error: ApiError, controls: Record<string, Control>): boolean {
    const control = error.field ? controls[error.field] : undefined;
    if (!control) return false;
    setFieldError(control, error.message);
    control.focus();
    announce(error.message);
    return true;
  }

  // Log in ----------------------------------------------------------------------------

  login.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showMessage(login.error);
    const username = login.username.value.trim();
    const password = login.password.value;
    setFieldError(login.username, username ? "" : "Enter your username");
    setFieldError(login.password, password ? "" : "Enter your password");
    const invalid = !username ? login.username : !password ? login.password : undefined;
    if (invalid) {
      invalid.focus();
      announce(!username ? "Enter your username" : "Enter your password");
      return;
    }
    setBusy(login.form, true);
    try {
      const result = await api.login(username, password);
      if (result.ok) {
        login.form.reset();
        enterApp(result.session, true);
        telemetry.loginAttempt({ outcome: "ok" });
        announce(`Logged in as ${result.session.username}`);
      } else {
        telemetry.loginAttempt({ outcome: "failed", reason: result.reason });
        login.password.value = "";
        showLogin(`Login failed: ${result.reason}`);
        announce(`Login failed: ${result.reason}`);
      }
    } catch (error) {
      const failure = asApiError(error);
      telemetry.loginAttempt({ outcome: "error", code: failure.code });
      if (!showFieldError(failure, { username: login.username, password: login.password })) {
        showLogin(failure.message);
        announce(failure.message);
      }
    } finally {
      setBusy(login.form, false);
    }
  });

  // Log out ---------------------------------------------------------------------------

  view.logout.addEventListener("click", async () => {
    view.logout.disabled = true;
    try {
      await api.logout();
    } catch (error) {
      showMessage(view.pageError, `Could not log out: ${asApiError(error).message}`);
      view.pageError.focus();
      return;
    } finally {
      view.logout.disabled = false;
    }
    telemetry.forget();
    reset();
    showLogin();
    showMessage(view.pageError);
    login.username.focus();
    announce("Logged out");
  });

  // Pay -------------------------------------------------------------------------------

  async function loadBanks() {
    try {
      banks = await api.banks();
      const options = banks.map((bank) => {
        const option = textElement(doc, "option", bank.bank_name);
        option.value = bank.bank_id;
        return option;
      });
      pay.bank.replaceChildren(pay.bank.options[0], ...options);
      setFieldError(pay.bank);
    } catch (error) {
      if (isSessionEnd(error)) return sessionEnded();
      setFieldError(pay.bank, `Cannot load the banks: ${asApiError(error).message}`);
    }
  }

  pay.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const bankId = pay.bank.value;
    const amount = parseAmount(pay.amount.value);
    setFieldError(pay.bank, bankId ? "" : "Choose a bank");
    setFieldError(pay.amount, amount.ok ? "" : amount.message);
    if (!bankId || !amount.ok) {
      // The last payment's result would read as this attempt's; one still being checked
      // again stays, with its button.
      if (!attempts.pending) pay.result.hidden = true;
      const first = !bankId ? pay.bank : pay.amount;
      first.focus();
      announce(!bankId ? "Choose a bank" : amount.ok ? "" : amount.message);
      return;
    }
    await settle(() => attempts.submit({ bank_id: bankId, amount: amount.value }), {
      bank: bankId,
      amount: amount.value,
    });
  });

  pay.checkAgain.addEventListener("click", async () => {
    const pending = attempts.pending;
    if (!pending) return;
    await settle(() => attempts.checkAgain(), {
      bank: pending.request.bank_id,
      amount: pending.request.amount,
      check_again: true,
    });
  });

  async function settle(send: () => Promise<PayOutcome>, attempt: Omit<PayAttempt, "outcome">) {
    setBusy(pay.form, true);
    pay.checkAgain.disabled = true;
    pay.result.setAttribute("aria-busy", "true");
    try {
      const outcome = await send();
      telemetry.payAttempt({
        ...attempt,
        outcome: outcome.kind,
        payment_id: outcome.kind === "unknown" ? undefined : outcome.payment_id,
        reason: outcome.kind === "failed" ? outcome.reason : undefined,
      });
      showOutcome(outcome, attempt.bank, attempt.amount);
      // A settled amount is cleared so that pressing Pay again is a deliberate new payment.
      if (outcome.kind === "settled") pay.amount.value = "";
      if (outcome.kind !== "unknown") lastPaymentId = outcome.payment_id;
      await refreshHistory();
    } catch (error) {
      const failure = asApiError(error);
      telemetry.payAttempt({ ...attempt, outcome: "error", code: failure.code });
      if (isSessionEnd(failure)) return sessionEnded();
      if (!showFieldError(failure, { bank_id: pay.bank, amount: pay.amount })) {
        showResult("error", "Payment not sent.", failure.message, []);
      }
    } finally {
      setBusy(pay.form, false);
      pay.checkAgain.disabled = false;
      pay.result.removeAttribute("aria-busy");
    }
  }

  function showOutcome(outcome: PayOutcome, bankId: string, amount: number) {
    const bankName = banks.find((bank) => bank.bank_id === bankId)?.bank_name ?? bankId;
    switch (outcome.kind) {
      case "settled":
        return showResult("settled", "Payment settled.", "", [
          ["Payment ID", outcome.payment_id],
          ["Status", "settled"],
          ["Bank", outcome.bank_name],
          ["Amount", formatAmount(outcome.amount)],
        ]);
      case "failed":
        return showResult("failed", `Payment failed: ${outcome.reason}.`, outcome.next_step ?? "", [
          ["Payment ID", outcome.payment_id ?? "not assigned"],
          ["Status", "failed"],
          ["Reason", outcome.reason],
          ["Bank", outcome.bank_name ?? bankName],
          ["Amount", formatAmount(outcome.amount ?? amount)],
        ]);
      case "unknown":
        return showResult("unknown", "Payment outcome unknown.", outcome.message, [
          ["Bank", bankName],
          ["Amount", formatAmount(amount)],
        ]);
    }
  }

  function showResult(
    tone: "settled" | "failed" | "unknown" | "error",
    summary: string,
    message: string,
    details: Array<[string, string]>,
  ) {
    pay.result.className = `result result-${tone}`;
    pay.summary.textContent = summary;
    showMessage(pay.message, message);
    pay.details.replaceChildren(
      ...details.flatMap(([term, value]) => [
        textElement(doc, "dt", term),
        textElement(doc, "dd", value),
      ]),
    );
    pay.checkAgain.hidden = tone !== "unknown";
    pay.result.hidden = false;
    pay.result.focus();
    announce([summary, message].filter(Boolean).join(" "));
  }

  // Recent payments -------------------------------------------------------------------

  async function refreshHistory() {
    try {
      renderHistory(await api.payments());
      showMessage(history.error);
    } catch (error) {
      if (isSessionEnd(error)) return sessionEnded();
      showMessage(history.error, `Cannot load your payments: ${asApiError(error).message}`);
    }
  }

  function renderHistory(payments: Payment[]) {
    history.body.replaceChildren(...payments.map((payment) => {
      const row = doc.createElement("tr");
      const status = textElement(doc, "td", describeStatus(payment), `status-${payment.status}`);
      const cells: Array<[string, HTMLTableCellElement]> = [
        ["Date", textElement(doc, "td", formatDate(payment.created_at))],
        ["Payment ID", textElement(doc, "td", payment.payment_id, "mono")],
        ["Bank", textElement(doc, "td", payment.bank_name)],
        ["Amount", textElement(doc, "td", formatAmount(payment.amount), "numeric")],
        ["Status", status],
      ];
      for (const [label, cell] of cells) {
        cell.dataset.label = label;
        row.append(cell);
      }
      return row;
    }));
    history.table.hidden = payments.length === 0;
    history.empty.hidden = payments.length > 0;

    const chosen = assistant.payment.value;
    const options = payments.map((payment) => {
      const option = textElement(doc, "option", describePayment(payment));
      option.value = payment.payment_id;
      return option;
    });
    assistant.payment.replaceChildren(assistant.payment.options[0], ...options);
    const ids = new Set(payments.map((payment) => payment.payment_id));
    const preferred = [lastPaymentId, chosen].find((id) => id && ids.has(id));
    assistant.payment.value = preferred ?? "";
    lastPaymentId = undefined;
  }

  // Ask the assistant -----------------------------------------------------------------

  assistant.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showMessage(assistant.error);
    const paymentId = assistant.payment.value;
    const question = assistant.question.value;
    setFieldError(assistant.payment, paymentId ? "" : "Choose a payment");
    setFieldError(
      assistant.question,
      question.length > QUESTION_MAX ? `Keep the question under ${QUESTION_MAX} characters` : "",
    );
    if (!paymentId) {
      assistant.payment.focus();
      announce("Choose a payment");
      return;
    }
    if (question.length > QUESTION_MAX) return assistant.question.focus();
    // The answer on screen belongs to the last question: it goes while the next is asked,
    // and stays gone when that one fails.
    assistant.answer.hidden = true;
    setBusy(assistant.form, true);
    try {
      const answer = await api.ask(paymentId, question);
      assistant.answerText.textContent = answer;
      assistant.answer.hidden = false;
      assistant.answer.focus();
      announce(`Assistant answer: ${answer}`);
    } catch (error) {
      const failure = asApiError(error);
      if (isSessionEnd(failure)) return sessionEnded();
      const controls = { payment_id: assistant.payment, question: assistant.question };
      if (!showFieldError(failure, controls)) {
        showMessage(assistant.error, failure.message);
        assistant.error.focus();
        announce(failure.message);
      }
    } finally {
      setBusy(assistant.form, false);
    }
  });

  // Start -----------------------------------------------------------------------------

  try {
    const session = await api.session();
    if (session) enterApp(session, false);
    else showLogin();
  } catch (error) {
    showLogin();
    showMessage(view.pageError, asApiError(error).message);
  }
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, "client_error", "Something went wrong on this page. Try again.");
}

function isSessionEnd(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
