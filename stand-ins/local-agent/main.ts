/**
 * Runs the local Agent stand-in from the environment: `LOCAL_AGENT_HTTP_PORT` (8126),
 * `LOCAL_AGENT_STATSD_PORT` (8125), `HOST` (0.0.0.0), `LOCAL_AGENT_MAX_*`,
 * `LOCAL_AGENT_SIGINT_WAIT_MS` (12000) and `LOG_LEVEL`.
 * It is deliberately not traced: it is where traces go.
 */
import { createAgentLog } from "./_log.ts";
import { startLocalAgent } from "./agent.ts";
import { ConfigError, loadConfig } from "./config.ts";

const bootLog = createAgentLog();
let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  bootLog.error("config_invalid", { keys: error.keys, error: error.message });
  Deno.exit(1);
}

const log = createAgentLog({ level: config.logLevel });
let agent;
try {
  agent = await startLocalAgent({
    httpPort: config.httpPort,
    statsdPort: config.statsdPort,
    host: config.host,
    limits: config.limits,
    log,
  });
} catch (error) {
  log.error("start_failed", {
    error: { kind: (error as Error).name, message: (error as Error).message },
  });
  Deno.exit(1);
}

const running = agent;
let stopping = false;
// Keep-alive connections from the tracers end when their requests do; a request that never
// ends must not keep the process from stopping.
const STOP_TIMEOUT_MS = 5000;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => Deno.exit(0), STOP_TIMEOUT_MS);
  await running.close();
  Deno.exit(0);
};
// Ctrl-C in a terminal signals every process of `deno task dev` at once, and the services
// send their last spans and log lines as they stop, which can take their whole shutdown
// timeout (SHUTDOWN_TIMEOUT_MS, 10 s by default) when a request is still in flight: SIGINT
// keeps receiving until a little after that (LOCAL_AGENT_SIGINT_WAIT_MS, 12 s). SIGTERM
// (what `deno task dev` sends as soon as the services are gone), or a second Ctrl-C, stops
// at once.
let lingering: ReturnType<typeof setTimeout> | undefined;
Deno.addSignalListener("SIGINT", () => {
  if (lingering !== undefined) return void stop();
  lingering = setTimeout(stop, config.sigintWaitMs);
});
Deno.addSignalListener("SIGTERM", stop);
