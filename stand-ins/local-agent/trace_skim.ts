/**
 * Checking a trace payload without decoding it. The intake answers as soon as the bytes are
 * known to be a payload `decodeTraces` accepts, and keeps them as they are; they are decoded
 * only when something reads traces. The skim walks the msgpack bytes once, allocates nothing
 * on the way (only an error, when there is one) and counts the traces and spans.
 *
 * It refuses what `decodeTraces` refuses, with the same status, field and message: malformed
 * msgpack (bad type byte, truncated, trailing bytes, a map key that is not a string or number,
 * `__proto__`, lengths past the decoder's limits) is a 400 on `body` wherever it is, otherwise
 * the first span field of the wrong type, in the order `decodeTraces` checks them. Two
 * differences, for payloads no tracer sends: inside `meta` and `metrics`, a bad value is
 * refused even when a later duplicate of its key would have replaced it; and values nested
 * deeper than {@linkcode MAX_DEPTH} are refused.
 */
import { type AgentError, invalid } from "./_errors.ts";
import { MAX_ARRAY_LENGTH, MAX_MAP_LENGTH, type TraceVersion } from "./traces.ts";

/** What a checked payload holds. */
export interface TraceCounts {
  /** Trace chunks (each service sends its own part of a trace). */
  traces: number;
  spans: number;
}

// Decodes the string keys of v0.5 meta and metrics maps; one for the module.
const keyDecoder = new TextDecoder();

// Kinds of msgpack values, as the decoder would give them.
const MISSING = 0;
const NIL = 1;
const BOOL = 2;
const INT = 3; // a JS number holding an integer
const BIGINT = 4; // int64 / uint64, read as BigInt
const FLOAT = 5;
const STR = 6;
const BIN = 7;
const ARRAY = 8;
const MAP = 9;
const EXT = 10; // an ExtData object
const TIMESTAMP = 11; // extension -1, a Date

// v0.4 span fields, in the order `decodeTraces` checks them.
const F_SERVICE = 0;
const F_NAME = 1;
const F_RESOURCE = 2;
const F_TYPE = 3;
const F_TRACE_ID = 4;
const F_SPAN_ID = 5;
const F_PARENT_ID = 6;
const F_ERROR = 7;
const F_START = 8;
const F_DURATION = 9;
const F_META = 10;
const F_METRICS = 11;
const FIELD_COUNT = 12;
const V04_FIELDS = [
  "service",
  "name",
  "resource",
  "type",
  "trace_id",
  "span_id",
  "parent_id",
  "error",
  "start",
  "duration",
  "meta",
  "metrics",
];
const utf8 = new TextEncoder();
const FIELD_BYTES = V04_FIELDS.map((name) => utf8.encode(name));
const PROTO = utf8.encode("__proto__");

// v0.5 span array slots, in the order `decodeTraces` checks them.
const V05_ORDER: readonly [number, string][] = [
  [0, "service"],
  [1, "name"],
  [2, "resource"],
  [3, "trace_id"],
  [4, "span_id"],
  [5, "parent_id"],
  [6, "start"],
  [7, "duration"],
  [8, "error"],
  [11, "type"],
];

/**
 * How deep values may nest inside a span. Tracers nest a few levels; the decoder has no limit
 * and would spend memory on every level of a forged payload, so the skim refuses it first.
 */
export const MAX_DEPTH = 1000;

/** Thrown inside the skim for bytes the msgpack decoder would refuse. */
class Malformed extends Error {}

/**
 * Checks a trace payload of `version` and counts what it holds; throws the 400 that
 * `decodeTraces` would throw for it.
 */
export function skimTraces(bytes: Uint8Array, version: TraceVersion): TraceCounts {
  const skim = new Skim(bytes);
  let counts: TraceCounts;
  try {
    counts = version === "0.4" ? skim.v04() : skim.v05();
    if (skim.pos !== bytes.length) throw new Malformed();
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    throw invalid("body", `Cannot decode v${version} traces: expected msgpack`);
  }
  if (skim.error) throw skim.error;
  return counts;
}

class Skim {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;
  /** The first semantic error, thrown once the whole payload is known to be well formed. */
  error: AgentError | undefined;
  // Set by next(): a container's length, a number's value, a string's place.
  size = 0;
  num = 0;
  strStart = 0;
  strLen = 0;
  // The last value seen for each v0.4 span field (or v0.5 slot).
  readonly kinds = new Int32Array(FIELD_COUNT);
  readonly nums = new Float64Array(FIELD_COUNT);
  /** The JS key of the first bad entry of the last `meta` / `metrics` map, if any. */
  metaBad: string | undefined;
  metricsBad: string | undefined;
  // Explicit stack for skipping nested values of any depth without recursion.
  #stack: number[] = [];

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(field: string, message: string): void {
    this.error ??= invalid(field, message);
  }

  // ---- msgpack -------------------------------------------------------------------------

  #need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new Malformed();
  }

  /** Reads one value's head; skips scalars whole, stops after a container's header. */
  next(): number {
    const bytes = this.bytes;
    if (this.pos >= bytes.length) throw new Malformed();
    const head = bytes[this.pos++];
    if (head < 0x80) {
      this.num = head;
      return INT;
    }
    if (head < 0x90) {
      this.size = head - 0x80;
      return MAP;
    }
    if (head < 0xa0) {
      this.size = head - 0x90;
      return ARRAY;
    }
    if (head < 0xc0) return this.#str(head - 0xa0);
    if (head >= 0xe0) {
      this.num = head - 0x100;
      return INT;
    }
    const view = this.view;
    switch (head) {
      case 0xc0:
        return NIL;
      case 0xc2:
      case 0xc3:
        return BOOL;
      case 0xc4:
        return this.#bin(this.#u8());
      case 0xc5:
        return this.#bin(this.#u16());
      case 0xc6:
        return this.#bin(this.#u32());
      case 0xc7:
        return this.#ext(this.#u8());
      case 0xc8:
        return this.#ext(this.#u16());
      case 0xc9:
        return this.#ext(this.#u32());
      case 0xca:
        this.#need(4);
        this.num = view.getFloat32(this.pos);
        this.pos += 4;
        return FLOAT;
      case 0xcb:
        this.#need(8);
        this.num = view.getFloat64(this.pos);
        this.pos += 8;
        return FLOAT;
      case 0xcc:
        this.num = this.#u8();
        return INT;
      case 0xcd:
        this.num = this.#u16();
        return INT;
      case 0xce:
        this.num = this.#u32();
        return INT;
      case 0xcf:
      case 0xd3:
        this.#need(8);
        this.pos += 8;
        return BIGINT;
      case 0xd0:
        this.#need(1);
        this.num = view.getInt8(this.pos++);
        return INT;
      case 0xd1:
        this.#need(2);
        this.num = view.getInt16(this.pos);
        this.pos += 2;
        return INT;
      case 0xd2:
        this.#need(4);
        this.num = view.getInt32(this.pos);
        this.pos += 4;
        return INT;
      case 0xd4:
        return this.#ext(1);
      case 0xd5:
        return this.#ext(2);
      case 0xd6:
        return this.#ext(4);
      case 0xd7:
        return this.#ext(8);
      case 0xd8:
        return this.#ext(16);
      case 0xd9:
        return this.#str(this.#u8());
      case 0xda:
        return this.#str(this.#u16());
      case 0xdb:
        return this.#str(this.#u32());
      case 0xdc:
        this.size = this.#u16();
        return ARRAY;
      case 0xdd:
        this.size = this.#u32();
        if (this.size > MAX_ARRAY_LENGTH) throw new Malformed();
        return ARRAY;
      case 0xde:
        this.size = this.#u16();
        return MAP;
      case 0xdf:
        this.size = this.#u32();
        if (this.size > MAX_MAP_LENGTH) throw new Malformed();
        return MAP;
      default: // 0xc1, never used
        throw new Malformed();
    }
  }

  #u8(): number {
    this.#need(1);
    return this.bytes[this.pos++];
  }

  #u16(): number {
    this.#need(2);
    const value = (this.bytes[this.pos] << 8) | this.bytes[this.pos + 1];
    this.pos += 2;
    return value;
  }

  #u32(): number {
    this.#need(4);
    const value = this.view.getUint32(this.pos);
    this.pos += 4;
    return value;
  }

  #str(length: number): number {
    this.#need(length);
    this.strStart = this.pos;
    this.strLen = length;
    this.pos += length;
    return STR;
  }

  #bin(length: number): number {
    this.#need(length);
    this.pos += length;
    return BIN;
  }

  #ext(length: number): number {
    this.#need(1 + length);
    const type = this.view.getInt8(this.pos);
    this.pos += 1 + length;
    if (type !== -1) return EXT;
    // The decoder turns extension -1 into a Date and refuses any other size.
    if (length !== 4 && length !== 8 && length !== 12) throw new Malformed();
    return TIMESTAMP;
  }

  /** Checks a value read in map-key position: a string (not `__proto__`) or a number. */
  key(kind: number): void {
    if (kind === STR) {
      if (this.strLen === 9 && this.#strIs(PROTO)) throw new Malformed();
    } else if (kind !== INT && kind !== FLOAT) {
      throw new Malformed();
    }
  }

  #strIs(name: Uint8Array): boolean {
    if (this.strLen !== name.length) return false;
    const bytes = this.bytes;
    const start = this.strStart;
    for (let i = 0; i < name.length; i++) {
      if (bytes[start + i] !== name[i]) return false;
    }
    return true;
  }

  /** The JS property key the decoder makes of the key just read. */
  keyText(kind: number): string {
    return kind === STR
      ? keyDecoder.decode(this.bytes.subarray(this.strStart, this.strStart + this.strLen))
      : String(this.num);
  }

  /** Skips the content of a container whose header `next()` just read. */
  rest(kind: number): void {
    if (kind === ARRAY) this.skip(this.size, false);
    else if (kind === MAP) this.skip(this.size, true);
  }

  /** Skips `count` values, or `count` key/value pairs when `map`, checking them as it goes. */
  skip(count: number, map: boolean): void {
    const stack = this.#stack;
    let depth = 0;
    let left = map ? count * 2 : count;
    let inMap = map;
    while (true) {
      if (left === 0) {
        if (depth === 0) return;
        depth--;
        left = stack[2 * depth];
        inMap = stack[2 * depth + 1] === 1;
        continue;
      }
      const isKey = inMap && (left & 1) === 0;
      left--;
      const kind = this.next();
      if (isKey) {
        this.key(kind);
      } else if ((kind === ARRAY || kind === MAP) && this.size > 0) {
        if (depth + 1 === MAX_DEPTH) throw new Malformed();
        stack[2 * depth] = left;
        stack[2 * depth + 1] = inMap ? 1 : 0;
        depth++;
        inMap = kind === MAP;
        left = inMap ? this.size * 2 : this.size;
      }
    }
  }

  // ---- v0.4: an array of traces, each an array of span maps ------------------------------

  v04(): TraceCounts {
    return this.#traceList("v0.4", (t, s) => this.#spanV04(t, s));
  }

  /**
   * Walks the array of traces (each an array of spans) of either version, reading each
   * span with `span` until the first error, then only counting.
   */
  #traceList(version: string, span: (t: number, s: number) => void): TraceCounts {
    const root = this.next();
    if (root !== ARRAY) {
      this.fail("traces", `Cannot read ${version} traces: expected an array of traces`);
      this.rest(root);
      return { traces: 0, spans: 0 };
    }
    const traces = this.size;
    let spans = 0;
    for (let t = 0; t < traces; t++) {
      const kind = this.next();
      if (kind !== ARRAY) {
        this.fail(`traces[${t}]`, `Cannot read traces[${t}]: expected an array of spans`);
        this.rest(kind);
        continue;
      }
      const count = this.size;
      spans += count;
      if (this.error) {
        this.skip(count, false);
        continue;
      }
      for (let s = 0; s < count; s++) span(t, s);
    }
    return { traces, spans };
  }

  #spanV04(t: number, s: number): void {
    const kind = this.next();
    if (kind !== MAP) {
      if (kind === EXT || kind === TIMESTAMP) {
        // An object with none of the span's keys: the first required one is missing.
        const at = `traces[${t}][${s}]`;
        this.fail(`${at}.trace_id`, `Cannot read ${at}.trace_id: expected a 64-bit integer id`);
      } else {
        const at = `traces[${t}][${s}]`;
        this.fail(at, `Cannot read ${at}: expected a span map`);
        this.rest(kind);
      }
      return;
    }
    const entries = this.size;
    if (this.error) {
      this.skip(entries, true);
      return;
    }
    const kinds = this.kinds;
    const nums = this.nums;
    kinds.fill(MISSING);
    for (let i = 0; i < entries; i++) {
      const keyKind = this.next();
      this.key(keyKind);
      const field = keyKind === STR ? this.#fieldV04() : -1;
      const value = this.next();
      if (field < 0) {
        this.rest(value);
        continue;
      }
      kinds[field] = value;
      nums[field] = this.num;
      if (value === MAP && field === F_META) this.metaBad = this.#mapV04(false);
      else if (value === MAP && field === F_METRICS) this.metricsBad = this.#mapV04(true);
      else this.rest(value);
    }
    this.#checkSpanV04(t, s);
  }

  /** Which checked field the string key just read names, or -1. */
  #fieldV04(): number {
    const first = this.bytes[this.strStart];
    switch (this.strLen) {
      case 4:
        if (first === 0x6e) return this.#strIs(FIELD_BYTES[F_NAME]) ? F_NAME : -1;
        if (first === 0x74) return this.#strIs(FIELD_BYTES[F_TYPE]) ? F_TYPE : -1;
        if (first === 0x6d) return this.#strIs(FIELD_BYTES[F_META]) ? F_META : -1;
        return -1;
      case 5:
        if (first === 0x65) return this.#strIs(FIELD_BYTES[F_ERROR]) ? F_ERROR : -1;
        if (first === 0x73) return this.#strIs(FIELD_BYTES[F_START]) ? F_START : -1;
        return -1;
      case 7:
        if (first === 0x73) {
          if (this.#strIs(FIELD_BYTES[F_SERVICE])) return F_SERVICE;
          return this.#strIs(FIELD_BYTES[F_SPAN_ID]) ? F_SPAN_ID : -1;
        }
        if (first === 0x6d) return this.#strIs(FIELD_BYTES[F_METRICS]) ? F_METRICS : -1;
        return -1;
      case 8:
        if (first === 0x72) return this.#strIs(FIELD_BYTES[F_RESOURCE]) ? F_RESOURCE : -1;
        if (first === 0x74) return this.#strIs(FIELD_BYTES[F_TRACE_ID]) ? F_TRACE_ID : -1;
        if (first === 0x64) return this.#strIs(FIELD_BYTES[F_DURATION]) ? F_DURATION : -1;
        return -1;
      case 9:
        return first === 0x70 && this.#strIs(FIELD_BYTES[F_PARENT_ID]) ? F_PARENT_ID : -1;
      default:
        return -1;
    }
  }

  /**
   * Walks a `meta` (strings) or `metrics` (numbers) map whose header was just read; returns
   * the key of its first bad entry, or undefined.
   */
  #mapV04(numbers: boolean): string | undefined {
    let bad: string | undefined;
    for (let i = this.size; i > 0; i--) {
      const keyKind = this.next();
      this.key(keyKind);
      const keyNum = this.num;
      const keyStart = this.strStart;
      const keyLen = this.strLen;
      const value = this.next();
      const ok = numbers ? value === INT || value === FLOAT || value === BIGINT : value <= STR; // scalars and strings become strings; bytes and objects do not
      if (!ok && bad === undefined) {
        this.num = keyNum;
        this.strStart = keyStart;
        this.strLen = keyLen;
        bad = this.keyText(keyKind);
      }
      this.rest(value);
    }
    return bad;
  }

  #checkSpanV04(t: number, s: number): void {
    const kinds = this.kinds;
    const nums = this.nums;
    for (let field = F_SERVICE; field <= F_TYPE; field++) {
      const kind = kinds[field];
      if (kind !== MISSING && kind !== NIL && kind !== STR) {
        return this.#fieldError(t, s, field, "expected a string");
      }
    }
    for (let field = F_TRACE_ID; field <= F_PARENT_ID; field++) {
      if (!isId(kinds[field], nums[field], field !== F_PARENT_ID)) {
        return this.#fieldError(t, s, field, "expected a 64-bit integer id");
      }
    }
    for (let field = F_ERROR; field <= F_DURATION; field++) {
      if (!isInteger(kinds[field], nums[field])) {
        return this.#fieldError(t, s, field, "expected an integer");
      }
    }
    if (!this.#mapOk(t, s, F_META, this.metaBad, "a string")) return;
    this.#mapOk(t, s, F_METRICS, this.metricsBad, "a number");
  }

  /** Checks a span's `meta` or `metrics` as `decodeTraces` does; false when it failed. */
  #mapOk(t: number, s: number, field: number, bad: string | undefined, expected: string) {
    const kind = this.kinds[field];
    if (kind === MISSING || kind === NIL || kind === TIMESTAMP) return true; // a Date: no keys
    const at = `traces[${t}][${s}].${V04_FIELDS[field]}`;
    if (kind !== MAP && kind !== EXT) {
      this.fail(at, `Cannot read ${at}: expected a map`);
      return false;
    }
    // An ExtData object has the keys `type` (a number) and `data` (bytes).
    const key = kind === EXT ? "data" : bad;
    if (key === undefined) return true;
    this.fail(at, `Cannot read ${at}.${key}: expected ${expected}`);
    return false;
  }

  #fieldError(t: number, s: number, field: number, expected: string): void {
    const at = `traces[${t}][${s}].${V04_FIELDS[field]}`;
    this.fail(at, `Cannot read ${at}: ${expected}`);
  }

  // ---- v0.5: [string table, traces], each span a 12-element array of table indexes -------

  v05(): TraceCounts {
    const root = this.next();
    const rootSize = this.size;
    const table = root === ARRAY && rootSize === 2 ? this.next() : -1;
    if (table !== ARRAY) {
      this.fail("body", "Cannot read v0.5 traces: expected [string table, traces]");
      if (table === -1) this.rest(root);
      else {
        this.rest(table);
        this.skip(1, false);
      }
      return { traces: 0, spans: 0 };
    }
    const strings = this.size;
    for (let i = 0; i < strings; i++) {
      const kind = this.next();
      if (kind !== STR) {
        this.fail(`strings[${i}]`, `Cannot read strings[${i}]: expected a string`);
        this.rest(kind);
      }
    }
    return this.#traceList("v0.5", (t, s) => this.#spanV05(t, s, strings));
  }

  #spanV05(t: number, s: number, strings: number): void {
    const kind = this.next();
    if (kind !== ARRAY || this.size !== 12) {
      const at = `traces[${t}][${s}]`;
      this.fail(at, `Cannot read ${at}: expected a 12-element span array`);
      this.rest(kind);
      return;
    }
    if (this.error) {
      this.skip(12, false);
      return;
    }
    const kinds = this.kinds;
    const nums = this.nums;
    // Indexes of V05_MAP_PROBLEMS: 0 fine, 1 not a map, 2 a key (or meta value) that is not
    // an index, 3 a bad number.
    let meta = 0;
    let metrics = 0;
    for (let slot = 0; slot < 12; slot++) {
      const value = this.next();
      kinds[slot] = value;
      nums[slot] = this.num;
      if (slot === 9 || slot === 10) {
        let problem = 0;
        if (value === MAP) problem = this.#mapV05(slot === 10, strings);
        else if (value === EXT) problem = 2; // ExtData's keys `type` and `data` are no indexes
        else if (value !== TIMESTAMP) { // a Date has no keys: an empty map
          problem = 1;
          this.rest(value);
        }
        if (slot === 9) meta = problem;
        else metrics = problem;
      } else {
        this.rest(value);
      }
    }
    const at = `traces[${t}][${s}]`;
    for (const [name, problem] of [["meta", meta], ["metrics", metrics]] as const) {
      if (problem !== 0) {
        return this.fail(
          `${at}.${name}`,
          `Cannot read ${at}.${name}: ${V05_MAP_PROBLEMS[problem]}`,
        );
      }
    }
    for (const [slot, name] of V05_ORDER) {
      const value = kinds[slot];
      const id = slot >= 3 && slot <= 5;
      const integer = slot >= 6 && slot <= 8;
      const ok = id
        ? isId(value, nums[slot], slot !== 5)
        : integer
        ? isInteger(value, nums[slot])
        : isIndex(value, nums[slot], strings);
      if (!ok) {
        const expected = id
          ? "expected a 64-bit integer id"
          : integer
          ? "expected an integer"
          : "expected an index into the string table";
        return this.fail(`${at}.${name}`, `Cannot read ${at}.${name}: ${expected}`);
      }
    }
  }

  /** Walks a v0.5 `meta` or `metrics` map; returns 0, 2 (bad index) or 3 (bad number). */
  #mapV05(numbers: boolean, strings: number): number {
    let problem = 0;
    for (let i = this.size; i > 0; i--) {
      const keyKind = this.next();
      this.key(keyKind);
      // The decoder's object keys are strings; `Number(key)` must give a table index.
      const index = keyKind === STR ? Number(this.keyText(keyKind)) : this.num;
      if (problem === 0 && !isIndex(INT, index, strings)) problem = 2;
      const value = this.next();
      if (problem === 0) {
        if (numbers) {
          if (value !== INT && value !== FLOAT && value !== BIGINT) problem = 3;
        } else if (!isIndex(value, this.num, strings)) {
          problem = 2;
        }
      }
      this.rest(value);
    }
    return problem;
  }
}

/** What a v0.5 `meta` or `metrics` map's problem code (from `#spanV05`) means. */
const V05_MAP_PROBLEMS = [
  "",
  "expected a map",
  "expected an index into the string table",
  "expected numbers",
];

function isId(kind: number, num: number, required: boolean): boolean {
  if (kind === BIGINT || kind === INT) return true;
  if (kind === FLOAT) return Number.isInteger(num);
  return !required && (kind === MISSING || kind === NIL);
}

function isInteger(kind: number, num: number): boolean {
  if (kind === MISSING || kind === NIL || kind === BIGINT || kind === INT) return true;
  return kind === FLOAT && Number.isFinite(num);
}

function isIndex(kind: number, num: number, strings: number): boolean {
  return (kind === INT || kind === FLOAT) && Number.isInteger(num) && num >= 0 && num < strings;
}
