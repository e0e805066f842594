/**
 * The stand-in's own JSON log lines, in the same shape as the services' (`timestamp`,
 * `level`, `message` = event name, `service`, fields). The shared kit's logger is not used
 * because importing the kit loads dd-trace, which the untraced stand-in must not pay for
 * (about 35 MB of resident memory and a slower start).
 */

/** Log levels in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured logger writing one JSON object per line. */
export interface AgentLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of {@linkcode createAgentLog}. */
export interface AgentLogOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. */
  sink?: (line: string) => void;
}

const encoder = new TextEncoder();
function stdoutSink(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}

/** Creates the stand-in's logger (service `local-agent`). */
export function createAgentLog(options: AgentLogOptions = {}): AgentLog {
  const min = SEVERITY[options.level ?? "info"];
  const sink = options.sink ?? stdoutSink;
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (SEVERITY[level] < min) return;
    const record: Record<string, unknown> = {
      timestamp: new Date().toISOString(),
      level,
      message,
      service: "local-agent",
    };
    for (const [key, value] of Object.entries(fields ?? {})) {
      if (value !== undefined) record[key in record ? `${key}_field` : key] = value;
    }
    sink(JSON.stringify(record));
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}

/**
 * Lets one line per `key` through every `intervalMs` and counts what it held back, so a
 * client sending garbage thousands of times a second cannot flood the stand-in's output.
 */
export function createThrottle(intervalMs: number, now: () => number = Date.now) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return function allow(key: string): { ok: boolean; suppressed: number } {
    const t = now();
    const state = last.get(key);
    if (state && t - state.at < intervalMs) {
      state.suppressed++;
      return { ok: false, suppressed: state.suppressed };
    }
    const suppressed = state?.suppressed ?? 0;
    if (last.size > 1000) last.clear();
    last.set(key, { at: t, suppressed: 0 });
    return { ok: true, suppressed };
  };
}
