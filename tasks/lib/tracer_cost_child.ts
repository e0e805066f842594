/**
 * The measured process of `deno task bench:tracer` (see tasks/bench_tracer.ts): the gateway's
 * and payment-service's pay routes built with the kit, the gateway called in memory and its
 * payment call going straight into the payment app, so one payment makes the five spans,
 * the trace headers and the three log lines (trace ids injected, then discarded) it makes in
 * the stack. Prints one JSON line: CPU per payment over `--pays` payments by 50 callers,
 * after `--warm-up` payments, the final flush to the Agent included.
 *
 * @module
 */
// First, as in every service: dd-trace is initialised before anything else loads.
import "@demo/observability/init";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  createLogger,
  createReadiness,
  createServiceApp,
  createServiceClient,
  flushTracer,
  withSpan,
} from "@demo/observability";

const { values } = parseArgs({
  args: Deno.args,
  options: { pays: { type: "string" }, "warm-up": { type: "string" } },
});
const pays = Number(values.pays ?? 20000);
const warmUp = Number(values["warm-up"] ?? 3000);

const quiet = (service: string) => createLogger({ service, sink: () => {} });
const readiness = createReadiness(true);

const payment = createServiceApp({ log: quiet("payment-service"), readiness, budgetMs: 5000 });
let sequence = 0;
payment.post("/pay", async (c) => {
  const body = await c.req.json() as { bank_id: string; amount: number };
  const id = `pay_${(++sequence).toString(16).padStart(32, "0")}`;
  const log = c.get("log");
  const result = await withSpan("payment.pay", {
    tags: { "payment.id": id, bank: body.bank_id, amount: body.amount },
  }, () => {
    log.info("payment_created", { payment_id: id, bank_id: body.bank_id, amount: body.amount });
    log.info("payment_settled", { payment_id: id, payment_status: "settled" });
    return { ok: true, status: "settled", payment_id: id, amount: body.amount };
  });
  return c.json(result);
});

const client = createServiceClient({
  name: "payment-service",
  baseUrl: "http://payment-service.internal:8102",
  timeoutMs: 5000,
  fetch: async (input, init) => await payment.fetch(new Request(input, init)),
});
const gateway = createServiceApp({ log: quiet("web-frontend"), readiness, budgetMs: 5000 });
gateway.post("/api/pay", async (c) => {
  const body = await c.req.json() as { bank_id: string; amount: number };
  c.get("span")?.setTag("usr.id", "cust_0000000001");
  const reply = await withSpan("web.pay", {
    tags: { "usr.id": "cust_0000000001", bank: body.bank_id, amount: body.amount },
  }, async (span) => {
    const answer = await client.call<{ payment_id: string }>("POST", "/pay", {
      body,
      deadline: c.get("deadline"),
      requestId: c.get("requestId"),
    });
    span.setTag("payment.id", answer.data.payment_id);
    return answer;
  });
  c.get("log").info("payment_ok", { payment_id: reply.data.payment_id });
  return c.json(reply.data);
});

let failed = 0;
async function payOnce(): Promise<void> {
  const response = await gateway.fetch(
    new Request("http://localhost:8080/api/pay", {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "bench-tracer" },
      body: JSON.stringify({ bank_id: "ING", amount: 12.5 }),
    }),
  );
  await response.text();
  if (response.status !== 200) failed++;
}

// In memory a payment is promises only; a server's event loop turns between requests, and
// what runs on a timer (server spans finished after their response, the span sends) needs
// those turns. Each caller waits for one after each payment.
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

async function run(count: number): Promise<void> {
  let left = count;
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (left-- > 0) {
      await payOnce();
      await nextTurn();
    }
  }));
}

await run(warmUp);
await flushTracer();
failed = 0;
const before = process.cpuUsage();
const started = performance.now();
await run(pays);
await flushTracer();
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(before);
console.log(JSON.stringify({
  tracing: Deno.env.get("DD_TRACE_ENABLED") !== "false",
  pays,
  failed,
  cpuUsPerPay: Math.round((cpu.user + cpu.system) / pays),
  wallMs: Math.round(wallMs),
}));
// dd-trace's timers would keep the process alive.
Deno.exit(0);
