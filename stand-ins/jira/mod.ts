/**
 * A **stand-in** for Jira Cloud's REST API v3, for local runs and tests: it is not Jira and
 * says so in every response's `server` header. It keeps issues in memory and implements
 * only what jira-poller uses, with Jira's request and response shapes:
 *
 * - `POST /rest/api/3/issue`: validates project, issue type, summary, labels and that the
 *   description is an ADF document; 400 `{errorMessages, errors}` otherwise.
 * - `POST /rest/api/3/issue/{key}/comment`: an ADF body; 404 for an unknown key.
 * - `POST /rest/api/3/search/jql`: a JQL subset (see `jql.ts`), `maxResults`,
 *   `nextPageToken`, `fields`; answers `{issues, nextPageToken?, isLast}`.
 * - `POST /rest/api/3/search/approximate-count`: `{count}`.
 * - `GET /rest/api/3/search`: 410, as on Jira Cloud since the old search was removed.
 *
 * Every `/rest` call needs basic auth with the configured email and API token (401
 * otherwise), and every Nth one can be answered 429 with `Retry-After` to exercise
 * clients' back-off. For people and tests: `GET /stand-in/issues` (issues with their
 * comments), `POST /stand-in/issues/{key}/resolve` (moves one to Done), `GET /healthz`,
 * `GET /readyz`.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type AdfDoc, adfProblem, adfText } from "./adf.ts";
import { JqlError, matchesJql, parseJql, type StatusCategory } from "./jql.ts";

export { type AdfDoc, type AdfNode, adfProblem, adfText } from "./adf.ts";
export { JqlError, parseJql } from "./jql.ts";

/** The value of the `server` header of every response. */
export const SERVER_HEADER = "jira-stand-in";

/** Options of {@linkcode createJiraStandIn}. */
export interface JiraStandInOptions {
  /** The account email accepted in basic auth. */
  email?: string;
  /** The API token accepted in basic auth. */
  apiToken?: string;
  /** Answer every Nth `/rest` request with 429 (0 = never). */
  rateLimitEvery?: number;
  /** The `Retry-After` header of a 429: seconds, or an HTTP date. */
  retryAfter?: string;
  /** Project keys that exist. */
  projects?: readonly string[];
  /** Issue type names that exist. */
  issueTypes?: readonly string[];
  /** The clock stamping `created` (tests pin it). */
  now?: () => number;
  /** Issues kept; the oldest is forgotten beyond this. */
  maxIssues?: number;
}

/** A comment as the stand-in stores it. */
export interface StandInComment {
  id: string;
  body: AdfDoc;
  created: string;
}

/** An issue as the stand-in stores it. */
export interface StandInIssue {
  id: string;
  key: string;
  projectKey: string;
  issueType: string;
  summary: string;
  labels: string[];
  description: AdfDoc | null;
  status: "To Do" | "Done";
  created: string;
  createdAt: number;
  comments: StandInComment[];
}

/** One request the stand-in received (method and path only: never a header). */
export interface StandInCall {
  method: string;
  path: string;
  status: number;
}

/** What the stand-in holds, for tests to inspect. */
export interface JiraStandInState {
  readonly issues: StandInIssue[];
  /** The most recent requests, oldest first (at most 1000). */
  readonly calls: StandInCall[];
  /** The issue with `key`, if any. */
  issue(key: string): StandInIssue | undefined;
  /** Moves an issue to Done; false when the key is unknown. */
  resolve(key: string): boolean;
}

/** A stand-in app and its state. */
export interface JiraStandIn {
  app: Hono;
  state: JiraStandInState;
}

const DEFAULTS = {
  email: "demo@example.com",
  apiToken: "stand-in-token",
  projects: ["PER"],
  issueTypes: ["Task", "Bug", "Story"],
  maxIssues: 10_000,
};
const MAX_CALLS = 1000;
const MAX_BODY_BYTES = 256 * 1024;
const MAX_PAGE = 100;
const DEFAULT_PAGE = 50;
const CREATE_FIELDS = new Set(["project", "issuetype", "summary", "description", "labels"]);
const SEARCH_KEYS = new Set([
  "jql",
  "maxResults",
  "nextPageToken",
  "fields",
  "expand",
  "properties",
  "fieldsByKeys",
  "reconcileIssues",
  "failFast",
]);

class JiraReply extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly errorMessages: string[],
    readonly errors: Record<string, string> = {},
  ) {
    super(errorMessages[0] ?? Object.values(errors)[0] ?? "Error");
  }
}

/** Jira's timestamp format: `2024-05-01T10:00:00.000+0000`. */
function jiraTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

async function readBody(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (new TextEncoder().encode(text).byteLength > MAX_BODY_BYTES) {
    throw new JiraReply(413, ["The request body is too large."]);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new JiraReply(400, ["The request body is not valid JSON."]);
  }
  if (!isObject(body)) throw new JiraReply(400, ["The request body must be a JSON object."]);
  return body;
}

function basicAuth(email: string, token: string): string {
  const bytes = new TextEncoder().encode(`${email}:${token}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** Compares two strings in time that does not depend on where they differ. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function encodeToken(offset: number, jql: string): string {
  return btoa(JSON.stringify({ o: offset, q: jql })).replace(/=+$/, "");
}

function decodeToken(token: string, jql: string): number {
  try {
    const parsed = JSON.parse(atob(token));
    if (parsed.q === jql && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch { /* answered below */ }
  throw new JiraReply(400, ["The nextPageToken is invalid or belongs to another query."]);
}

/**
 * Creates the Jira stand-in: a Hono app and its in-memory state. Serve `app.fetch` with
 * `Deno.serve`, or call `app.request()` directly.
 */
export function createJiraStandIn(options: JiraStandInOptions = {}): JiraStandIn {
  const expectedAuth = basicAuth(
    options.email ?? DEFAULTS.email,
    options.apiToken ?? DEFAULTS.apiToken,
  );
  const projects = new Set(options.projects ?? DEFAULTS.projects);
  const issueTypes = options.issueTypes ?? DEFAULTS.issueTypes;
  const rateLimitEvery = options.rateLimitEvery ?? 0;
  const now = options.now ?? Date.now;
  const maxIssues = options.maxIssues ?? DEFAULTS.maxIssues;
  const issues: StandInIssue[] = [];
  const calls: StandInCall[] = [];
  const counters = new Map<string, number>();
  let nextId = 10_000;
  let restRequests = 0;
  let lastCreated = 0;

  // Issues created in the same millisecond still get distinct, increasing timestamps.
  const stamp = () => (lastCreated = Math.max(now(), lastCreated + 1));
  // Indexes, so that a payment's search and comment cost the same with 10 issues or 10,000.
  const byKey = new Map<string, StandInIssue>();
  const byLabel = new Map<string, Set<StandInIssue>>();
  const find = (key: string) => byKey.get(key.toUpperCase());
  const remember = (issue: StandInIssue) => {
    issues.push(issue);
    byKey.set(issue.key.toUpperCase(), issue);
    for (const label of issue.labels) {
      const lower = label.toLowerCase();
      let set = byLabel.get(lower);
      if (!set) byLabel.set(lower, set = new Set());
      set.add(issue);
    }
    for (
      const gone of issues.length > maxIssues ? issues.splice(0, issues.length - maxIssues) : []
    ) {
      byKey.delete(gone.key.toUpperCase());
      for (const label of gone.labels) {
        const set = byLabel.get(label.toLowerCase());
        set?.delete(gone);
        if (set?.size === 0) byLabel.delete(label.toLowerCase());
      }
    }
  };
  const category = (issue: StandInIssue): StatusCategory => issue.status;

  const state: JiraStandInState = {
    issues,
    calls,
    issue: find,
    resolve(key) {
      const issue = find(key);
      if (!issue) return false;
      issue.status = "Done";
      return true;
    },
  };

  const app = new Hono();

  app.use(async function standInHeaders(c, next) {
    await next();
    c.res.headers.set("server", SERVER_HEADER);
    calls.push({ method: c.req.method, path: c.req.path, status: c.res.status });
    if (calls.length > MAX_CALLS) calls.splice(0, calls.length - MAX_CALLS);
  });

  app.onError((error, c) => {
    if (error instanceof JiraReply) {
      return c.json({ errorMessages: error.errorMessages, errors: error.errors }, error.status);
    }
    return c.json({ errorMessages: ["Internal stand-in error."], errors: {} }, 500);
  });
  app.notFound((c) =>
    c.json({ errorMessages: [`No stand-in route for ${c.req.method} ${c.req.path}.`] }, 404)
  );

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/readyz", (c) => c.json({ ok: true }));

  app.use("/rest/*", async function jiraAuthAndRateLimit(c, next) {
    const given = c.req.header("authorization") ?? "";
    if (!sameText(given, expectedAuth)) {
      c.header("www-authenticate", 'Basic realm="jira-stand-in"');
      return c.json(
        { errorMessages: ["Client must be authenticated to access this resource."], errors: {} },
        401,
      );
    }
    restRequests++;
    if (rateLimitEvery > 0 && restRequests % rateLimitEvery === 0) {
      c.header("retry-after", options.retryAfter ?? "1");
      c.header("x-ratelimit-reason", "jira-burst-based");
      return c.json({ errorMessages: ["Rate limit exceeded."], errors: {} }, 429);
    }
    return await next();
  });

  app.post("/rest/api/3/issue", async (c) => {
    const body = await readBody(c);
    const fields = body.fields;
    if (!isObject(fields)) throw new JiraReply(400, ["The request must have a fields object."]);
    const errors: Record<string, string> = {};
    for (const name of Object.keys(fields)) {
      if (!CREATE_FIELDS.has(name)) {
        errors[name] =
          `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
      }
    }
    const project = isObject(fields.project) ? fields.project.key : undefined;
    if (typeof project !== "string" || !projects.has(project)) {
      errors.project = "valid project is required";
    }
    const issueTypeName = isObject(fields.issuetype) ? fields.issuetype.name : undefined;
    const issueType = issueTypes.find((t) =>
      typeof issueTypeName === "string" && t.toLowerCase() === issueTypeName.toLowerCase()
    );
    if (!issueType) errors.issuetype = "valid issue type is required";
    const summary = fields.summary;
    if (typeof summary !== "string" || summary.trim() === "") {
      errors.summary = "You must specify a summary of the issue.";
    } else if (summary.length > 255) {
      errors.summary = "Summary must be less than 255 characters.";
    } else if (/[\r\n]/.test(summary)) {
      errors.summary = "The summary is invalid because it contains newline characters.";
    }
    const labels = fields.labels ?? [];
    if (
      !Array.isArray(labels) ||
      !labels.every((l) => typeof l === "string" && /^[^\s]{1,255}$/.test(l))
    ) {
      errors.labels = "Labels must be strings of 1 to 255 characters without spaces.";
    }
    let description: AdfDoc | null = null;
    if (fields.description !== undefined && fields.description !== null) {
      const problem = adfProblem(fields.description);
      if (problem) {
        errors.description =
          `Operation value must be an Atlassian Document (see the Atlassian Document Format): ${problem}.`;
      } else description = fields.description as AdfDoc;
    }
    if (Object.keys(errors).length > 0) throw new JiraReply(400, [], errors);

    const projectKey = project as string;
    const number = (counters.get(projectKey) ?? 0) + 1;
    counters.set(projectKey, number);
    const createdAt = stamp();
    const issue: StandInIssue = {
      id: String(nextId++),
      key: `${projectKey}-${number}`,
      projectKey,
      issueType: issueType as string,
      summary: summary as string,
      labels: [...new Set(labels as string[])],
      description,
      status: "To Do",
      created: jiraTime(createdAt),
      createdAt,
      comments: [],
    };
    remember(issue);
    const origin = new URL(c.req.url).origin;
    return c.json(
      { id: issue.id, key: issue.key, self: `${origin}/rest/api/3/issue/${issue.id}` },
      201,
    );
  });

  app.post("/rest/api/3/issue/:key/comment", async (c) => {
    const issue = find(c.req.param("key"));
    if (!issue) {
      throw new JiraReply(404, ["Issue does not exist or you do not have permission to see it."]);
    }
    const body = await readBody(c);
    const problem = adfProblem(body.body);
    if (problem) {
      throw new JiraReply(400, [], {
        comment: `Comment body must be an Atlassian Document: ${problem}.`,
      });
    }
    const created = jiraTime(stamp());
    const comment: StandInComment = {
      id: String(nextId++),
      body: body.body as AdfDoc,
      created,
    };
    issue.comments.push(comment);
    const origin = new URL(c.req.url).origin;
    return c.json({
      id: comment.id,
      self: `${origin}/rest/api/3/issue/${issue.id}/comment/${comment.id}`,
      body: comment.body,
      author: { displayName: "Jira stand-in", accountId: "stand-in" },
      created,
      updated: created,
    }, 201);
  });

  app.post("/rest/api/3/search/jql", async (c) => {
    const body = await readBody(c);
    const unknown = Object.keys(body).filter((k) => !SEARCH_KEYS.has(k));
    if (unknown.length > 0) {
      throw new JiraReply(400, [
        `Invalid request payload (unsupported: ${
          unknown.join(", ")
        }). Refer to the REST API documentation and try again.`,
      ]);
    }
    if (typeof body.jql !== "string") throw new JiraReply(400, ["The jql must be a string."]);
    const maxResults = body.maxResults ?? DEFAULT_PAGE;
    if (typeof maxResults !== "number" || !Number.isInteger(maxResults) || maxResults < 1) {
      throw new JiraReply(400, ["maxResults must be a positive whole number."]);
    }
    const fields = body.fields ?? ["id"];
    if (!Array.isArray(fields) || !fields.every((f) => typeof f === "string")) {
      throw new JiraReply(400, ["fields must be a list of field names."]);
    }
    if (body.nextPageToken !== undefined && typeof body.nextPageToken !== "string") {
      throw new JiraReply(400, ["nextPageToken must be a string."]);
    }
    const matches = search(body.jql);
    const offset = body.nextPageToken === undefined ? 0 : decodeToken(body.nextPageToken, body.jql);
    const size = Math.min(maxResults, MAX_PAGE);
    const page = matches.slice(offset, offset + size);
    const isLast = offset + size >= matches.length;
    const origin = new URL(c.req.url).origin;
    return c.json({
      issues: page.map((issue) => ({
        id: issue.id,
        key: issue.key,
        self: `${origin}/rest/api/3/issue/${issue.id}`,
        fields: renderFields(issue, fields as string[]),
      })),
      // Like Jira Cloud, the last page carries no token rather than a null one.
      ...(isLast ? {} : { nextPageToken: encodeToken(offset + size, body.jql) }),
      isLast,
    });
  });

  app.post("/rest/api/3/search/approximate-count", async (c) => {
    const body = await readBody(c);
    if (typeof body.jql !== "string") throw new JiraReply(400, ["The jql must be a string."]);
    return c.json({ count: search(body.jql).length });
  });

  app.on(["GET", "POST"], "/rest/api/3/search", () => {
    throw new JiraReply(410, [
      "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.",
    ]);
  });

  app.get("/stand-in/issues", (c) =>
    c.json({
      stand_in: true,
      issues: issues.map((issue) => ({
        key: issue.key,
        id: issue.id,
        project: issue.projectKey,
        issue_type: issue.issueType,
        summary: issue.summary,
        labels: issue.labels,
        status: issue.status,
        created: issue.created,
        description: issue.description,
        description_text: adfText(issue.description),
        comments: issue.comments.map((comment) => ({
          id: comment.id,
          created: comment.created,
          body: comment.body,
          text: adfText(comment.body),
        })),
      })),
    }));

  app.post("/stand-in/issues/:key/resolve", (c) => {
    const key = c.req.param("key");
    if (!state.resolve(key)) throw new JiraReply(404, [`No issue ${key}.`]);
    return c.json({ ok: true, key: find(key)?.key, status: "Done" });
  });

  function search(jql: string): StandInIssue[] {
    let query;
    try {
      query = parseJql(jql);
    } catch (error) {
      if (error instanceof JqlError) {
        throw new JiraReply(400, [`Error in the JQL Query: ${error.message}.`]);
      }
      throw error;
    }
    // A label clause narrows the issues to look at (issues keep their creation order).
    const label = query.clauses.find((clause) => clause.field === "labels");
    const candidates = label ? [...byLabel.get(label.value.toLowerCase()) ?? []] : issues;
    const found = candidates.filter((issue) =>
      matchesJql(query, {
        projectKey: issue.projectKey,
        labels: issue.labels,
        statusCategory: category(issue),
      })
    );
    const direction = query.orderByCreated === "DESC" ? -1 : 1;
    return found.sort((a, b) =>
      direction * (a.createdAt - b.createdAt || Number(a.id) - Number(b.id))
    );
  }

  return { app, state };
}

function renderFields(issue: StandInIssue, wanted: string[]): Record<string, unknown> {
  const all = wanted.includes("*all") || wanted.includes("*navigable");
  const has = (name: string) => all || wanted.includes(name);
  const done = issue.status === "Done";
  const fields: Record<string, unknown> = {};
  if (has("summary")) fields.summary = issue.summary;
  if (has("labels")) fields.labels = issue.labels;
  if (has("created")) fields.created = issue.created;
  if (has("project")) fields.project = { key: issue.projectKey };
  if (has("issuetype")) fields.issuetype = { name: issue.issueType };
  if (has("description")) fields.description = issue.description;
  if (has("status")) {
    fields.status = {
      name: issue.status,
      statusCategory: done ? { key: "done", name: "Done" } : { key: "new", name: "To Do" },
    };
  }
  return fields;
}

/** Options of {@linkcode serveJiraStandIn}. */
export interface ServeJiraStandInOptions extends JiraStandInOptions {
  port: number;
  hostname: string;
}

/** A stand-in listening on a port. */
export interface RunningJiraStandIn extends JiraStandIn {
  /** `http://<hostname>:<port>`, to use as `JIRA_BASE_URL`. */
  url: string;
  port: number;
  shutdown(): Promise<void>;
}

/** Creates the stand-in and serves it (port 0 picks a free port). */
export function serveJiraStandIn(options: ServeJiraStandInOptions): RunningJiraStandIn {
  const standIn = createJiraStandIn(options);
  const server = Deno.serve(
    { port: options.port, hostname: options.hostname, onListen() {} },
    standIn.app.fetch,
  );
  const port = (server.addr as Deno.NetAddr).port;
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const urlHost = host === "0.0.0.0" ? "localhost" : host;
  return {
    ...standIn,
    port,
    url: `http://${urlHost}:${port}`,
    shutdown: () => server.shutdown(),
  };
}
