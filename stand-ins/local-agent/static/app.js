// @ts-check
/// <reference lib="dom" />
/**
 * The local Agent's page: reads the JSON query API and draws it with DOM calls only
 * (received data is always set as text, never parsed as HTML).
 */

const REFRESH_MS = 2000;
const TRACE_LIMIT = 30;
/** Rows listed on the other tabs; the filter searches everything held, not only these. */
const LIST_LIMIT = 300;

/** @typedef {{service: string, name: string, resource: string, trace_id: string, span_id: string,
 *   parent_id: string, error: number, start: number, duration: number,
 *   meta: Record<string, string>, metrics: Record<string, number>}} Span */
/** @typedef {{trace_id: string, received_at: number, spans: Span[]}} Trace */

/**
 * Creates an element with attributes and children; strings become text nodes.
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {...(Node | string | number | null | undefined)} children
 * @returns {HTMLElement}
 */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return await response.json();
}

/** @param {string} id */
function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`Missing #${id}`);
  return node;
}

const state = {
  tab: "traces",
  filter: "",
  /** @type {string | undefined} */
  selectedTrace: undefined,
  scrollToSelected: false,
};

/** Hues far apart for the system's own services, so a trace across them reads at a glance. */
const SERVICE_HUES = {
  "web-frontend": 210,
  "auth-service": 275,
  "payment-service": 140,
  // Not red: red marks errors.
  "fraud-service": 28,
  "jira-poller": 55,
  "llm-service": 320,
};

/**
 * A stable colour per service: the system's from the table, any other from its name.
 * @param {string} service
 */
function serviceColour(service) {
  const known = /** @type {Record<string, number>} */ (SERVICE_HUES)[service];
  if (known !== undefined) return `hsl(${known} 62% 50%)`;
  let hash = 0;
  for (let i = 0; i < service.length; i++) hash = (hash * 31 + service.charCodeAt(i)) >>> 0;
  return `hsl(${hash % 360} 35% 55%)`;
}

/**
 * `n` and the noun, plural unless one.
 * @param {number} n
 * @param {string} noun
 */
function count(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The search as the query API takes it, or "" with no filter. */
function searchParam() {
  return state.filter === "" ? "" : `&q=${encodeURIComponent(state.filter)}`;
}

/**
 * A note when a list is cut at {@linkcode LIST_LIMIT}: more is held than it shows.
 * @param {number} listed
 */
function moreHeld(listed) {
  return listed >= LIST_LIMIT
    ? el(
      "p",
      { class: "caption" },
      `The newest ${LIST_LIMIT} are listed; the filter searches all that is held.`,
    )
    : "";
}

/**
 * What an empty list says: nothing received yet, or nothing held matching the filter.
 * @param {string} nothingYet
 */
function emptyText(nothingYet) {
  return state.filter === "" ? nothingYet : `Nothing held matches "${state.filter}".`;
}

/** @param {number} ns */
function ms(ns) {
  const value = ns / 1e6;
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

/** @param {number} epochMs */
function clock(epochMs) {
  return new Date(epochMs).toLocaleTimeString();
}

/**
 * A link that selects a trace on the Traces tab.
 * @param {string | undefined} traceId
 */
function traceLink(traceId) {
  if (!traceId) return "";
  const link = el(
    "a",
    { href: `#trace=${encodeURIComponent(traceId)}`, class: "trace-link" },
    traceId,
  );
  return link;
}

/** @param {string} text */
function matches(text) {
  return state.filter === "" || text.toLowerCase().includes(state.filter);
}

/**
 * Orders spans parent before children and gives each its depth in the tree.
 * @param {Span[]} spans
 * @returns {{span: Span, depth: number}[]}
 */
function treeOrder(spans) {
  const ids = new Set(spans.map((s) => s.span_id));
  /** @type {Map<string, Span[]>} */
  const children = new Map();
  /** @type {Span[]} */
  const roots = [];
  for (const span of spans) {
    if (span.parent_id !== "0" && ids.has(span.parent_id) && span.parent_id !== span.span_id) {
      const list = children.get(span.parent_id) ?? [];
      list.push(span);
      children.set(span.parent_id, list);
    } else {
      roots.push(span);
    }
  }
  /** @type {{span: Span, depth: number}[]} */
  const rows = [];
  const seen = new Set();
  /** @param {Span} span @param {number} depth */
  const visit = (span, depth) => {
    if (seen.has(span.span_id)) return;
    seen.add(span.span_id);
    rows.push({ span, depth });
    for (const child of (children.get(span.span_id) ?? []).sort((a, b) => a.start - b.start)) {
      visit(child, depth + 1);
    }
  };
  for (const root of roots.sort((a, b) => a.start - b.start)) visit(root, 0);
  for (const span of spans) if (!seen.has(span.span_id)) visit(span, 0);
  return rows;
}

/**
 * A trace as a waterfall: one row per span, bars placed by start and duration.
 * @param {Trace} trace
 */
function waterfall(trace) {
  const spans = trace.spans;
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(...spans.map((s) => s.start + s.duration));
  const total = Math.max(t1 - t0, 1);
  const rows = treeOrder(spans);
  const root = rows[0]?.span;
  const services = [...new Set(spans.map((s) => s.service))];
  const errors = spans.filter((s) => s.error).length;
  const card = el(
    "article",
    { class: trace.trace_id === state.selectedTrace ? "trace selected" : "trace" },
    el(
      "div",
      { class: "trace-head" },
      el("strong", {}, root ? root.resource || root.name : "(no spans)"),
      el("span", {}, ms(total)),
      el("span", {}, `${count(spans.length, "span")} · ${services.join(", ")}`),
      errors ? el("span", { class: "level-error" }, count(errors, "error")) : "",
      el("span", { class: "id" }, trace.trace_id),
    ),
  );
  for (const { span, depth } of rows) {
    const bar = el("div", { class: "bar" });
    bar.style.left = `${((span.start - t0) / total) * 100}%`;
    bar.style.width = `${Math.max((span.duration / total) * 100, 0.2)}%`;
    bar.style.setProperty("--svc", serviceColour(span.service));
    const label = el(
      "div",
      {
        class: "label",
        title: [
          span.name,
          span.resource,
          span.meta["http.url"],
          span.meta["http.status_code"] && `HTTP ${span.meta["http.status_code"]}`,
          span.meta["error.message"],
        ].filter(Boolean).join("\n"),
      },
      el("span", { class: "svc" }, `${span.service} `),
      span.resource || span.name,
      callTarget(span),
      span.error ? el("span", { class: "err-msg" }, ` — ${errorText(span)}`) : "",
    );
    label.style.paddingLeft = `${depth * 14}px`;
    card.append(
      el(
        "div",
        { class: span.error ? "row error" : "row" },
        label,
        el("div", { class: "track" }, bar),
        el("div", { class: "dur" }, ms(span.duration)),
      ),
    );
  }
  return card;
}

/**
 * What an error span says went wrong: its message, else its HTTP status.
 * @param {Span} span
 */
function errorText(span) {
  return span.meta["error.message"] ?? span.meta["error.type"] ??
    (span.meta["http.status_code"] ? `HTTP ${span.meta["http.status_code"]}` : "error");
}

/**
 * Where a client span's call went (host and path of `http.url`), after its method.
 * @param {Span} span
 */
function callTarget(span) {
  if (span.meta["span.kind"] !== "client" || !span.meta["http.url"]) return "";
  try {
    const url = new URL(span.meta["http.url"]);
    return el("span", { class: "target" }, ` ${url.host}${url.pathname}`);
  } catch {
    return "";
  }
}

async function renderTraces() {
  const panel = byId("traces");
  /** @type {Trace[]} */
  const traces = await getJson(`/local/traces?limit=${TRACE_LIMIT}${searchParam()}`);
  /** @type {Node[]} */
  const nodes = [];
  if (state.selectedTrace && !traces.some((t) => t.trace_id === state.selectedTrace)) {
    try {
      nodes.push(
        waterfall(await getJson(`/local/traces/${encodeURIComponent(state.selectedTrace)}`)),
      );
    } catch {
      nodes.push(el("p", {}, `Trace ${state.selectedTrace} is not held (any more).`));
    }
  }
  // The query API searched every held trace (`q`), not only the newest.
  for (const trace of traces) nodes.push(waterfall(trace));
  if (nodes.length === 0) nodes.push(el("p", {}, emptyText("No traces yet.")));
  panel.replaceChildren(...nodes);
  const selected = panel.querySelector(".trace.selected");
  if (selected && state.scrollToSelected) {
    selected.scrollIntoView({ block: "nearest" });
    state.scrollToSelected = false;
  }
}

/** @param {string[]} tags */
function tagList(tags) {
  return el("td", {}, ...tags.map((t) => el("span", { class: "tag" }, t)));
}

async function renderMetrics() {
  /** @type {{name: string, type: string, tags: string[], count: number, sum: number, last: number}[]} */
  const series = await getJson("/local/metrics");
  // The clients' own health metrics (datadog.*) after the system's.
  const internal = (/** @type {string} */ name) => name.startsWith("datadog.") ? 1 : 0;
  const rows = series
    .filter((s) => matches(`${s.name} ${s.tags.join(" ")}`))
    .sort((a, b) => internal(a.name) - internal(b.name) || a.name.localeCompare(b.name))
    .map((s) =>
      el(
        "tr",
        {},
        el("td", {}, s.name),
        el("td", {}, s.type),
        tagList(s.tags),
        el("td", { class: "num" }, round(s.count)),
        el("td", { class: "num" }, round(s.sum)),
        el("td", { class: "num" }, round(s.last)),
      )
    );
  byId("metrics").replaceChildren(
    el(
      "p",
      { class: "caption" },
      "One row per metric and tag set: count is how many values arrived, sum their total, " +
        "last the latest. The DogStatsD clients' own datadog.* metrics come last.",
    ),
    table(["metric", "type", "tags", "count", "sum", "last"], rows, emptyText("No metrics yet.")),
  );
}

/** @param {number} n */
function round(n) {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/**
 * @param {string[]} headings
 * @param {HTMLElement[]} rows
 * @param {string} empty
 */
function table(headings, rows, empty) {
  if (rows.length === 0) return el("p", {}, empty);
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows),
  );
}

async function renderLogs() {
  /** @type {Record<string, any>[]} */
  const logs = await getJson(`/local/logs?limit=${LIST_LIMIT}${searchParam()}`);
  const rows = logs
    .map((l) =>
      el(
        "tr",
        {},
        el("td", {}, clock(l.received_at)),
        el("td", { class: `level-${String(l.level ?? "")}` }, String(l.level ?? "")),
        el("td", {}, l.service),
        el("td", {}, l.message),
        el("td", {}, extraFields(l)),
        el("td", {}, traceLink(l.trace_id)),
      )
    );
  byId("logs").replaceChildren(
    moreHeld(logs.length),
    table(
      ["received", "level", "service", "message", "fields", "trace"],
      rows,
      emptyText("No logs yet."),
    ),
  );
}

const LOG_BASE_FIELDS = new Set([
  "received_at",
  "timestamp",
  "level",
  "service",
  "message",
  "ddsource",
  "hostname",
  "dd",
  "trace_id",
  "span_id",
]);

/** @param {Record<string, unknown>} record */
function extraFields(record) {
  return Object.entries(record)
    .filter(([key]) => !LOG_BASE_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

/**
 * A short description of a RUM event.
 * @param {Record<string, any>} event
 */
function rumSummary(event) {
  if (event.resource?.url) {
    const { method, url, status_code: status } = event.resource;
    return `${method ? `${method} ` : ""}${url}${status ? ` → ${status}` : ""}`;
  }
  return event.action?.target?.name ?? event.error?.message ?? event.message ??
    event.view?.url ?? event.vital?.name ?? "";
}

/**
 * Whether a RUM or browser-log event tells of a failure: an error, an error log, or a
 * resource answered with 5xx (or not at all).
 * @param {{type: string, event: Record<string, any>}} entry
 */
function rumFailed(entry) {
  // A 4xx is often an answer the page expects (401 from /api/session when logged out).
  const status = entry.event.resource?.status_code;
  return entry.type === "error" || entry.event.status === "error" ||
    (typeof status === "number" && (status >= 500 || status === 0));
}

async function renderRum() {
  /** @type {{kind: string, type: string, received_at: number, event: Record<string, any>}[]} */
  const entries = await getJson(`/local/rum?limit=${LIST_LIMIT}${searchParam()}`);
  const rows = entries
    .map((e) =>
      el(
        "tr",
        { class: rumFailed(e) ? "level-error" : "" },
        el("td", {}, clock(e.received_at)),
        el("td", {}, e.kind),
        el("td", {}, e.type),
        el("td", {}, String(rumSummary(e.event))),
        el("td", {}, String(e.event.session?.id ?? e.event.session_id ?? "")),
        el("td", {}, traceLink(decimalTraceId(e.event._dd?.trace_id))),
      )
    );
  byId("rum").replaceChildren(
    moreHeld(entries.length),
    table(
      ["received", "kind", "type", "what", "session", "trace"],
      rows,
      emptyText("No RUM events yet."),
    ),
  );
}

/**
 * RUM resources carry the trace id in decimal; keep only that form for links.
 * @param {unknown} id
 */
function decimalTraceId(id) {
  return typeof id === "string" && /^\d+$/.test(id) ? id : undefined;
}

async function renderLlmObs() {
  /** @type {{spans: Record<string, any>[], evaluations: Record<string, any>[]}} */
  const data = await getJson(`/local/llmobs?limit=${LIST_LIMIT}${searchParam()}`);
  const spanRows = data.spans
    .map((r) =>
      el(
        "tr",
        { class: r.event.status === "error" ? "level-error" : "" },
        el("td", {}, clock(r.received_at)),
        el("td", {}, r.ml_app ?? ""),
        el("td", {}, r.span_kind ?? ""),
        el("td", {}, r.event.name),
        el("td", {}, r.event.status ?? ""),
        el("td", { class: "num" }, ms(Number(r.event.duration ?? 0))),
        el("td", {}, preview(r.event.meta?.input)),
        el("td", {}, outputOf(r.event)),
        el("td", { class: "num" }, tokens(r.event.metrics)),
        el("td", {}, traceLink(r.apm_trace_id)),
      )
    );
  const evalRows = data.evaluations.map((r) =>
    el(
      "tr",
      {},
      el("td", {}, clock(r.received_at)),
      el("td", {}, r.ml_app ?? ""),
      el("td", {}, r.event.label),
      el("td", {}, r.event.metric_type),
      el("td", {}, String(r.event[`${r.event.metric_type}_value`] ?? "")),
      el("td", {}, traceLink(r.apm_trace_id)),
    )
  );
  byId("llmobs").replaceChildren(
    moreHeld(Math.max(data.spans.length, data.evaluations.length)),
    el("h2", {}, "Spans"),
    table(
      [
        "received",
        "ml app",
        "kind",
        "name",
        "status",
        "duration",
        "input",
        "output",
        "tokens in / out",
        "trace",
      ],
      spanRows,
      emptyText("No LLM Observability spans yet."),
    ),
    el("h2", {}, "Evaluations"),
    table(
      ["received", "ml app", "label", "type", "value", "trace"],
      evalRows,
      emptyText("No evaluations yet."),
    ),
  );
}

/**
 * A span's output, or for a failed span without one its error.
 * @param {Record<string, any>} event
 */
function outputOf(event) {
  const output = preview(event.meta?.output);
  if (output !== "" && output !== "{}") return output;
  const error = event.meta?.error ?? {};
  const message = error.message ?? event.meta?.["error.message"];
  const type = error.type ?? event.meta?.["error.type"];
  return message || type ? `error: ${[type, message].filter(Boolean).join(": ")}` : output;
}

/**
 * Input and output tokens of an llm span, when it reports them.
 * @param {Record<string, number> | undefined} metrics
 */
function tokens(metrics) {
  if (!metrics || metrics.input_tokens === undefined) return "";
  return `${metrics.input_tokens} / ${metrics.output_tokens ?? "?"}`;
}

/** @param {any} io */
function preview(io) {
  if (!io) return "";
  const text = typeof io.value === "string"
    ? io.value
    : Array.isArray(io.messages)
    ? io.messages.map((/** @type {any} */ m) => `${m.role ?? ""}: ${m.content ?? ""}`).join(" | ")
    : JSON.stringify(io);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

async function renderStats() {
  const stats = await getJson("/local/stats");
  byId("stats").replaceChildren(el("pre", {}, JSON.stringify(stats, null, 2)));
}

/** @type {Record<string, () => Promise<void>>} */
const RENDER = {
  traces: renderTraces,
  metrics: renderMetrics,
  logs: renderLogs,
  rum: renderRum,
  llmobs: renderLlmObs,
  stats: renderStats,
};

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    await RENDER[state.tab]();
    byId("status").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    byId("status").textContent = `Cannot refresh: ${
      error instanceof Error ? error.message : error
    }`;
  } finally {
    busy = false;
  }
}

/** @param {string} tab */
function show(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.setAttribute("aria-selected", String(button.getAttribute("data-tab") === tab));
  }
  for (const panel of document.querySelectorAll(".panel")) {
    /** @type {HTMLElement} */ (panel).hidden = panel.id !== tab;
  }
  void refresh();
}

function readHash() {
  const match = /^#trace=(.+)$/.exec(location.hash);
  state.selectedTrace = match ? decodeURIComponent(match[1]) : undefined;
  if (state.selectedTrace) {
    state.scrollToSelected = true;
    show("traces");
  }
}

for (const button of document.querySelectorAll("#tabs button")) {
  button.addEventListener("click", () => show(button.getAttribute("data-tab") ?? "traces"));
}
/** @type {HTMLInputElement} */ (byId("filter")).addEventListener("input", (event) => {
  state.filter = /** @type {HTMLInputElement} */ (event.target).value.trim().toLowerCase();
  void refresh();
});
byId("clear").addEventListener("click", async () => {
  await fetch("/local/session", { method: "DELETE" });
  void refresh();
});
addEventListener("hashchange", readHash);
setInterval(() => {
  const auto = /** @type {HTMLInputElement} */ (byId("auto")).checked;
  if (auto && document.visibilityState === "visible") void refresh();
}, REFRESH_MS);
readHash();
void refresh();
