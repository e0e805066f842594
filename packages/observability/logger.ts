import { setImmediate } from "node:timers";
import { tracer } from "./tracer.ts";

/** Log levels in increasing severity; the level lands in the `level` field Datadog reads. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Fields attached to a log line; never put a secret or a business outcome in `status`. */
export type LogFields = Record<string, unknown>;

/** A structured JSON logger writing one object per line. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too (e.g. the request id). */
  child(fields: LogFields): Logger;
}

/** Where log lines go: stdout in services, an array in tests. */
export type LogSink = (line: string, level: LogLevel) => void;

const encoder = new TextEncoder();

/** Writes all of `text` to stdout now (a pipe may take it in several writes). */
function writeNow(text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

let pending = "";
let scheduled = false;
// Past this many characters the buffer is written at once instead of at the end of the turn.
const MAX_PENDING_CHARS = 64 * 1024;

let copyTo: ((text: string) => void) | undefined;

/**
 * Hands every batch of lines written to stdout to `copy` as well (the local Agent stand-in's
 * log shipper, see log_shipper.ts); `undefined` stops it.
 */
export function copyLogsTo(copy: ((text: string) => void) | undefined): void {
  copyTo = copy;
}

/** Writes every buffered log line to stdout now; idempotent. */
export function flushLogs(): void {
  scheduled = false;
  if (pending === "") return;
  const text = pending;
  pending = "";
  try {
    writeNow(text);
  } catch { /* stdout is gone: nothing left to tell */ }
  copyTo?.(text);
}

let exitHooks = false;
function installExitHooks(): void {
  if (exitHooks) return;
  exitHooks = true;
  // A crash or an exit writes what is buffered first; the listeners change nothing else.
  globalThis.addEventListener("unload", flushLogs);
  globalThis.addEventListener("error", flushLogs);
  globalThis.addEventListener("unhandledrejection", flushLogs);
}

/**
 * Writes lines to stdout at the end of the current event-loop turn (`setImmediate`; a 0 ms
 * timeout would put the process to sleep and wake it once more), one write for all the
 * lines logged in it (one write per line cost a payment request more than its JSON), and
 * at once for `error` lines, when 64 KiB are waiting, before the process exits and
 * when an uncaught error is about to end it.
 */
export const stdoutSink: LogSink = (line, level) => {
  pending += line + "\n";
  if (level === "error" || pending.length >= MAX_PENDING_CHARS) {
    return flushLogs();
  }
  if (!scheduled) {
    scheduled = true;
    installExitHooks();
    setImmediate(flushLogs);
  }
};

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  sink?: LogSink;
  fields?: LogFields;
}

// Datadog reads these as the log's own attributes; a caller's field must not overwrite them.
const RESERVED = new Set(["status", "level", "message", "timestamp", "dd", "service"]);

/**
 * Creates a JSON logger. Each line has `timestamp`, `level`, `message`, `service`, the
 * caller's fields and, inside a span, `dd.trace_id`/`dd.span_id`/`dd.service`/`dd.env`/
 * `dd.version` as dd-trace's log injection writes them. A caller field named like a
 * reserved attribute (e.g. `status`) is renamed with a `_field` suffix instead of
 * silently changing the log's severity.
 */
export function createLogger(options: LoggerOptions): Logger {
  const min = SEVERITY[options.level ?? "info"];
  const sink = options.sink ?? stdoutSink;
  const make = (base: LogFields): Logger => {
    const write = (level: LogLevel, message: string, fields?: LogFields) => {
      if (SEVERITY[level] < min) return;
      const record: LogFields = {
        timestamp: new Date().toISOString(),
        level,
        message,
        service: options.service,
      };
      for (const source of [base, fields]) {
        if (!source) continue;
        for (const [key, value] of Object.entries(source)) {
          if (value === undefined) continue;
          record[RESERVED.has(key) ? `${key}_field` : key] = value instanceof Error
            ? { kind: value.name, message: value.message }
            : value;
        }
      }
      const span = tracer.scope().active();
      if (span) tracer.inject(span.context(), "log", record);
      sink(JSON.stringify(record), level);
    };
    return {
      debug: (m, f) => write("debug", m, f),
      info: (m, f) => write("info", m, f),
      warn: (m, f) => write("warn", m, f),
      error: (m, f) => write("error", m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.fields ?? {});
}
