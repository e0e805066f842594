/**
 * The single owner of dd-trace in the project. Services import `@demo/observability/init`
 * as their very first import so the tracer is ready before anything else loads.
 */
import tracer from "dd-trace";

/** Default propagation styles of the contract: W3C first, then Datadog headers. */
export const DEFAULT_PROPAGATION_STYLE = "tracecontext,datadog";

let initialised = false;

/**
 * Initialises dd-trace once from the `DD_*` environment. dd-trace reads most variables
 * itself; this only sets the defaults that the project's contract differs on.
 */
export function initTracer(
  env: Record<string, string | undefined> = Deno.env.toObject(),
  overrides: { url?: string; flushInterval?: number } = {},
) {
  if (initialised) return tracer;
  initialised = true;
  const propagation = (env.DD_TRACE_PROPAGATION_STYLE ?? DEFAULT_PROPAGATION_STYLE)
    .split(",").map((s) => s.trim()).filter(Boolean);
  const llmobsEnabled = /^(true|1|yes)$/i.test(env.DD_LLMOBS_ENABLED ?? "false");
  tracer.init({
    service: env.DD_SERVICE || serviceFromEntryPoint(),
    env: env.DD_ENV ?? "dev",
    version: env.DD_VERSION ?? "0.1.0",
    logInjection: !/^(false|0|no)$/i.test(env.DD_LOGS_INJECTION ?? "true"),
    // The native runtime-metrics module crashes under Deno; the JS one is fine but noisy.
    runtimeMetrics: false,
    startupLogs: false,
    // Keep integration names out of service names so the service map shows six services.
    spanRemoveIntegrationFromService: true,
    tracePropagationStyle: { inject: propagation, extract: propagation },
    ...overrides,
    ...(llmobsEnabled
      ? { llmobs: { mlApp: env.DD_LLMOBS_ML_APP ?? "payments-assistant", agentlessEnabled: false } }
      : {}),
  });
  // One tracer owner: `@opentelemetry/api` spans go through dd-trace's bridge.
  new tracer.TracerProvider().register();
  // hot-shots resolves the Agent host per flush; those lookups are not part of any request.
  for (const plugin of ["dns", "net"] as const) tracer.use(plugin, { enabled: false });
  return tracer;
}

/**
 * The service name when `DD_SERVICE` is unset: the folder of the entry point, since every
 * service lives in `services/<service-name>/main.ts`.
 */
export function serviceFromEntryPoint(mainModule: string = Deno.mainModule): string | undefined {
  const parts = new URL(mainModule).pathname.split("/");
  return parts.length >= 2 ? parts[parts.length - 2] || undefined : undefined;
}

/** Sends every buffered span to the Agent; resolves after `timeoutMs` at the latest. */
export function flushTracer(timeoutMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    // dd-trace flushes from its beforeExit handlers, which Deno's exit path does not run
    // after a signal, so they are run here explicitly.
    const state = (globalThis as Record<symbol, { beforeExitHandlers?: Set<() => void> }>)[
      Symbol.for("dd-trace")
    ];
    for (const handler of state?.beforeExitHandlers ?? []) {
      try {
        handler();
      } catch { /* a flush failure must not block shutdown */ }
    }
    // deno-lint-ignore no-explicit-any
    const exporter = (tracer as any)._tracer?._exporter;
    if (exporter?.flush) exporter.flush(done);
    else done();
  });
}

export { tracer };

/**
 * dd-trace's LLM Observability SDK (`llmobs.trace`, `llmobs.annotate`, …). `tracer.init()`
 * replaces `tracer.llmobs` with the real SDK, after this module has loaded, so every access
 * is forwarded to the current one instead of keeping the no-op seen before initialisation.
 */
export const llmobs: typeof tracer.llmobs = new Proxy({} as typeof tracer.llmobs, {
  get(_target, property) {
    const current = tracer.llmobs;
    const value = Reflect.get(current, property, current);
    return typeof value === "function" ? value.bind(current) : value;
  },
});
