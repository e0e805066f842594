/**
 * Telemetry contract tests: boot the real dev stack on free ports, drive every payment
 * branch with a fixed seed, then prove through the local Agent's query API that traces,
 * metrics, logs, LLM Observability and Jira tickets are emitted, correct and linked.
 */
import assert from "node:assert/strict";
import { type Stack, startStack } from "../tasks/lib/stack.ts";
import { SERVICES } from "../tasks/lib/topology.ts";
import type { CapturedSpan as Span } from "@demo/observability/testing";

interface Trace {
  trace_id: string;
  spans: Span[];
}
interface Metric {
  name: string;
  type: string;
  tags: string[];
  count: number;
  sum: number;
  last: number;
}
interface Payment {
  status: number;
  payment_id: string;
  outcome: "settled" | "failed";
  reason?: string;
  bank_id: string;
}

const opts = { sanitizeOps: false, sanitizeResources: false };

// Rates raised so that 60 payments with this seed take every branch; latency kept small.
const ENV = {
  RANDOM_SEED: "20261125",
  PAYMENT_LATENCY_MIN_MS: "1",
  PAYMENT_LATENCY_MAX_MS: "5",
  PAYMENT_SUSPECTED_FRAUD_RATE: "0.3",
  FRAUD_CONFIRM_RATE: "0.5",
  PAYMENT_FAIL_RATE: "0.25",
  AUTH_FAIL_RATE: "0.3",
  LLM_FAIL_RATE: "0",
  LLM_LATENCY_MIN_MS: "1",
  LLM_LATENCY_MAX_MS: "5",
  JIRA_POLL_INTERVAL_SECONDS: "1",
};

async function getJson<T>(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, init);
  const body = await res.json() as T;
  return { status: res.status, body, headers: res.headers };
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await probe();
    if (last !== undefined) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

function tagsOf(metric: Metric): Record<string, string> {
  return Object.fromEntries(metric.tags.map((t) => {
    const i = t.indexOf(":");
    return [t.slice(0, i), t.slice(i + 1)];
  }));
}

function sum(metrics: Metric[], name: string, where: Record<string, string> = {}): number {
  return metrics
    .filter((m) => m.name === name && Object.entries(where).every(([k, v]) => tagsOf(m)[k] === v))
    .reduce((total, m) => total + m.sum, 0);
}

function isDescendant(trace: Trace, span: Span, ancestor: Span): boolean {
  const byId = new Map(trace.spans.map((s) => [s.span_id, s]));
  let current: Span | undefined = span;
  for (let hops = 0; current && hops < 100; hops++) {
    if (current.parent_id === ancestor.span_id) return true;
    current = byId.get(current.parent_id);
  }
  return false;
}

let stack: Stack;
const payments: Payment[] = [];
let loginFailures = 0;
let customerId = "";

Deno.test({ name: "the telemetry contract holds on the dev stack", ...opts }, async (t) => {
  try {
    await t.step(
      "the dev stack boots and serves every payment branch with a fixed seed",
      async () => {
        stack = await startStack({ ports: "auto", env: ENV });
        const web = stack.webUrl;
        let cookie = "";
        for (let i = 0; i < 20 && !cookie; i++) {
          const res = await getJson<{ ok: boolean; customer_id: string }>(`${web}/api/login`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ username: "contract-tester", password: "a password" }),
          });
          if (res.status === 200) {
            cookie = res.headers.getSetCookie().find((c) =>
              c.startsWith("session_id=")
            )!.split(";")[0];
            customerId = res.body.customer_id;
          } else {
            assert.equal(res.status, 401);
            loginFailures++;
          }
        }
        assert.ok(cookie, "logged in");
        const banks = ["FNB", "ABN", "RABO", "HSBC", "JPMC", "ING", "BARC", "CITI"];
        for (let i = 0; i < 60; i++) {
          const bank_id = banks[i % banks.length];
          const res = await getJson<Record<string, string>>(`${web}/api/pay`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              cookie,
              "idempotency-key": `contract-${i}`,
            },
            body: JSON.stringify({ bank_id, amount: 10 + i }),
          });
          assert.ok(
            [200, 402].includes(res.status),
            `payment ${i}: ${res.status} ${JSON.stringify(res.body)}`,
          );
          payments.push({
            status: res.status,
            payment_id: res.body.payment_id,
            outcome: res.body.status as "settled" | "failed",
            reason: res.body.reason,
            bank_id,
          });
        }
        const assistant = await getJson<{ ok: boolean; answer: string }>(`${web}/api/assistant`, {
          method: "POST",
          headers: { "content-type": "application/json", cookie },
          body: JSON.stringify({ payment_id: payments[0].payment_id }),
        });
        assert.equal(assistant.status, 200);
        assert.match(assistant.body.answer, /^Summary: /);

        const reasons = new Set(payments.map((p) => p.reason));
        assert.ok(payments.some((p) => p.outcome === "settled"), "some payments settled");
        assert.ok(reasons.has("Suspected Fraud"), "some were confirmed as fraud");
        assert.ok([...reasons].some((r) => r && r !== "Suspected Fraud"), "some were declined");
      },
    );

    await t.step(
      "every payment is one trace rooted at web-frontend, with payment-service below it",
      async () => {
        const traces = await eventually("a trace for every payment", async () => {
          const { body } = await getJson<Trace[]>(`${stack.agentUrl}/local/traces?limit=5000`);
          const found = payments.every((p) =>
            body.some((t) =>
              t.spans.some((s) => s.name === "payment.pay" && s.meta["payment.id"] === p.payment_id)
            )
          );
          return found ? body : undefined;
        });
        for (const payment of payments) {
          const matching = traces.filter((t) =>
            t.spans.some((s) =>
              s.name === "payment.pay" && s.meta["payment.id"] === payment.payment_id
            )
          );
          assert.equal(matching.length, 1, `payment ${payment.payment_id} is in exactly one trace`);
          const trace = matching[0];
          const roots = trace.spans.filter((s) => s.parent_id === "0");
          assert.equal(roots.length, 1, "one root span");
          const root = roots[0];
          assert.equal(root.service, "web-frontend");
          assert.equal(root.resource, "POST /api/pay");
          assert.equal(root.meta["usr.id"], customerId, "usr.id is the customer id");
          const payServer = trace.spans.find((s) =>
            s.service === "payment-service" && s.resource === "POST /pay"
          );
          assert.ok(payServer, "payment-service server span");
          assert.ok(
            isDescendant(trace, payServer, root),
            "payment-service span descends from the root",
          );
          const manual = trace.spans.find((s) => s.name === "payment.pay")!;
          assert.equal(manual.meta["bank"], payment.bank_id);
          assert.equal(manual.meta["usr.id"], customerId);
          if (payment.outcome === "failed") assert.equal(manual.meta["reason"], payment.reason);
        }
      },
    );

    await t.step(
      "fraud-service and jira-poller spans appear exactly for suspected payments, one Jira issue with one comment each",
      async () => {
        const { body: { issues } } = await getJson<
          { issues: { key: string; labels: string[]; comments: unknown[] }[] }
        >(`${stack.jiraUrl}/stand-in/issues`);
        const labelsOf = (i: (typeof issues)[number]) => i.labels;
        const suspected = new Set(
          issues.flatMap((i) =>
            labelsOf(i).filter((l) => l.startsWith("payment-")).map((l) => l.slice(8))
          ),
        );
        assert.ok(suspected.size > 0, "some payments were suspected");
        for (const id of suspected) {
          const forPayment = issues.filter((i) => labelsOf(i).includes(`payment-${id}`));
          assert.equal(forPayment.length, 1, `one issue for payment ${id}`);
          assert.equal(forPayment[0].comments.length, 1, `one comment on the issue of ${id}`);
        }
        const confirmed = payments.filter((p) => p.reason === "Suspected Fraud").map((p) =>
          p.payment_id
        );
        for (const id of confirmed) {
          assert.ok(suspected.has(id), `confirmed fraud ${id} had a ticket`);
        }

        // Each process flushes its spans on its own schedule: wait until every suspected
        // payment's trace holds the spans of all four services that served it.
        const traces = await eventually(
          "the fraud and Jira spans of every suspected payment",
          async () => {
            const { body } = await getJson<Trace[]>(`${stack.agentUrl}/local/traces?limit=5000`);
            const complete = [...suspected].every((id) => {
              const trace = body.find((t) =>
                t.spans.some((s) => s.name === "payment.pay" && s.meta["payment.id"] === id)
              );
              const services = new Set(trace?.spans.map((s) => s.service));
              return services.has("fraud-service") && services.has("jira-poller") &&
                trace!.spans.some((s) => s.name === "jira.comment");
            });
            return complete ? body : undefined;
          },
        );
        await new Promise((r) => setTimeout(r, 2500)); // one more flush: stray spans would show now
        const { body: settledTraces } = await getJson<Trace[]>(
          `${stack.agentUrl}/local/traces?limit=5000`,
        );
        assert.ok(settledTraces.length >= traces.length);
        for (const payment of payments) {
          const trace = settledTraces.find((t) =>
            t.spans.some((s) =>
              s.name === "payment.pay" && s.meta["payment.id"] === payment.payment_id
            )
          )!;
          const services = new Set(trace.spans.map((s) => s.service));
          const expected = suspected.has(payment.payment_id);
          assert.equal(
            services.has("fraud-service"),
            expected,
            `fraud-service spans iff suspected (${payment.payment_id})`,
          );
          assert.equal(
            services.has("jira-poller"),
            expected,
            `jira-poller spans iff suspected (${payment.payment_id})`,
          );
          if (expected) {
            const root = trace.spans.find((s) => s.parent_id === "0")!;
            for (const s of trace.spans.filter((s) => s.service !== "web-frontend")) {
              assert.ok(
                isDescendant(trace, s, root),
                `${s.service} ${s.name} is linked into the payment's trace`,
              );
            }
            assert.ok(trace.spans.some((s) => s.name === "fraud.check"));
            assert.ok(trace.spans.some((s) => s.name === "jira.create_issue"));
            assert.ok(trace.spans.some((s) => s.name === "jira.comment"));
          }
        }
      },
    );

    await t.step(
      "server spans use route templates and carry the error flag exactly where a request failed",
      async () => {
        const { body: traces } = await getJson<Trace[]>(
          `${stack.agentUrl}/local/traces?limit=5000`,
        );
        const servers = traces.flatMap((t) => t.spans).filter((s) =>
          s.meta["span.kind"] === "server"
        );
        assert.ok(servers.length > payments.length * 2);
        for (const span of servers) {
          assert.match(
            span.resource,
            /^(GET|POST|PUT|DELETE|PATCH) \/[A-Za-z0-9_/:.-]*$/,
            span.resource,
          );
          assert.doesNotMatch(
            span.resource,
            /pay_[0-9a-f]|cust_[0-9a-f]|[0-9a-f]{8}-[0-9a-f]{4}/,
            "no ids in resources",
          );
          const status = Number(span.meta["http.status_code"]);
          assert.equal(
            span.error,
            status >= 500 ? 1 : 0,
            `${span.service} ${span.resource} → ${status}`,
          );
        }
        assert.ok(
          servers.some((s) => s.meta["http.status_code"] === "402" && s.error === 0),
          "a declined payment is not an error",
        );
      },
    );

    await t.step(
      "the contract's metrics arrive with their types and tags, and the counters equal the observed outcomes",
      async () => {
        const settled = payments.filter((p) => p.outcome === "settled").length;
        const failed = payments.length - settled;
        const confirmed = payments.filter((p) => p.reason === "Suspected Fraud").length;
        const metrics = await eventually("payment counters", async () => {
          const { body } = await getJson<Metric[]>(`${stack.agentUrl}/local/metrics`);
          return sum(body, "payment.created") >= payments.length && sum(body, "llm.request.ok") >= 1
            ? body
            : undefined;
        });
        assert.equal(sum(metrics, "payment.created"), payments.length);
        assert.equal(sum(metrics, "payment.settled"), settled);
        assert.equal(sum(metrics, "payment.failed"), failed);
        assert.equal(sum(metrics, "payment.failed", { reason: "Suspected Fraud" }), confirmed);
        assert.equal(sum(metrics, "web.payment.ok"), settled);
        assert.equal(sum(metrics, "web.auth.ok"), 1);
        assert.equal(sum(metrics, "auth.ok"), 1);
        assert.equal(sum(metrics, "auth.failed"), loginFailures);
        assert.equal(sum(metrics, "web.auth.failed"), loginFailures);
        const suspected = sum(metrics, "fraud.suspected");
        assert.ok(suspected >= confirmed && suspected > 0);
        assert.equal(sum(metrics, "fraud.check.rejected"), confirmed);
        assert.equal(sum(metrics, "fraud.check.approved"), suspected - confirmed);
        assert.equal(sum(metrics, "fraud.cleared"), suspected - confirmed);
        assert.equal(sum(metrics, "jira.create.ok"), suspected);
        assert.equal(sum(metrics, "jira.comment.ok"), suspected);

        const expectations: [string, string, string[]][] = [
          ["payment.created", "count", ["bank"]],
          ["payment.settled", "count", ["bank"]],
          ["payment.failed", "count", ["reason", "bank"]],
          ["payment.settlement_latency_ms", "distribution|histogram", ["bank"]],
          ["auth.ok", "count", []],
          ["auth.failed", "count", ["reason"]],
          ["fraud.check.approved", "count", ["bank"]],
          ["fraud.check.rejected", "count", ["fraud_reason", "bank"]],
          ["fraud.suspected", "count", ["bank"]],
          ["fraud.cleared", "count", ["bank"]],
          ["web.auth.ok", "count", []],
          ["web.auth.failed", "count", []],
          ["web.payment.ok", "count", ["bank"]],
          ["web.payment.error", "count", ["bank"]],
          ["jira.create.ok", "count", []],
          ["jira.comment.ok", "count", []],
          ["jira.poll.success", "count", []],
          ["jira.suspected_fraud.open", "gauge", []],
          ["llm.request.ok", "count", []],
          ["llm.latency_ms", "distribution", []],
        ];
        for (const [name, types, tags] of expectations) {
          const series = metrics.filter((m) => m.name === name);
          assert.ok(series.length > 0, `${name} arrived`);
          for (const m of series) {
            assert.match(m.type, new RegExp(`^(${types})$`), `${name} type`);
            const t = tagsOf(m);
            for (const required of ["service", "env", "version", ...tags]) {
              assert.ok(
                t[required] !== undefined,
                `${name} has tag ${required}: ${m.tags.join(",")}`,
              );
            }
            for (const [k, v] of Object.entries(t)) {
              assert.doesNotMatch(
                `${k}:${v}`,
                /cust_|pay_[0-9a-f]{6}|PER-\d/,
                `${name} has no id in tags`,
              );
            }
          }
        }
        // The gauge comes from the next poll (every second here) after the last ticket.
        const created = sum(metrics, "jira.create.ok");
        const open = await eventually("the open-issue gauge to count every ticket", async () => {
          const { body } = await getJson<Metric[]>(
            `${stack.agentUrl}/local/metrics?name=jira.suspected_fraud.open`,
          );
          const gauge = body.find((m) => m.name === "jira.suspected_fraud.open");
          return gauge && gauge.last === created ? gauge : undefined;
        });
        assert.equal(open.last, created, "the gauge counts the open issues");
      },
    );

    await t.step(
      "every request-scoped log line carries the trace id of its request, with sensible levels",
      async () => {
        const { body: traces } = await getJson<Trace[]>(
          `${stack.agentUrl}/local/traces?limit=5000`,
        );
        const traceIds = new Set(traces.map((t) => t.trace_id));
        const logs = await eventually("log lines of every service", async () => {
          const { body } = await getJson<Record<string, unknown>[]>(
            `${stack.agentUrl}/local/logs?limit=100000`,
          );
          const services = new Set(body.map((l) => l.service));
          return SERVICES.every((s) => services.has(s)) ? body : undefined;
        });
        const scoped = logs.filter((l) => l.request_id !== undefined);
        assert.ok(scoped.length > payments.length * 3);
        for (const line of scoped) {
          const dd = line.dd as Record<string, string> | undefined;
          assert.ok(dd?.trace_id, `${line.service} ${line.message} has dd.trace_id`);
          assert.ok(dd?.span_id, `${line.service} ${line.message} has dd.span_id`);
          assert.equal(dd?.service, line.service);
          assert.ok(
            traceIds.has(String(line.trace_id)),
            `${line.service} ${line.message} links to a received trace`,
          );
          assert.equal(line.status, undefined, "no business value in the reserved status field");
          assert.match(String(line.level), /^(debug|info|warn|error)$/);
        }
        for (const payment of payments) {
          const trace = traces.find((t) =>
            t.spans.some((s) =>
              s.name === "payment.pay" && s.meta["payment.id"] === payment.payment_id
            )
          )!;
          const mine = logs.filter((l) => String(l.trace_id) === trace.trace_id);
          const names = new Set(mine.map((l) => `${l.service}:${l.message}`));
          assert.ok(
            names.has("payment-service:payment_created"),
            `payment_created in the trace of ${payment.payment_id}`,
          );
          assert.ok(
            names.has(
              `payment-service:${
                payment.outcome === "settled" ? "payment_settled" : "payment_failed"
              }`,
            ),
          );
          if (payment.outcome === "failed") {
            const line = mine.find((l) => l.message === "payment_failed")!;
            assert.equal(line.level, "warn", "a declined payment is a warning, not an emergency");
          }
        }
      },
    );

    await t.step(
      "the assistant question yields LLM Observability spans linked to its APM trace",
      async () => {
        interface LlmSpan {
          span_kind: string;
          ml_app: string;
          apm_trace_id: string;
          event: {
            name: string;
            span_id: string;
            parent_id: string;
            meta: Record<string, unknown>;
          };
        }
        const llm = await eventually("LLM Observability spans", async () => {
          const { body } = await getJson<{ spans: LlmSpan[] }>(`${stack.agentUrl}/local/llmobs`);
          const names = new Set(body.spans.map((s) => s.event.name));
          return names.has("llm_request") && names.has("generate_text") ? body.spans : undefined;
        });
        const workflow = llm.find((s) => s.event.name === "llm_request")!;
        const generate = llm.find((s) => s.event.name === "generate_text")!;
        assert.equal(workflow.span_kind, "workflow");
        assert.equal(generate.span_kind, "llm");
        assert.equal(workflow.ml_app, "payments-assistant");
        assert.equal(
          generate.event.parent_id,
          workflow.event.span_id,
          "generate_text is inside llm_request",
        );
        const messages = (generate.event.meta.input as { messages?: { content: string }[] })
          ?.messages;
        assert.match(
          String(messages?.[0]?.content),
          /^Payment pay_[0-9a-f]+ .* Please summarize this payment for the customer/,
          "the prompt is annotated",
        );
        const apmTraceId = workflow.apm_trace_id;
        assert.ok(apmTraceId, "the LLM Observability span names its APM trace");
        const apm = await eventually(`the APM trace ${apmTraceId}`, async () => {
          const { body: traces } = await getJson<Trace[]>(
            `${stack.agentUrl}/local/traces?service=llm-service&limit=5000`,
          );
          return traces.find((t) =>
            t.trace_id === apmTraceId && t.spans.some((s) => s.parent_id === "0")
          );
        });
        const root = apm.spans.find((s) => s.parent_id === "0")!;
        assert.equal(root.service, "web-frontend");
        assert.equal(root.resource, "POST /api/assistant");
        const apmWorkflow = apm.spans.find((s) => s.name === "llm_request");
        assert.equal(
          apmWorkflow?.span_id,
          workflow.event.span_id,
          "the same span in APM and LLM Observability",
        );
      },
    );

    await t.step(
      "with Jira gone, the poller counts create, comment and poll errors and payments still complete",
      async () => {
        Deno.kill(stack.pids["jira-stand-in"]!, "SIGKILL");
        const poller = `http://127.0.0.1:${stack.ports["jira-poller"]}`;
        const create = await fetch(`${poller}/jira/create_suspected_fraud`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            payment_id: "pay_contract",
            customer_id: customerId,
            bank_id: "ING",
            amount: 12.5,
          }),
        });
        assert.equal(create.status, 502);
        await create.body?.cancel();
        const comment = await fetch(`${poller}/jira/comment`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ issue_key: "PER-1", comment: "hello" }),
        });
        assert.equal(comment.status, 502);
        await comment.body?.cancel();
        const metrics = await eventually("jira error metrics", async () => {
          const { body } = await getJson<Metric[]>(`${stack.agentUrl}/local/metrics`);
          return sum(body, "jira.poll.error") > 0 && sum(body, "jira.create.error") > 0 &&
              sum(body, "jira.comment.error") > 0
            ? body
            : undefined;
        });
        for (const name of ["jira.create.error", "jira.comment.error"]) {
          for (const m of metrics.filter((m) => m.name === name)) {
            assert.match(tagsOf(m).reason, /^(http_error|exception|missing_config)$/);
          }
        }
      },
    );

    await t.step("the stack stops every process it started", async () => {
      const pids = Object.values(stack.pids) as number[];
      await stack.stop();
      for (const pid of pids) {
        assert.throws(() => Deno.kill(pid, "SIGCONT"), `process ${pid} is gone`);
      }
    });
  } finally {
    await stack?.stop();
  }
});
