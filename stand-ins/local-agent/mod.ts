/**
 * A local stand-in for the Datadog Agent: it accepts what dd-trace, hot-shots and the
 * Browser SDK send to a real Agent (traces, DogStatsD, LLM Observability, logs, RUM) and
 * shows it on a page and a JSON query API, with no Datadog account.
 *
 * ```ts
 * import { startLocalAgent } from "@demo/local-agent";
 * const agent = await startLocalAgent({ httpPort: 0, statsdPort: 0 });
 * // DD_TRACE_AGENT_URL=agent.url, DD_DOGSTATSD_PORT=agent.statsdPort …
 * await agent.close();
 * ```
 *
 * @module
 */
export { type LocalAgent, type LocalAgentOptions, startLocalAgent } from "./agent.ts";
export {
  type AgentAppOptions,
  type BodyLimits,
  createAgentApp,
  DEFAULT_BODY_LIMITS,
} from "./app.ts";
export { type AgentLog, createAgentLog, type LogLevel } from "./_log.ts";
export { ConfigError, loadConfig, type LocalAgentConfig } from "./config.ts";
export { normalizeTraceId } from "./logs.ts";
export { loadPage, type PageAssets } from "./page.ts";
export {
  AgentStore,
  DEFAULT_LIMITS,
  type MetricSeries,
  type StoreLimits,
  type TraceEntry,
} from "./store.ts";
export type { AgentSpan } from "./traces.ts";
