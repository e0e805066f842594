import assert from "node:assert/strict";
import dgram from "node:dgram";
import { createDogStatsdMetrics, createMemoryMetrics } from "./metrics.ts";

Deno.test("createMemoryMetrics() records type, value and global tags, and totals by tag", () => {
  const m = createMemoryMetrics({ service: "svc" });
  m.increment("payment.failed", { reason: "Insufficient funds", bank: "ING" });
  m.increment("payment.failed", { reason: "Invalid recipient", bank: "ING" }, 2);
  m.distribution("payment.settlement_latency_ms", 120, { bank: "ING" });
  assert.equal(m.total("payment.failed"), 3);
  assert.equal(m.total("payment.failed", { reason: "Invalid recipient" }), 2);
  assert.deepEqual(m.records[2], {
    type: "distribution",
    name: "payment.settlement_latency_ms",
    value: 120,
    tags: { service: "svc", bank: "ING" },
  });
});

Deno.test("createDogStatsdMetrics() sends DogStatsD lines with service, env and version tags", async () => {
  const socket = dgram.createSocket("udp4");
  const received: string[] = [];
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  socket.on("message", (msg) => received.push(...msg.toString().split("\n").filter(Boolean)));
  const port = (socket.address() as { port: number }).port;
  const metrics = createDogStatsdMetrics({
    host: "127.0.0.1",
    port,
    globalTags: { service: "payment-service", env: "test", version: "1.2.3" },
  });
  metrics.increment("payment.created", { bank: "ING" });
  metrics.gauge("jira.suspected_fraud.open", 4);
  metrics.distribution("llm.latency_ms", 12.5);
  await metrics.close();
  const deadline = Date.now() + 2000;
  while (received.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  socket.close();
  const tags = "service:payment-service,env:test,version:1.2.3";
  assert.ok(received.includes(`payment.created:1|c|#${tags},bank:ING`), received.join("\n"));
  assert.ok(received.includes(`jira.suspected_fraud.open:4|g|#${tags}`), received.join("\n"));
  assert.ok(received.includes(`llm.latency_ms:12.5|d|#${tags}`), received.join("\n"));
});
