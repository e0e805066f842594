/**
 * A Jira Cloud REST API v3 client for suspected-fraud tickets: basic auth, a timeout on
 * every call that never outlives the caller's deadline, `429` honoured with `Retry-After`
 * and bounded retries, and every failure mapped to one of two reasons (`http_error` when
 * Jira answered an error status, `exception` for anything else). The API token and the
 * Authorization header never leave this module: no error, log field or span tag carries them.
 *
 * @module
 */
import { z } from "zod";
import { badRequest, type Deadline, type HttpFetch, tracedFetch } from "@demo/observability";
import { adfFromText } from "../adf.ts";
import {
  descriptionFor,
  ISSUE_KEY,
  labelsFor,
  openSuspectedFraudJql,
  paymentJql,
  summaryFor,
  type SuspectedFraud,
  suspectedFraudJql,
} from "../tickets.ts";

/** Why a Jira call failed, as the `reason` tag of the error metrics says it. */
export type JiraFailureReason = "http_error" | "exception";

/** A failed Jira call. Its message names the operation and status, never a credential. */
export class JiraError extends Error {
  readonly reason: JiraFailureReason;
  /** Jira's HTTP status, for `http_error`. */
  readonly status?: number;
  /** The request went out and no usable answer came back: Jira may have acted on it. */
  readonly unanswered: boolean;

  constructor(
    reason: JiraFailureReason,
    message: string,
    options: { status?: number; cause?: unknown; unanswered?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "JiraError";
    this.reason = reason;
    this.status = options.status;
    this.unanswered = options.unanswered ?? false;
  }
}

/** Per-call options: the caller's deadline and a signal that cancels the call. */
export interface JiraCallOptions {
  deadline?: Deadline;
  signal?: AbortSignal;
}

/** The result of an idempotent create. */
export interface CreatedIssue {
  issueKey: string;
  /** false when the payment already had a ticket (found by its label). */
  created: boolean;
}

/** A suspected-fraud ticket as the poll lists it. */
export interface IssueSummary {
  key: string;
  summary?: string;
  labels: string[];
  created?: string;
  /** Jira's status category key: `new`, `indeterminate` or `done`. */
  statusCategory?: string;
}

/** The suspected-fraud tickets listed by one poll. */
export interface IssueListing {
  issues: IssueSummary[];
  pages: number;
  /** false when the page bound stopped the listing before Jira's last page. */
  complete: boolean;
}

/** The Jira operations jira-poller uses. */
export interface JiraClient {
  /**
   * Returns the payment's ticket, creating it only if a search by its label finds none.
   * Concurrent calls for one payment share one search-and-create.
   */
  createSuspectedFraudIssue(
    fraud: SuspectedFraud,
    options?: JiraCallOptions,
  ): Promise<CreatedIssue>;
  /** Adds a plain-text comment (sent as ADF). Refuses a malformed key before any call. */
  addComment(issueKey: string, comment: string, options?: JiraCallOptions): Promise<void>;
  /** Lists suspected-fraud tickets, newest first, following `nextPageToken` up to a bound. */
  listSuspectedFraudIssues(options?: JiraCallOptions): Promise<IssueListing>;
  /** Counts suspected-fraud tickets whose status category is not Done. */
  countOpenSuspectedFraudIssues(options?: JiraCallOptions): Promise<number>;
}

/** Options of {@linkcode createJiraClient}. */
export interface JiraClientOptions {
  baseUrl: string;
  email: string;
  apiToken: string;
  projectKey: string;
  issueType: string;
  /** Upper bound of one HTTP attempt; the caller's deadline may cut it shorter. */
  timeoutMs: number;
  /** Retries after a 429 (default 3). */
  maxRetries?: number;
  /** The longest wait between attempts; a longer `Retry-After` fails the call (default 10 s). */
  maxRetryWaitMs?: number;
  /** Issues per search page (default 50). */
  pageSize?: number;
  /** Pages one listing may read (default 10). */
  maxPages?: number;
  /** Payments whose ticket key is remembered after creating it (default 1000). */
  rememberCreated?: number;
  /**
   * How long after a create whose answer was lost (a timeout, a dropped connection, a 5xx)
   * the payment's ticket is not created again (default 60 s): Jira may have made it, and its
   * search can take that long to show a new ticket.
   */
  uncertainCreateMs?: number;
  /** How calls are sent (tests pass a fake); the kit's traced client by default. */
  fetch?: HttpFetch;
  /** Waits between attempts; tests replace it to avoid real waiting. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The wall clock, to read `Retry-After` dates. */
  now?: () => number;
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Whether a failed fetch never reached Jira: the connection was refused or the host name did
 * not resolve (the runtime says so in the error or its cause), so no request was sent.
 */
function neverSent(error: unknown): boolean {
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    messages.push(e.message);
    e = e.cause;
  }
  return /\(Connect\)|connection refused|dns error|failed to lookup address|Name or service not known/i
    .test(messages.join(" | "));
}

/** An HTTP date as RFC 9110 asks senders to write it: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Reads a `Retry-After` header, whole seconds or an HTTP date, as milliseconds from `now`;
 * undefined when it is absent or anything else (`Date.parse` alone would read "1.5" or "-1"
 * as dates long past, and so as no wait at all).
 */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!IMF_FIXDATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const CreatedResponse = z.object({ key: z.string().regex(ISSUE_KEY) });
const SearchResponse = z.object({
  issues: z.array(z.object({
    key: z.string(),
    fields: z.object({
      summary: z.string().optional(),
      labels: z.array(z.string()).optional(),
      created: z.string().optional(),
      status: z.object({
        statusCategory: z.object({ key: z.string() }).optional(),
      }).optional(),
    }).optional(),
  })),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
});
const CountResponse = z.object({ count: z.number().int().nonnegative() });

const LIST_FIELDS = ["summary", "labels", "created", "status"];

/** Jira's own words about a failure, short enough to log. */
function jiraMessages(text: string): string | undefined {
  try {
    const body = JSON.parse(text);
    const messages = [
      ...(Array.isArray(body?.errorMessages) ? body.errorMessages : []),
      ...Object.entries(body?.errors ?? {}).map(([field, message]) => `${field}: ${message}`),
    ].map(String);
    return messages.length ? messages.join("; ").slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

/** Creates a {@linkcode JiraClient}. */
export function createJiraClient(options: JiraClientOptions): JiraClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? tracedFetch;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const maxRetries = options.maxRetries ?? 3;
  const maxRetryWaitMs = options.maxRetryWaitMs ?? 10_000;
  const pageSize = options.pageSize ?? 50;
  const maxPages = options.maxPages ?? 10;
  const rememberLimit = options.rememberCreated ?? 1000;
  // Built once and kept in this closure: the header value is a credential.
  const authorization = `Basic ${
    btoa(String.fromCharCode(...new TextEncoder().encode(`${options.email}:${options.apiToken}`)))
  }`;
  const inFlight = new Map<string, Promise<CreatedIssue>>();
  const remembered = new Map<string, string>();
  const uncertainCreateMs = options.uncertainCreateMs ?? 60_000;
  /** Payments whose create was sent but whose answer was lost, with when. */
  const uncertain = new Map<string, number>();

  /** One HTTP attempt bounded by `timeoutMs`; resolves with the status and body text. */
  async function attempt(
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const response = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      if (signal?.aborted) {
        throw new JiraError("exception", `Jira call ${method} ${path} was cancelled`, {
          cause: error,
          unanswered: true,
        });
      }
      if (controller.signal.aborted) {
        throw new JiraError(
          "exception",
          `Jira did not answer ${method} ${path} within ${timeoutMs} ms`,
          { cause: error, unanswered: true },
        );
      }
      const detail = error instanceof Error ? error.message : String(error);
      throw new JiraError("exception", `Cannot reach Jira for ${method} ${path}: ${detail}`, {
        cause: error,
        // A refused connection or a failed lookup sent nothing; anything later may have.
        unanswered: !neverSent(error),
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Calls Jira and returns its JSON object, retrying a 429 at most `maxRetries` times: after
   * `Retry-After` when Jira says how long, else after a doubling backoff capped at
   * `maxRetryWaitMs`. A Retry-After longer than that cap, or than the deadline allows, fails
   * at once: Jira answers a retry sent before the period ends with another 429, the same or
   * a longer wait. A `read` (a search or a count, which change nothing) is retried the same way
   * after a 502, 503 or 504, which Atlassian documents as transient; a write never is, since
   * Jira may have acted on it.
   */
  async function request(
    method: string,
    path: string,
    body: unknown,
    call: JiraCallOptions,
    read = false,
  ): Promise<unknown> {
    for (let retry = 0;; retry++) {
      const left = call.deadline ? call.deadline.remaining() : Number.POSITIVE_INFINITY;
      const timeoutMs = Math.min(options.timeoutMs, left);
      if (timeoutMs <= 0) {
        throw new JiraError("exception", `No time left to call Jira ${method} ${path}`);
      }
      const reply = await attempt(method, path, body, timeoutMs, call.signal);
      const transient = reply.status === 429 ||
        (read && (reply.status === 502 || reply.status === 503 || reply.status === 504));
      if (transient && retry < maxRetries) {
        const asked = retryAfterMs(reply.headers.get("retry-after"), now());
        const wait = asked ?? Math.min(1000 * 2 ** retry, maxRetryWaitMs);
        const stillLeft = call.deadline ? call.deadline.remaining() : Number.POSITIVE_INFINITY;
        if (wait <= maxRetryWaitMs && wait < stillLeft) {
          try {
            await sleep(wait, call.signal);
          } catch (error) {
            throw new JiraError("exception", `Jira call ${method} ${path} was cancelled`, {
              cause: error,
            });
          }
          continue;
        }
      }
      if (reply.status >= 400) {
        const said = jiraMessages(reply.text);
        const gaveUp = transient
          ? ` (gave up after ${retry + 1} attempt${retry === 0 ? "" : "s"})`
          : "";
        throw new JiraError(
          "http_error",
          `Jira answered ${reply.status} to ${method} ${path}${gaveUp}${said ? `: ${said}` : ""}`,
          { status: reply.status },
        );
      }
      try {
        return JSON.parse(reply.text);
      } catch (error) {
        // Jira acted (it answered 2xx), but what it made cannot be read.
        throw new JiraError(
          "exception",
          `Jira answered ${reply.status} to ${method} ${path} with a body that is not JSON`,
          { cause: error, unanswered: true },
        );
      }
    }
  }

  function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
    const result = schema.safeParse(value);
    if (!result.success) {
      // Jira acted (the answer was 2xx JSON), but what it made cannot be read.
      throw new JiraError("exception", `Jira's answer to ${what} has an unexpected shape`, {
        unanswered: true,
      });
    }
    return result.data;
  }

  async function searchPage(
    jql: string,
    maxResults: number,
    token: string | undefined,
    fields: string[],
    call: JiraCallOptions,
  ) {
    const data = await request(
      "POST",
      "/rest/api/3/search/jql",
      {
        jql,
        maxResults,
        fields,
        ...(token ? { nextPageToken: token } : {}),
      },
      call,
      true,
    );
    return parse(SearchResponse, data, "search");
  }

  async function findOrCreate(fraud: SuspectedFraud, call: JiraCallOptions): Promise<CreatedIssue> {
    const found = await searchPage(
      paymentJql(options.projectKey, fraud.paymentId),
      1,
      undefined,
      ["summary"],
      call,
    );
    if (found.issues.length > 0) {
      uncertain.delete(fraud.paymentId);
      return { issueKey: found.issues[0].key, created: false };
    }
    const held = uncertain.has(fraud.paymentId)
      ? uncertainCreateMs - (now() - uncertain.get(fraud.paymentId)!)
      : 0;
    if (held > 0) {
      const wait = Math.ceil(held / 1000);
      throw new JiraError(
        "exception",
        `An earlier create for ${fraud.paymentId} lost its answer and Jira may have made the ` +
          `ticket, which its search can take a while to show: not creating another for ${wait} s`,
      );
    }
    let key: string;
    try {
      const data = await request("POST", "/rest/api/3/issue", {
        fields: {
          project: { key: options.projectKey },
          issuetype: { name: options.issueType },
          summary: summaryFor(fraud),
          labels: labelsFor(fraud),
          description: descriptionFor(fraud),
        },
      }, call);
      key = parse(CreatedResponse, data, "create issue").key;
    } catch (error) {
      // Sent with no usable answer, or a server error: the ticket may exist all the same.
      const unclear = error instanceof JiraError &&
        (error.unanswered || (error.status ?? 0) >= 500);
      // Holds back another create for the payment: this one may have made its ticket.
      if (unclear) setBounded(uncertain, fraud.paymentId, now());
      throw error;
    }
    uncertain.delete(fraud.paymentId);
    setBounded(remembered, fraud.paymentId, key);
    return { issueKey: key, created: true };
  }

  /** Sets `key` in `map`, forgetting the oldest entry past `rememberLimit`. */
  function setBounded<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > rememberLimit) map.delete(map.keys().next().value!);
  }

  /** Waits for a shared create, but no longer than this caller's own deadline or signal. */
  async function join(flight: Promise<CreatedIssue>, call: JiraCallOptions): Promise<CreatedIssue> {
    if (!call.deadline && !call.signal) return await flight;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        flight,
        new Promise<never>((_, reject) => {
          const giveUp = () =>
            reject(new JiraError("exception", "Gave up waiting for the ticket being created"));
          if (call.deadline) timer = setTimeout(giveUp, call.deadline.remaining());
          onAbort = giveUp;
          call.signal?.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) call.signal?.removeEventListener("abort", onAbort);
    }
  }

  return {
    createSuspectedFraudIssue(fraud, call = {}) {
      // Idempotency without an idempotency key: the payment's label is searched before
      // creating, and in this process concurrent retries share one search-and-create.
      // Not covered: two replicas handling retries of one payment at the same moment can
      // both find nothing and both create, and a ticket created moments ago may not be
      // searchable yet (Jira's index lags). That costs a duplicate ticket, not money, and
      // the payment service asks once per payment; the key remembered below covers the
      // lag for retries that land on this replica, and a create that lost its answer holds
      // back another for `uncertainCreateMs`.
      const known = remembered.get(fraud.paymentId);
      if (known) return Promise.resolve({ issueKey: known, created: false });
      const shared = inFlight.get(fraud.paymentId);
      if (shared) return join(shared, call);
      const flight = findOrCreate(fraud, call).finally(() => inFlight.delete(fraud.paymentId));
      inFlight.set(fraud.paymentId, flight);
      return flight;
    },

    async addComment(issueKey, comment, call = {}) {
      if (!ISSUE_KEY.test(issueKey)) {
        throw badRequest(
          "issue_key",
          "Cannot comment: issue_key must be a Jira issue key such as PER-1",
        );
      }
      await request(
        "POST",
        `/rest/api/3/issue/${encodeURIComponent(issueKey)}/comment`,
        { body: adfFromText(comment) },
        call,
      );
    },

    async listSuspectedFraudIssues(call = {}) {
      const jql = suspectedFraudJql(options.projectKey);
      const issues: IssueSummary[] = [];
      let token: string | undefined;
      let pages = 0;
      let complete = false;
      while (pages < maxPages) {
        const page = await searchPage(jql, pageSize, token, LIST_FIELDS, call);
        pages++;
        for (const issue of page.issues) {
          issues.push({
            key: issue.key,
            summary: issue.fields?.summary,
            labels: issue.fields?.labels ?? [],
            created: issue.fields?.created,
            statusCategory: issue.fields?.status?.statusCategory?.key,
          });
        }
        token = page.nextPageToken ?? undefined;
        if (page.isLast === true || !token) {
          complete = true;
          break;
        }
      }
      return { issues, pages, complete };
    },

    async countOpenSuspectedFraudIssues(call = {}) {
      const data = await request(
        "POST",
        "/rest/api/3/search/approximate-count",
        { jql: openSuspectedFraudJql(options.projectKey) },
        call,
        true,
      );
      return parse(CountResponse, data, "approximate count").count;
    },
  };
}
