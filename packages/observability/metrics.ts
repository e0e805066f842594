import StatsD from "hot-shots";

/** Metric tags as `key: value`; keep values low-cardinality (never ids). */
export type Tags = Record<string, string | number | boolean>;

/** The DogStatsD operations services use; {@linkcode createMemoryMetrics} is its test twin. */
export interface Metrics {
  increment(name: string, tags?: Tags, value?: number): void;
  gauge(name: string, value: number, tags?: Tags): void;
  histogram(name: string, value: number, tags?: Tags): void;
  distribution(name: string, value: number, tags?: Tags): void;
  /** Sends anything buffered and closes the socket. */
  close(): Promise<void>;
}

/** Options of {@linkcode createDogStatsdMetrics}. */
export interface DogStatsdOptions {
  host: string;
  port: number;
  /** Tags on every metric: the contract requires `service`, `env` and `version`. */
  globalTags: { service: string; env: string; version: string };
  /** Called when a packet cannot be sent; metrics never throw into request handling. */
  onError?: (error: Error) => void;
}

function toList(tags?: Tags): string[] | undefined {
  if (!tags) return undefined;
  return Object.entries(tags).map(([k, v]) => `${k}:${v}`);
}

/** DogStatsD over UDP through hot-shots, buffered so a request costs no syscall. */
export function createDogStatsdMetrics(options: DogStatsdOptions): Metrics {
  const client = new StatsD({
    host: options.host,
    port: options.port,
    globalTags: options.globalTags,
    maxBufferSize: 1400,
    bufferFlushInterval: 250,
    errorHandler: (error: Error) => options.onError?.(error),
  });
  return {
    increment: (name, tags, value = 1) => client.increment(name, value, toList(tags)),
    gauge: (name, value, tags) => client.gauge(name, value, toList(tags)),
    histogram: (name, value, tags) => client.histogram(name, value, toList(tags)),
    distribution: (name, value, tags) => client.distribution(name, value, toList(tags)),
    close: () => new Promise((resolve) => client.close(() => resolve())),
  };
}

/** One metric call recorded by the in-memory twin. */
export interface RecordedMetric {
  type: "count" | "gauge" | "histogram" | "distribution";
  name: string;
  value: number;
  tags: Tags;
}

/** In-memory {@linkcode Metrics} for tests: every call lands in `records`. */
export interface MemoryMetrics extends Metrics {
  records: RecordedMetric[];
  /** Sum of the values of `name` whose tags include `tags`. */
  total(name: string, tags?: Tags): number;
}

/** Creates the in-memory twin of the DogStatsD client. */
export function createMemoryMetrics(globalTags: Tags = {}): MemoryMetrics {
  const records: RecordedMetric[] = [];
  const add = (type: RecordedMetric["type"], name: string, value: number, tags?: Tags) =>
    records.push({ type, name, value, tags: { ...globalTags, ...tags } });
  return {
    records,
    increment: (name, tags, value = 1) => add("count", name, value, tags),
    gauge: (name, value, tags) => add("gauge", name, value, tags),
    histogram: (name, value, tags) => add("histogram", name, value, tags),
    distribution: (name, value, tags) => add("distribution", name, value, tags),
    close: () => Promise.resolve(),
    total: (name, tags = {}) =>
      records
        .filter((r) => r.name === name && Object.entries(tags).every(([k, v]) => r.tags[k] === v))
        .reduce((sum, r) => sum + r.value, 0),
  };
}

/** A {@linkcode Metrics} that drops everything. */
export const noopMetrics: Metrics = {
  increment() {},
  gauge() {},
  histogram() {},
  distribution() {},
  close: () => Promise.resolve(),
};
