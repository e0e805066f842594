import { createReadiness, type Readiness } from "./app.ts";
import { type BaseConfig, ConfigError } from "./config.ts";
import { createLogger } from "./logger.ts";
import { type RunningService, serveService } from "./serve.ts";
import { createTelemetry, type Telemetry } from "./telemetry.ts";

/** Options of {@linkcode startService}. */
export interface StartServiceOptions<C extends { base: BaseConfig }> {
  /** The service's name, used until its config names it. */
  name: string;
  /** Parses the environment; throws {@linkcode ConfigError} naming every bad variable. */
  loadConfig: (env: Record<string, string | undefined>) => C;
  /** Builds the app from config and telemetry; returns its fetch handler and a stop hook. */
  build: (
    config: C,
    telemetry: Telemetry & { readiness: Readiness },
  ) =>
    | Promise<
      {
        fetch: (request: Request) => Response | Promise<Response>;
        stop?: () => Promise<void> | void;
      }
    >
    | {
      fetch: (request: Request) => Response | Promise<Response>;
      stop?: () => Promise<void> | void;
    };
}

/**
 * Wires a service process: config (exit 1 naming the bad variables), telemetry, the app,
 * `Deno.serve` and graceful shutdown. A failure at start-up exits; one in a request never does.
 */
export async function startService<C extends { base: BaseConfig }>(
  options: StartServiceOptions<C>,
): Promise<RunningService> {
  let config: C;
  try {
    config = options.loadConfig(Deno.env.toObject());
  } catch (error) {
    const log = createLogger({ service: options.name });
    if (error instanceof ConfigError) {
      log.error("config_invalid", { error: error.message, keys: error.keys });
    } else {
      log.error("startup_failed", { error });
    }
    Deno.exit(1);
  }
  const telemetry = createTelemetry(config.base);
  const readiness = createReadiness();
  const app = await options.build(config, { ...telemetry, readiness });
  return serveService(app.fetch, {
    port: config.base.port,
    hostname: config.base.host,
    log: telemetry.log,
    metrics: telemetry.metrics,
    readiness,
    shutdownTimeoutMs: config.base.shutdownTimeoutMs,
    onShutdown: app.stop,
  });
}
