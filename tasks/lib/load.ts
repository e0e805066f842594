/**
 * The load engine behind `deno task load` and `deno task bench`: virtual users that behave
 * like people over real HTTP (log in, pay, look at their history, ask the assistant) with a
 * bounded memory footprint (fixed-size histograms, counters only).
 */
import { BANK_IDS as BANKS } from "@demo/banks";
import { Histogram } from "./histogram.ts";
import { Http1Connection } from "@demo/observability/http1";

/** The scenarios a virtual user picks from, with relative weights. */
export interface Mix {
  pay: number;
  history: number;
  assistant: number;
  banks: number;
}

export const DEFAULT_MIX: Mix = { pay: 70, history: 15, assistant: 5, banks: 10 };

/** Parses `pay=70,history=15,…` into a {@linkcode Mix}. */
export function parseMix(text: string): Mix {
  const mix: Mix = { pay: 0, history: 0, assistant: 0, banks: 0 };
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [key, value] = part.split("=");
    if (!(key in mix)) {
      throw new Error(
        `Cannot parse --mix: unknown scenario '${key}' (pay, history, assistant, banks)`,
      );
    }
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) {
      throw new Error(`Cannot parse --mix: '${key}' needs a number ≥ 0`);
    }
    mix[key as keyof Mix] = n;
  }
  if (Object.values(mix).every((v) => v === 0)) {
    throw new Error("Cannot parse --mix: every weight is 0");
  }
  return mix;
}

/** Options of {@linkcode runLoad}. */
export interface LoadOptions {
  target: string;
  concurrency: number;
  durationMs: number;
  /** Total requests per second; undefined means as fast as the system answers. */
  rate?: number;
  mix?: Mix;
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called about once a second with the last second's numbers. */
  onTick?: (tick: Tick) => void;
}

/** One second of a run. */
export interface Tick {
  elapsedMs: number;
  rps: number;
  p50: number;
  p99: number;
  outcomes: Record<string, number>;
}

/** The result of a run. */
export interface LoadReport {
  requests: number;
  durationMs: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  scenarios: Record<string, { requests: number; p50: number; p99: number }>;
  outcomes: Record<string, number>;
  /** Requests a user would see as broken: network errors, timeouts, 5xx, unknown outcomes. */
  failed: number;
  /** A few failure descriptions, for diagnosis. */
  failureSamples: string[];
}

/** Outcomes that are a failure from a user's point of view. */
export const FAILED_OUTCOMES = new Set([
  "network_error",
  "timeout",
  "server_error",
  "outcome_unknown",
  "unexpected_4xx",
]);

class Limiter {
  #next = performance.now();
  readonly #interval: number;
  constructor(rate: number) {
    this.#interval = 1000 / rate;
  }
  /** Resolves at the next free slot; returns the slot's time (latency is measured from it). */
  async take(): Promise<number> {
    const slot = Math.max(this.#next, performance.now());
    this.#next = slot + this.#interval;
    const wait = slot - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    return slot;
  }
}

function pick(mix: Mix, r: number): keyof Mix {
  const total = mix.pay + mix.history + mix.assistant + mix.banks;
  let x = r * total;
  for (const key of ["pay", "history", "assistant", "banks"] as const) {
    x -= mix[key];
    if (x < 0) return key;
  }
  return "pay";
}

/** Runs virtual users against `target` until the duration ends or `signal` aborts. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const mix = options.mix ?? DEFAULT_MIX;
  const timeout = options.requestTimeoutMs ?? 10_000;
  const limiter = options.rate ? new Limiter(options.rate) : undefined;
  const total = new Histogram();
  const window = new Histogram();
  const byScenario = new Map<string, Histogram>();
  const outcomes: Record<string, number> = {};
  let windowOutcomes: Record<string, number> = {};
  let requests = 0;
  let failed = 0;
  const failureSamples: string[] = [];
  const started = performance.now();
  const endAt = started + options.durationMs;
  const running = () => performance.now() < endAt && !options.signal?.aborted;

  const count = (scenario: string, outcome: string, ms: number, detail?: string) => {
    requests++;
    total.record(ms);
    window.record(ms);
    let h = byScenario.get(scenario);
    if (!h) byScenario.set(scenario, h = new Histogram());
    h.record(ms);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    windowOutcomes[outcome] = (windowOutcomes[outcome] ?? 0) + 1;
    if (FAILED_OUTCOMES.has(outcome)) {
      failed++;
      if (failureSamples.length < 20) {
        failureSamples.push(`${scenario}: ${outcome}${detail ? ` (${detail})` : ""}`);
      }
    }
  };

  /** What one virtual user sends with: its own keep-alive connection, or fetch for https. */
  type Send = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ) => Promise<{ status: number; text: string; cookies: string[] }>;

  const target = new URL(options.target);
  function sender(): { send: Send; close: () => void } {
    if (target.protocol === "http:") {
      const conn = new Http1Connection(target.hostname, Number(target.port || 80));
      return {
        send: async (method, path, headers, body) => {
          const res = await conn.request(method, path, headers, body, timeout);
          const cookies = res.headers.get("set-cookie")?.split("\n") ?? [];
          return { status: res.status, text: res.body, cookies };
        },
        close: () => conn.close(),
      };
    }
    return {
      send: async (method, path, headers, body) => {
        const res = await fetch(`${target.origin}${path}`, {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(timeout),
        });
        return { status: res.status, text: await res.text(), cookies: res.headers.getSetCookie() };
      },
      close: () => {},
    };
  }

  type Classify = (status: number, body: Record<string, unknown>) => string;

  async function request(
    send: Send,
    scenario: string,
    call: { method: string; path: string; headers?: Record<string, string>; body?: unknown },
    classify: Classify,
  ): Promise<{ status: number; body: Record<string, unknown>; cookies: string[] } | undefined> {
    const slot = limiter ? await limiter.take() : performance.now();
    if (!running()) return undefined;
    const headers = call.body === undefined
      ? call.headers ?? {}
      : { "content-type": "application/json", ...call.headers };
    try {
      const res = await send(
        call.method,
        call.path,
        headers,
        call.body === undefined ? undefined : JSON.stringify(call.body),
      );
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(res.text);
      } catch { /* classified below */ }
      const outcome = classify(res.status, parsed);
      count(scenario, outcome, performance.now() - slot, `${res.status} ${res.text.slice(0, 120)}`);
      return { status: res.status, body: parsed, cookies: res.cookies };
    } catch (error) {
      const name = (error as Error).name;
      count(
        scenario,
        name === "TimeoutError" || name === "AbortError" ? "timeout" : "network_error",
        performance.now() - slot,
        (error as Error).message,
      );
      return undefined;
    }
  }

  const plain = (ok: string): Classify => (s) =>
    s === 200 ? ok : s >= 500 ? "server_error" : "unexpected_4xx";
  const payOutcome: Classify = (s, b) =>
    s === 200
      ? "settled"
      : s === 402
      ? "declined"
      : s === 503 && b.status === "failed"
      ? "fraud_check_unavailable"
      : s === 504
      ? "outcome_unknown"
      : s === 401
      ? "session_expired"
      : s >= 500
      ? "server_error"
      : "unexpected_4xx";

  async function user(index: number): Promise<void> {
    const { send, close } = sender();
    let cookie: string | undefined;
    const recent: string[] = [];
    try {
      while (running()) {
        if (!cookie) {
          const res = await request(send, "login", {
            method: "POST",
            path: "/api/login",
            body: { username: `user${index % 500}`, password: "correct horse battery staple" },
          }, (s) => s === 200 ? "login_ok" : s === 401 ? "login_failed" : plain("")(s, {}));
          const set = res?.cookies.find((c) => c.startsWith("session_id="));
          if (res?.status === 200 && set) cookie = set.split(";")[0];
          continue;
        }
        const scenario = pick(mix, Math.random());
        if (scenario === "pay") {
          const res = await request(send, "pay", {
            method: "POST",
            path: "/api/pay",
            headers: { cookie, "idempotency-key": crypto.randomUUID() },
            body: {
              bank_id: BANKS[Math.floor(Math.random() * BANKS.length)],
              amount: Math.round((1 + Math.random() * 499) * 100) / 100,
            },
          }, payOutcome);
          if (res?.status === 401) cookie = undefined;
          const id = res?.body.payment_id;
          if (typeof id === "string") {
            recent.push(id);
            if (recent.length > 5) recent.shift();
          }
        } else if (scenario === "history") {
          await request(send, "history", {
            method: "GET",
            path: "/api/payments",
            headers: { cookie },
          }, plain("history_ok"));
        } else if (scenario === "assistant" && recent.length > 0) {
          await request(
            send,
            "assistant",
            {
              method: "POST",
              path: "/api/assistant",
              headers: { cookie },
              body: { payment_id: recent[recent.length - 1] },
            },
            (
              s,
              b,
            ) => (s === 502 || s === 503 ? "assistant_unavailable" : plain("assistant_ok")(s, b)),
          );
        } else {
          await request(send, "banks", { method: "GET", path: "/api/banks" }, plain("banks_ok"));
        }
      }
    } finally {
      close();
    }
  }

  let lastTick = started;
  const ticker = setInterval(() => {
    const now = performance.now();
    options.onTick?.({
      elapsedMs: now - started,
      rps: window.count / ((now - lastTick) / 1000),
      p50: window.percentile(50),
      p99: window.percentile(99),
      outcomes: windowOutcomes,
    });
    window.reset();
    windowOutcomes = {};
    lastTick = now;
  }, 1000);
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => user(i)));
  } finally {
    clearInterval(ticker);
  }
  const durationMs = performance.now() - started;
  const scenarios: LoadReport["scenarios"] = {};
  for (const [name, h] of byScenario) {
    scenarios[name] = { requests: h.count, p50: h.percentile(50), p99: h.percentile(99) };
  }
  return {
    requests,
    durationMs,
    rps: requests / (durationMs / 1000),
    latencyMs: {
      p50: total.percentile(50),
      p90: total.percentile(90),
      p99: total.percentile(99),
      max: total.max,
      mean: total.mean,
    },
    scenarios,
    outcomes,
    failed,
    failureSamples,
  };
}
