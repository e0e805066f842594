/**
 * Sends real telemetry to a local Agent stand-in the way the services do: a dd-trace span,
 * an LLM Observability workflow with an evaluation, a metric through dd-trace's DogStatsD
 * client (its HTTP proxy path) and metrics through hot-shots over UDP. Reads AGENT_URL and
 * STATSD_PORT, prints `sent` with the span's log-correlation trace id, then stays alive until it is stopped
 * so the asynchronous deliveries finish.
 */
import tracer from "dd-trace";
import StatsD from "hot-shots";

const url = Deno.env.get("AGENT_URL");
const statsdPort = Number(Deno.env.get("STATSD_PORT"));
if (!url || !Number.isInteger(statsdPort)) {
  console.error("Cannot send telemetry: AGENT_URL and STATSD_PORT are required");
  Deno.exit(2);
}

tracer.init({
  url,
  service: "probe-service",
  env: "test",
  version: "0.0.1",
  flushInterval: 0,
  startupLogs: false,
  runtimeMetrics: false,
  llmobs: { mlApp: "probe-app", agentlessEnabled: false },
});

const statsd = new StatsD({
  host: "127.0.0.1",
  port: statsdPort,
  globalTags: { service: "probe-service" },
  errorHandler: () => {},
});

// The trace id as log correlation writes it (32 hex characters for a 128-bit id).
const correlation: { dd?: { trace_id?: string } } = {};
tracer.trace("probe.operation", { resource: "GET /probe" }, (span) => {
  span?.setTag("probe.tag", "yes");
  if (span) tracer.inject(span.context(), "log", correlation);
});
const traceId = correlation.dd?.trace_id ?? "";

const llmobs = tracer.llmobs;
const exported = llmobs.trace({ kind: "workflow", name: "probe_workflow" }, () => {
  llmobs.annotate({ inputData: "summarize the probe", outputData: "Summary: probe" });
  return llmobs.exportSpan();
});
llmobs.submitEvaluation(exported, { label: "probe_score", metricType: "score", value: 1 });
llmobs.flush();

statsd.increment("probe.count", 3, { bank: "FNB" });
statsd.distribution("probe.latency_ms", 12.5, { bank: "FNB" });
statsd.close(() => {});

tracer.dogstatsd.increment("probe.via_tracer", 1, { path: "http" });
tracer.dogstatsd.flush();

console.log(`sent ${traceId}`);
// Bounded: the test stops this process as soon as it has seen everything.
setTimeout(() => Deno.exit(0), 60_000);
