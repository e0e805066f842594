/**
 * The shared observability kit: the only code that imports dd-trace and hot-shots. Every
 * service builds on it for spans, JSON logs, DogStatsD metrics, errors, config, health and
 * shutdown. Import `@demo/observability/init` first in an entry point, then this.
 *
 * @module
 */
export {
  createReadiness,
  createServiceApp,
  type Readiness,
  type ServiceAppOptions,
} from "./app.ts";
export {
  type CallOptions,
  createServiceClient,
  type HttpFetch,
  type ServiceClient,
  type ServiceClientOptions,
  tracedFetch,
  type TracedFetchInit,
  UpstreamError,
  type UpstreamReply,
} from "./client.ts";
export {
  type BaseConfig,
  baseConfigFrom,
  baseEnvSchema,
  ConfigError,
  envBool,
  envInt,
  envRate,
  envString,
  envUrl,
  parseEnv,
} from "./config.ts";
export { BUDGET_HEADER, Deadline } from "./deadline.ts";
export {
  badRequest,
  type ErrorBody,
  errorBody,
  handleError,
  HttpError,
  type HttpErrorOptions,
  notFoundHandler,
} from "./errors.ts";
export {
  createLogger,
  flushLogs,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogSink,
  stdoutSink,
} from "./logger.ts";
export {
  createDogStatsdMetrics,
  createMemoryMetrics,
  type MemoryMetrics,
  type Metrics,
  noopMetrics,
  type RecordedMetric,
  type Tags,
} from "./metrics.ts";
export {
  activeSpan,
  activeTraceId,
  observe,
  type ObservedEnv,
  type ObservedVariables,
  REQUEST_ID_HEADER,
  type Span,
  type SpanOptions,
  withSpan,
} from "./middleware.ts";
export { createRandom, type Random } from "./random.ts";
export { type RunningService, type ServeOptions, serveService } from "./serve.ts";
export { createTelemetry, type Telemetry } from "./telemetry.ts";
export { flushTracer, initTracer, llmobs, tracer, untracedFetch } from "./tracer.ts";
export { MAX_BODY_BYTES, readCapped, readJson, validate, validationError } from "./validation.ts";
export { startService, type StartServiceOptions } from "./start.ts";
