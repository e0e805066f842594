/**
 * The client of web-frontend's `/api` gateway (same origin, JSON, cookie session).
 * Every failure becomes an {@linkcode ApiError} with a message fit to show the user; a
 * declined payment and an unknown payment outcome are answers, not errors.
 */

/** The browser SDK settings `GET /api/config` hands out; `null` turns RUM and Logs off. */
export interface RumSettings {
  applicationId: string;
  clientToken: string;
  site: string;
  service: string;
  env: string;
  version: string;
  sessionSampleRate: number;
  sessionReplaySampleRate: number;
  /** Where the SDKs send instead of the intake (e.g. `/rum-proxy`). */
  proxy?: string;
}

/** Who is logged in. */
export interface Session {
  customer_id: string;
  username: string;
}

/** A bank a payment can go to. */
export interface Bank {
  bank_id: string;
  bank_name: string;
}

/** One of the customer's payments, as `GET /api/payments` lists it. */
export interface Payment {
  payment_id: string;
  status: "settled" | "failed";
  reason?: string;
  bank_id: string;
  bank_name: string;
  amount: number;
  created_at: string;
}

/** What `POST /api/pay` is asked. */
export interface PayRequest {
  bank_id: string;
  amount: number;
}

/** How a payment attempt ended. */
export type PayOutcome =
  | { kind: "settled"; payment_id: string; bank_id: string; bank_name: string; amount: number }
  | {
    kind: "failed";
    payment_id?: string;
    reason: string;
    /** What the customer can do about the reason, when the gateway knows. */
    next_step?: string;
    bank_id?: string;
    bank_name?: string;
    amount?: number;
  }
  /** No answer tells whether the payment went through: "check again" with the same key. */
  | { kind: "unknown"; message: string };

/** The answer of `POST /api/login`. */
export type LoginResult = { ok: true; session: Session } | { ok: false; reason: string };

/** A request that failed; `message` is written for the user, `field` names the bad input. */
export class ApiError extends Error {
  /** HTTP status, or 0 when no answer arrived. */
  readonly status: number;
  /** The gateway's error code, or `network_error`, `timeout`, `bad_response`. */
  readonly code: string;
  readonly field?: string;
  readonly requestId?: string;
  constructor(
    status: number,
    code: string,
    message: string,
    options: { field?: string; requestId?: string } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.requestId = options.requestId;
  }
}

/** Options of {@linkcode createApi}. */
export interface ApiOptions {
  /** The fetch to use (tests pass a fake). */
  fetch?: typeof fetch;
  /** Prefix of every path (empty: same origin). */
  baseUrl?: string;
  /** How long to wait for an answer before giving up. */
  timeoutMs?: number;
}

/** The gateway's operations. */
export interface Api {
  config(): Promise<RumSettings | null>;
  /** The current session, or `null` when nobody is logged in. */
  session(): Promise<Session | null>;
  login(username: string, password: string): Promise<LoginResult>;
  logout(): Promise<void>;
  banks(): Promise<Bank[]>;
  /** Pays; `idempotencyKey` is fresh per attempt and reused only to check an unknown outcome. */
  pay(request: PayRequest, idempotencyKey: string): Promise<PayOutcome>;
  payments(): Promise<Payment[]>;
  /** Asks the assistant about a payment; resolves to its answer. */
  ask(paymentId: string, question?: string): Promise<string>;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

type Call = (
  method: "GET" | "POST",
  path: string,
  options?: { json?: unknown; headers?: Record<string, string> },
) => Promise<Answer>;

const UNKNOWN_OUTCOME = "We could not confirm whether this payment went through. " +
  "Check again to find out; you will not be charged twice.";

/** Builds the gateway client. */
export function createApi(options: ApiOptions = {}): Api {
  const call = createCall(options);
  return {
    async config() {
      const { status, body } = await call("GET", "/api/config");
      if (status !== 200) throw failure(status, body);
      if (body.rum === null || body.rum === undefined) return null;
      return readRumSettings(body.rum, status);
    },
    async session() {
      const { status, body } = await call("GET", "/api/session");
      if (status === 401) return null;
      if (status !== 200) throw failure(status, body);
      return readSession(body, status);
    },
    async login(username, password) {
      const { status, body } = await call("POST", "/api/login", { json: { username, password } });
      if (status === 200) return { ok: true, session: readSession(body, status) };
      if (status === 401) {
        const reason = text(body.reason) ?? errorOf(body)?.message ?? "Login failed";
        return { ok: false, reason };
      }
      throw failure(status, body);
    },
    async logout() {
      const { status, body } = await call("POST", "/api/logout");
      // Already logged out is what the user wanted.
      if (status >= 300 && status !== 401) throw failure(status, body);
    },
    async banks() {
      const { status, body } = await call("GET", "/api/banks");
      if (status !== 200) throw failure(status, body);
      return listOf(body.banks, status, (item) => {
        const bank_id = text(item.bank_id);
        const bank_name = text(item.bank_name);
        return bank_id && bank_name ? { bank_id, bank_name } : undefined;
      });
    },
    async pay(request, idempotencyKey) {
      let answer: Answer;
      try {
        answer = await call("POST", "/api/pay", {
          json: request,
          headers: { "idempotency-key": idempotencyKey },
        });
      } catch (error) {
        // The request may have reached the server: only the same key can tell.
        if (error instanceof ApiError && error.status === 0) {
          return { kind: "unknown", message: UNKNOWN_OUTCOME };
        }
        throw error;
      }
      return readPayOutcome(answer);
    },
    async payments() {
      const { status, body } = await call("GET", "/api/payments");
      if (status !== 200) throw failure(status, body);
      return listOf(body.payments, status, readPayment);
    },
    async ask(paymentId, question) {
      const json: Record<string, string> = { payment_id: paymentId };
      if (question?.trim()) json.question = question.trim();
      const { status, body } = await call("POST", "/api/assistant", { json });
      if (status !== 200) throw failure(status, body);
      const answer = text(body.answer);
      if (answer === undefined) throw unreadable(status);
      return answer;
    },
  };
}

function createCall(options: ApiOptions): Call {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const baseUrl = options.baseUrl ?? "";
  const timeoutMs = options.timeoutMs ?? 15_000;
  return async function call(method, path, { json, headers = {} } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetchImpl(baseUrl + path, {
        method,
        credentials: "same-origin",
        headers: {
          accept: "application/json",
          ...(json === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: controller.signal,
      });
      const raw = await response.text();
      return { status: response.status, body: parseBody(raw, response.status) };
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (controller.signal.aborted) {
        throw new ApiError(0, "timeout", "The server took too long to answer. Try again.");
      }
      throw new ApiError(
        0,
        "network_error",
        "Cannot reach the server. Check your connection and try again.",
      );
    } finally {
      clearTimeout(timer);
    }
  };
}

function parseBody(raw: string, status: number): Record<string, unknown> {
  if (raw.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw unreadable(status);
  }
  const body = record(value);
  if (!body) throw unreadable(status);
  return body;
}

function readPayOutcome({ status, body }: Answer): PayOutcome {
  if (status === 200) {
    const payment_id = text(body.payment_id);
    const bank_id = text(body.bank_id);
    const bank_name = text(body.bank_name);
    const amount = body.amount;
    if (!payment_id || !bank_id || !bank_name || typeof amount !== "number") {
      throw unreadable(status);
    }
    return { kind: "settled", payment_id, bank_id, bank_name, amount };
  }
  if (body.status === "failed") {
    return {
      kind: "failed",
      payment_id: text(body.payment_id),
      reason: text(body.reason) ?? "Payment failed",
      next_step: text(body.next_step),
      bank_id: text(body.bank_id),
      bank_name: text(body.bank_name),
      amount: typeof body.amount === "number" ? body.amount : undefined,
    };
  }
  // A 5xx that is not a decline (504 payment_outcome_unknown above all) leaves the outcome
  // open; retrying with the same key is safe, so the user is offered exactly that.
  if (status >= 500) return { kind: "unknown", message: UNKNOWN_OUTCOME };
  throw failure(status, body);
}

function readRumSettings(value: unknown, status: number): RumSettings {
  const rum = record(value);
  if (!rum) throw unreadable(status);
  const settings = {
    applicationId: text(rum.applicationId),
    clientToken: text(rum.clientToken),
    site: text(rum.site),
    service: text(rum.service),
    env: text(rum.env),
    version: text(rum.version),
    sessionSampleRate: rate(rum.sessionSampleRate),
    sessionReplaySampleRate: rate(rum.sessionReplaySampleRate),
  };
  const proxy = text(rum.proxy);
  if (Object.values(settings).some((value) => value === undefined)) throw unreadable(status);
  if (rum.proxy !== undefined && rum.proxy !== null && proxy === undefined) {
    throw unreadable(status);
  }
  return { ...settings as Omit<RumSettings, "proxy">, ...(proxy ? { proxy } : {}) };
}

function readSession(body: Record<string, unknown>, status: number): Session {
  const customer_id = text(body.customer_id);
  const username = text(body.username);
  if (!customer_id || username === undefined) throw unreadable(status);
  return { customer_id, username };
}

function readPayment(item: Record<string, unknown>): Payment | undefined {
  const payment_id = text(item.payment_id);
  const bank_id = text(item.bank_id);
  const bank_name = text(item.bank_name);
  const created_at = text(item.created_at);
  const { status, amount } = item;
  if (!payment_id || !bank_id || !bank_name || created_at === undefined) return undefined;
  if ((status !== "settled" && status !== "failed") || typeof amount !== "number") {
    return undefined;
  }
  const reason = text(item.reason);
  return {
    payment_id,
    status,
    bank_id,
    bank_name,
    amount,
    created_at,
    ...(reason ? { reason } : {}),
  };
}

function listOf<T>(
  value: unknown,
  status: number,
  read: (item: Record<string, unknown>) => T | undefined,
): T[] {
  if (!Array.isArray(value)) throw unreadable(status);
  return value.map((item) => {
    const fields = record(item);
    const parsed = fields && read(fields);
    if (!parsed) throw unreadable(status);
    return parsed;
  });
}

function failure(status: number, body: Record<string, unknown>): ApiError {
  const error = errorOf(body);
  if (error) {
    return new ApiError(status, error.code, error.message, {
      field: error.field,
      requestId: error.requestId,
    });
  }
  if (status === 401) {
    return new ApiError(status, "unauthenticated", "Your session has ended. Log in again.");
  }
  return unreadable(status);
}

function errorOf(body: Record<string, unknown>) {
  const error = record(body.error);
  const code = text(error?.code);
  const message = text(error?.message);
  if (!error || !code || !message) return undefined;
  return { code, message, field: text(error.field), requestId: text(error.requestId) };
}

function unreadable(status: number): ApiError {
  return new ApiError(
    status,
    "bad_response",
    `The server gave an answer this page cannot read (HTTP ${status}). Try again.`,
  );
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

function rate(value: unknown): number | undefined {
  return typeof value === "number" && value >= 0 && value <= 100 ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
