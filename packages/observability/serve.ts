import type { Readiness } from "./app.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { flushTracer } from "./tracer.ts";
import { flushLogs } from "./logger.ts";
import { stopLogShipping } from "./log_shipper.ts";

/** Options of {@linkcode serveService}. */
export interface ServeOptions {
  port: number;
  hostname: string;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  /** How long to wait for in-flight requests before closing anyway. */
  shutdownTimeoutMs: number;
  /** Work to stop before flushing (e.g. a poll loop). */
  onShutdown?: () => Promise<void> | void;
  /** Listen for SIGTERM and SIGINT (true in services, false in tests). */
  handleSignals?: boolean;
}

/** A running service. */
export interface RunningService {
  /** The bound port (useful with port 0). */
  port: number;
  /** Stops accepting, drains, flushes traces and metrics. Safe to call twice. */
  shutdown(): Promise<void>;
  finished: Promise<void>;
}

/**
 * Serves `handler` and wires graceful shutdown: on SIGTERM/SIGINT `/readyz` turns 503,
 * the server stops accepting and waits (bounded) for in-flight requests, then the
 * `onShutdown` hook runs, traces and metrics are flushed and the process exits 0.
 */
export function serveService(
  handler: (request: Request) => Response | Promise<Response>,
  options: ServeOptions,
): RunningService {
  const server = Deno.serve({
    port: options.port,
    hostname: options.hostname,
    onListen: () => {},
  }, handler);
  const port = (server.addr as Deno.NetAddr).port;
  options.readiness.markReady();
  options.log.info("service_started", { port });

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      options.readiness.markDraining();
      options.log.info("service_stopping", { timeout_ms: options.shutdownTimeoutMs });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        server.shutdown().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), options.shutdownTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      try {
        await options.onShutdown?.();
      } catch (error) {
        options.log.error("shutdown_hook_failed", { error });
      }
      await flushTracer();
      await options.metrics.close().catch(() => {});
      options.log.info("service_stopped", { drained });
      flushLogs();
      await stopLogShipping();
    })();
    return stopping;
  };

  if (options.handleSignals ?? true) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      Deno.addSignalListener(signal, () => {
        shutdown().finally(() => Deno.exit(0));
      });
    }
  }
  return { port, shutdown, finished: server.finished };
}
