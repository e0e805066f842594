/**
 * Where the stand-in keeps what it received. Every collection is bounded and drops its
 * oldest entries first, so memory stays flat under any load: traces (grouped by trace id,
 * also bounded in spans), metric series (aggregated per name, type and sorted tag set),
 * log records, browser events, LLM Observability records and DogStatsD events.
 */
import type { BrowserEntry } from "./browser.ts";
import {
  type DogStatsDEvent,
  type DogStatsDVisitor,
  type MetricSample,
  type MetricType,
  parseDogStatsD,
  type ServiceCheck,
} from "./dogstatsd.ts";
import type { LlmObsRecord } from "./llmobs.ts";
import { type LogBatch, type LogRecord, logRecords } from "./logs.ts";
import { RingBuffer } from "./ring.ts";
import type { TraceCounts } from "./trace_skim.ts";
import { type AgentSpan, decodeTraces, type TraceVersion } from "./traces.ts";

/** How much the store holds at most. */
export interface StoreLimits {
  maxTraces: number;
  /** Spans over all held traces; past it the oldest traces go (default 25 × maxTraces). */
  maxSpans: number;
  /** Spans kept per trace; later ones are counted as dropped. */
  maxSpansPerTrace: number;
  maxLogs: number;
  maxMetricSeries: number;
  maxRumEvents: number;
  maxLlmObs: number;
  /** DogStatsD events and service checks together. */
  maxEvents: number;
  /**
   * Trace payload bytes kept undecoded until something reads traces; past it the oldest
   * payloads go (their traces and spans are counted as dropped).
   */
  maxPendingTraceBytes: number;
  /** Log bytes kept unparsed until something reads logs; past it the oldest batches go. */
  maxPendingLogBytes: number;
}

// Spans held on average per trace before whole traces are evicted; the system's traces have
// 3–5 spans, so this only bites when a runaway trace would otherwise eat the memory.
const SPAN_BUDGET_PER_TRACE = 25;

/** The limits `main.ts` starts with unless the environment says otherwise. */
export const DEFAULT_LIMITS: StoreLimits = {
  maxTraces: 2000,
  maxSpans: 2000 * SPAN_BUDGET_PER_TRACE,
  maxSpansPerTrace: 1000,
  maxLogs: 10_000,
  maxMetricSeries: 5000,
  maxRumEvents: 5000,
  maxLlmObs: 2000,
  maxEvents: 1000,
  // About 12,700 spans of dd-trace's v0.4 encoding (660 bytes each): the 2,000 newest traces
  // of this system (3-6 spans) with half again to spare; older payloads could not be kept.
  maxPendingTraceBytes: 8 * 1024 * 1024,
  // About 14,000 of the services' log lines (about 450 bytes): more than maxLogs keeps.
  maxPendingLogBytes: 6 * 1024 * 1024,
};

/** A trace: every span received with its trace id, from any service. */
export interface TraceEntry {
  trace_id: string;
  /** When its first span arrived (ms since the epoch). */
  received_at: number;
  spans: AgentSpan[];
}

/** Traces grouped by id, oldest evicted first, bounded in traces and in spans. */
export class TraceStore {
  #traces = new Map<string, TraceEntry>();
  #spans = 0;
  readonly limits: Pick<StoreLimits, "maxTraces" | "maxSpans" | "maxSpansPerTrace">;

  constructor(limits: Pick<StoreLimits, "maxTraces" | "maxSpans" | "maxSpansPerTrace">) {
    this.limits = limits;
  }

  /** Traces held. */
  get size(): number {
    return this.#traces.size;
  }

  /** Spans held over all traces. */
  get spanCount(): number {
    return this.#spans;
  }

  /**
   * Adds spans; a span whose trace is still held joins it. Returns what had to go to make
   * room: whole traces evicted, and spans refused because their trace was full.
   */
  add(spans: readonly AgentSpan[], now = Date.now()): { traces: number; spans: number } {
    const dropped = { traces: 0, spans: 0 };
    for (const span of spans) {
      let entry = this.#traces.get(span.trace_id);
      if (entry === undefined) {
        if (this.#traces.size >= this.limits.maxTraces) this.#evictOldest(dropped);
        entry = { trace_id: span.trace_id, received_at: now, spans: [] };
        this.#traces.set(span.trace_id, entry);
      }
      if (entry.spans.length >= this.limits.maxSpansPerTrace) {
        dropped.spans++;
        continue;
      }
      entry.spans.push(span);
      this.#spans++;
      while (this.#spans > this.limits.maxSpans && this.#traces.size > 1) {
        this.#evictOldest(dropped);
      }
    }
    return dropped;
  }

  #evictOldest(dropped: { traces: number; spans: number }): void {
    const oldest = this.#traces.keys().next();
    if (oldest.done) return;
    const entry = this.#traces.get(oldest.value)!;
    this.#traces.delete(oldest.value);
    this.#spans -= entry.spans.length;
    dropped.traces++;
    dropped.spans += entry.spans.length;
  }

  /** The trace with `traceId`, if held. */
  get(traceId: string): TraceEntry | undefined {
    return this.#traces.get(traceId);
  }

  /** Held traces, newest first. */
  newestFirst(): TraceEntry[] {
    return Array.from(this.#traces.values()).reverse();
  }

  /** Forgets every trace. */
  clear(): void {
    this.#traces.clear();
    this.#spans = 0;
  }
}

/** One aggregated metric series as the query API shows it. */
export interface MetricSeries {
  name: string;
  type: MetricType;
  /** Tags sorted, `key:value` or bare. */
  tags: string[];
  /** Samples received, scaled by 1/sample-rate like the Agent does (gauges are not scaled). */
  count: number;
  /** Sum of the values (scaled like `count`); for sets, the distinct members seen. */
  sum: number;
  /** The last value; for sets, the distinct members seen. */
  last: number;
}

interface SeriesState extends MetricSeries {
  key: string;
  evicted: boolean;
  members?: Set<string>;
}

// Distinct set members remembered per series; past it a set stops counting new ones.
const MAX_SET_MEMBERS = 1000;
// Clients repeat the same tag string in the same order, so the raw line key finds the series
// without sorting tags; the cache is dropped whole when it grows past this.
const MAX_RAW_KEYS = 20_000;

/**
 * The tags a series is kept under, sorted: without the clients' `dd.internal.*` tags (the
 * origin-detection entity id a pod sends in kind), which the Agent consumes and replaces with
 * the pod's own tags rather than storing; one per pod would split every series by pod.
 */
function agentTags(sent: readonly string[]): string[] {
  return sent.filter((tag) => !tag.startsWith("dd.internal.")).sort();
}

/** Metric series aggregated per name, type and sorted tag set; least recently updated go first. */
export class MetricStore {
  #series = new Map<string, SeriesState>();
  #byRawKey = new Map<string, SeriesState>();
  readonly maxSeries: number;

  constructor(maxSeries: number) {
    this.maxSeries = maxSeries;
  }

  /** Series held. */
  get size(): number {
    return this.#series.size;
  }

  /** Adds a sample to its series; returns how many series were evicted to make room. */
  record(sample: MetricSample): number {
    let evicted = 0;
    const rawKey = `${sample.name}|${sample.type}|${sample.rawTags}`;
    let series = this.#byRawKey.get(rawKey);
    if (series === undefined || series.evicted) {
      const tags = agentTags(sample.tags);
      const key = `${sample.name}|${sample.type}|${tags.join(",")}`;
      series = this.#series.get(key);
      if (series === undefined) {
        if (this.#series.size >= this.maxSeries) evicted = this.#evictOldest();
        series = {
          key,
          evicted: false,
          name: sample.name,
          type: sample.type,
          tags,
          count: 0,
          sum: 0,
          last: 0,
        };
      }
      if (this.#byRawKey.size >= MAX_RAW_KEYS) this.#byRawKey.clear();
      this.#byRawKey.set(rawKey, series);
    }
    // Re-inserting keeps the map ordered by last update, so eviction takes the stalest.
    this.#series.delete(series.key);
    this.#series.set(series.key, series);
    apply(series, sample);
    return evicted;
  }

  #evictOldest(): number {
    const oldest = this.#series.keys().next();
    if (oldest.done) return 0;
    this.#series.get(oldest.value)!.evicted = true;
    this.#series.delete(oldest.value);
    return 1;
  }

  /** Series, most recently updated first, optionally only those named `name`. */
  list(filter: { name?: string; tags?: string[] } = {}): MetricSeries[] {
    const out: MetricSeries[] = [];
    for (const s of Array.from(this.#series.values()).reverse()) {
      if (filter.name !== undefined && s.name !== filter.name) continue;
      if (filter.tags && !filter.tags.every((tag) => s.tags.includes(tag))) continue;
      out.push({
        name: s.name,
        type: s.type,
        tags: s.tags,
        count: s.count,
        sum: s.sum,
        last: s.last,
      });
    }
    return out;
  }

  /** Forgets every series. */
  clear(): void {
    for (const series of this.#series.values()) series.evicted = true;
    this.#series.clear();
    this.#byRawKey.clear();
  }
}

function apply(series: SeriesState, sample: MetricSample): void {
  if (sample.type === "set") {
    series.members ??= new Set();
    for (const member of sample.members) {
      if (series.members.size < MAX_SET_MEMBERS) series.members.add(member);
    }
    series.count += sample.members.length;
    series.sum = series.members.size;
    series.last = series.members.size;
    return;
  }
  const weight = sample.type === "gauge" ? 1 : 1 / sample.sampleRate;
  for (const value of sample.values) {
    series.count += weight;
    series.sum += value * weight;
    series.last = value;
  }
}

/** A DogStatsD event or service check as stored. */
export type StoredEvent =
  | ({ kind: "event"; received_at: number } & DogStatsDEvent)
  | ({ kind: "service_check"; received_at: number } & ServiceCheck);

/** Counts of what arrived and what had to be dropped, for `/local/stats` and the bench. */
export interface Counters {
  traces: {
    payloads: number;
    /** Trace chunks: each service sends its own part of a trace, so one trace is several. */
    received: number;
    spans: number;
    dropped: number;
    spans_dropped: number;
  };
  dogstatsd: {
    packets: number;
    http_payloads: number;
    lines: number;
    invalid_lines: number;
    series_dropped: number;
    events: number;
    service_checks: number;
  };
  logs: { payloads: number; received: number; dropped: number; truncated: number };
  rum: {
    payloads: number;
    received: number;
    dropped: number;
    invalid_lines: number;
    not_kept: number;
  };
  llmobs: { payloads: number; spans: number; evaluations: number; dropped: number };
  telemetry: { received: number };
  stats_payloads: { received: number };
  /** Requests answered with a 4xx, by status. */
  rejected: Record<string, number>;
}

function zeroCounters(): Counters {
  return {
    traces: { payloads: 0, received: 0, spans: 0, dropped: 0, spans_dropped: 0 },
    dogstatsd: {
      packets: 0,
      http_payloads: 0,
      lines: 0,
      invalid_lines: 0,
      series_dropped: 0,
      events: 0,
      service_checks: 0,
    },
    logs: { payloads: 0, received: 0, dropped: 0, truncated: 0 },
    rum: { payloads: 0, received: 0, dropped: 0, invalid_lines: 0, not_kept: 0 },
    llmobs: { payloads: 0, spans: 0, evaluations: 0, dropped: 0 },
    telemetry: { received: 0 },
    stats_payloads: { received: 0 },
    rejected: {},
  };
}

/** A trace payload received and checked, kept as bytes until traces are read. */
interface PendingTraces {
  bytes: Uint8Array;
  version: TraceVersion;
  counts: TraceCounts;
  receivedAt: number;
}

/** A logs batch received and checked, kept unparsed until logs are read. */
interface PendingLogs {
  batch: LogBatch;
  receivedAt: number;
}

/**
 * Everything the stand-in holds, with the counters of what arrived.
 *
 * Traces and logs arrive far more often than they are looked at, so the intakes only check
 * them and queue them as received ({@linkcode AgentStore.queueTraces},
 * {@linkcode AgentStore.queueLogs}); reading `traces` or `logs` first decodes what is queued,
 * oldest first, into the bounded stores, so what a reader sees is what decoding every
 * payload on arrival would have kept. The queues are bounded in bytes: past the bound the
 * oldest payloads go and are counted as dropped.
 */
export class AgentStore {
  readonly limits: StoreLimits;
  readonly metrics: MetricStore;
  readonly browser: RingBuffer<BrowserEntry>;
  readonly llmobs: RingBuffer<LlmObsRecord>;
  readonly events: RingBuffer<StoredEvent>;
  counters: Counters = zeroCounters();
  #visitor: DogStatsDVisitor;
  readonly #traces: TraceStore;
  readonly #logs: RingBuffer<LogRecord>;
  #pendingTraces: PendingTraces[] = [];
  #pendingTraceBytes = 0;
  #pendingLogs: PendingLogs[] = [];
  #pendingLogBytes = 0;
  #pendingLogLines = 0;

  constructor(limits: Partial<StoreLimits> = {}) {
    const given = Object.fromEntries(
      Object.entries(limits).filter(([, value]) => value !== undefined),
    ) as Partial<StoreLimits>;
    const maxTraces = given.maxTraces ?? DEFAULT_LIMITS.maxTraces;
    this.limits = { ...DEFAULT_LIMITS, maxSpans: maxTraces * SPAN_BUDGET_PER_TRACE, ...given };
    this.#traces = new TraceStore(this.limits);
    this.metrics = new MetricStore(this.limits.maxMetricSeries);
    this.#logs = new RingBuffer(this.limits.maxLogs);
    this.browser = new RingBuffer(this.limits.maxRumEvents);
    this.llmobs = new RingBuffer(this.limits.maxLlmObs);
    this.events = new RingBuffer(this.limits.maxEvents);
    // One visitor for every payload: DogStatsD is the hottest path, so nothing is allocated
    // per packet beyond the samples themselves.
    const counters = () => this.counters.dogstatsd;
    this.#visitor = {
      metric: (sample: MetricSample) => {
        counters().lines++;
        counters().series_dropped += this.metrics.record(sample);
      },
      event: (event: DogStatsDEvent) => {
        counters().lines++;
        counters().events++;
        this.events.push({ kind: "event", received_at: Date.now(), ...event });
      },
      serviceCheck: (check: ServiceCheck) => {
        counters().lines++;
        counters().service_checks++;
        this.events.push({ kind: "service_check", received_at: Date.now(), ...check });
      },
      invalid: () => {
        counters().lines++;
        counters().invalid_lines++;
      },
    };
  }

  /** Traces held, with every queued payload decoded first. */
  get traces(): TraceStore {
    this.#settleTraces();
    return this.#traces;
  }

  /** Service log records held, with every queued batch parsed first. */
  get logs(): RingBuffer<LogRecord> {
    this.#settleLogs();
    return this.#logs;
  }

  /** Decodes and parses everything queued (before counters are read, for instance). */
  settle(): void {
    this.#settleTraces();
    this.#settleLogs();
  }

  /** Stores decoded traces. */
  addTraces(traces: readonly AgentSpan[][], now = Date.now()): void {
    this.#settleTraces();
    const c = this.counters.traces;
    c.payloads++;
    c.received += traces.length;
    for (const spans of traces) c.spans += spans.length;
    this.#storeTraces(traces, now);
  }

  /**
   * Queues a trace payload that `skimTraces` checked and counted; it is decoded when traces
   * are read. Counts it as received now; drops the oldest queued payloads past the bound.
   */
  queueTraces(
    bytes: Uint8Array,
    version: TraceVersion,
    counts: TraceCounts,
    now = Date.now(),
  ): void {
    const c = this.counters.traces;
    c.payloads++;
    c.received += counts.traces;
    c.spans += counts.spans;
    const pending = this.#pendingTraces;
    pending.push({ bytes, version, counts, receivedAt: now });
    this.#pendingTraceBytes += bytes.byteLength;
    while (this.#pendingTraceBytes > this.limits.maxPendingTraceBytes && pending.length > 1) {
      const oldest = pending.shift()!;
      this.#pendingTraceBytes -= oldest.bytes.byteLength;
      c.dropped += oldest.counts.traces;
      c.spans_dropped += oldest.counts.spans;
    }
  }

  #settleTraces(): void {
    const pending = this.#pendingTraces;
    if (pending.length === 0) return;
    this.#pendingTraces = [];
    this.#pendingTraceBytes = 0;
    for (const payload of pending) {
      let traces: AgentSpan[][];
      try {
        traces = decodeTraces(payload.bytes, payload.version);
      } catch {
        // The skim accepted it, so this does not happen; if it did, the payload is lost.
        this.counters.traces.dropped += payload.counts.traces;
        this.counters.traces.spans_dropped += payload.counts.spans;
        continue;
      }
      this.#storeTraces(traces, payload.receivedAt);
    }
  }

  #storeTraces(traces: readonly AgentSpan[][], receivedAt: number): void {
    const c = this.counters.traces;
    for (const spans of traces) {
      const dropped = this.#traces.add(spans, receivedAt);
      c.dropped += dropped.traces;
      c.spans_dropped += dropped.spans;
    }
  }

  /** Parses and stores a DogStatsD payload (one UDP packet or one HTTP proxy body). */
  addDogStatsD(payload: string, via: "udp" | "http"): void {
    if (via === "udp") this.counters.dogstatsd.packets++;
    else this.counters.dogstatsd.http_payloads++;
    parseDogStatsD(payload, this.#visitor);
  }

  /** Stores service log records. */
  addLogs(records: readonly LogRecord[]): void {
    this.#settleLogs();
    const c = this.counters.logs;
    c.payloads++;
    c.received += records.length;
    this.#storeLogs(records);
  }

  /**
   * Queues a checked logs batch; its lines are parsed into records when logs are read.
   * Counts its lines as received now. A queued batch goes (its lines counted as dropped)
   * when the batches after it hold enough lines to push all of its records out of the store
   * anyway, or when the queue is past its bound in bytes.
   */
  queueLogs(batch: LogBatch, now = Date.now()): void {
    const c = this.counters.logs;
    c.payloads++;
    c.received += batch.lines;
    const pending = this.#pendingLogs;
    pending.push({ batch, receivedAt: now });
    this.#pendingLogBytes += batch.bytes;
    this.#pendingLogLines += batch.lines;
    while (
      pending.length > 1 &&
      (this.#pendingLogLines - pending[0].batch.lines >= this.limits.maxLogs ||
        this.#pendingLogBytes > this.limits.maxPendingLogBytes)
    ) {
      const oldest = pending.shift()!.batch;
      this.#pendingLogBytes -= oldest.bytes;
      this.#pendingLogLines -= oldest.lines;
      c.dropped += oldest.lines;
    }
  }

  #settleLogs(): void {
    const pending = this.#pendingLogs;
    if (pending.length === 0) return;
    this.#pendingLogs = [];
    this.#pendingLogBytes = 0;
    this.#pendingLogLines = 0;
    for (const { batch, receivedAt } of pending) {
      this.#storeLogs(logRecords(batch, receivedAt));
    }
  }

  #storeLogs(records: readonly LogRecord[]): void {
    const c = this.counters.logs;
    for (const record of records) {
      if (record.truncated) c.truncated++;
      if (this.#logs.push(record)) c.dropped++;
    }
  }

  /** Stores browser entries; `invalidLines` counts lines of the batch that did not parse. */
  addBrowser(entries: readonly BrowserEntry[], invalidLines = 0): void {
    const c = this.counters.rum;
    c.payloads++;
    c.invalid_lines += invalidLines;
    for (const entry of entries) {
      c.received++;
      if (this.browser.push(entry)) c.dropped++;
    }
  }

  /** Stores LLM Observability spans or evaluations. */
  addLlmObs(records: readonly LlmObsRecord[]): void {
    const c = this.counters.llmobs;
    c.payloads++;
    for (const record of records) {
      if (record.kind === "span") c.spans++;
      else c.evaluations++;
      if (this.llmobs.push(record)) c.dropped++;
    }
  }

  /** Counts a request answered with a 4xx. */
  reject(status: number): void {
    const key = String(status);
    this.counters.rejected[key] = (this.counters.rejected[key] ?? 0) + 1;
  }

  /** Forgets everything received and resets the counters. */
  clear(): void {
    this.#pendingTraces = [];
    this.#pendingTraceBytes = 0;
    this.#pendingLogs = [];
    this.#pendingLogBytes = 0;
    this.#pendingLogLines = 0;
    this.#traces.clear();
    this.metrics.clear();
    this.#logs.clear();
    this.browser.clear();
    this.llmobs.clear();
    this.events.clear();
    this.counters = zeroCounters();
  }
}
