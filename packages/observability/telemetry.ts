import type { BaseConfig } from "./config.ts";
import { createLogger, type Logger, type LogSink } from "./logger.ts";
import { createDogStatsdMetrics, type Metrics } from "./metrics.ts";
import { startLogShipping } from "./log_shipper.ts";

/** An IPv6 address in brackets, as a URL needs it; names and IPv4 addresses as they are. */
function hostPart(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/** A service's logger and metrics client. */
export interface Telemetry {
  log: Logger;
  metrics: Metrics;
}

/**
 * Creates the logger and the DogStatsD client of a service from its base configuration,
 * every metric tagged with `service`, `env` and `version`.
 */
export function createTelemetry(config: BaseConfig, sink?: LogSink): Telemetry {
  const log = createLogger({ service: config.service, level: config.logLevel, sink });
  // An absent Agent must not flood the logs: each of these is said once.
  const warnOnce = (message: string) => {
    let warned = false;
    return (fields: Record<string, unknown>) => {
      if (warned) return;
      warned = true;
      log.warn(message, fields);
    };
  };
  if (config.localAgentLogs) {
    const dropped = warnOnce("local_agent_logs_dropped"); // the line is still on stdout
    startLogShipping({
      intakeUrl: `http://${hostPart(config.agentHost)}:${config.traceAgentPort}/api/v2/logs`,
      service: config.service,
      hostname: hostname(),
      onDropped: (lines) => dropped({ lines }),
    });
  }
  const sendFailed = warnOnce("metrics_send_failed");
  const metrics = createDogStatsdMetrics({
    host: config.agentHost,
    port: config.dogstatsdPort,
    globalTags: { service: config.service, env: config.env, version: config.version },
    onError: (error) => sendFailed({ error }),
  });
  return { log, metrics };
}
