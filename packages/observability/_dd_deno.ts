/**
 * Fast paths for dd-trace 6 internals that are slow under Deno. Each one is applied only
 * when the internal it replaces has the shape it was written against; otherwise dd-trace
 * keeps its own code, which is correct, only slower. Their behaviour is pinned by
 * `_dd_deno_test.ts` and the span tests of the kit.
 *
 * - Async context. Deno's `AsyncLocalStorage#run` does not go through `enterWith`, so
 *   dd-trace takes its path for Node without AsyncContextFrame: every `enterWith` stores a
 *   handle in a WeakMap, and `scope().activate()` enters twice (in and back out), each time
 *   copying Deno's context frame and adding a WeakMap entry. Deno never puts a store on an
 *   async resource, so stores are held directly (dd-trace's AsyncContextFrame behaviour) and
 *   `activate()` uses `run()`, which restores the previous frame without a second entry.
 * - Trace and span ids. `Identifier#toString(16|10)` and `toBigInt()` build a `Buffer` per
 *   call (a JavaScript polyfill on Deno); a lookup table and `BigInt` give the same strings.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Which fast paths are in place (for tests and diagnostics). */
export interface FastPaths {
  storage: boolean;
  activate: boolean;
  ids: boolean;
}

type Store = Record<string | symbol, unknown> | undefined;

interface DatadogStorage {
  getStore(handle?: unknown): Store;
  getHandle(): unknown;
  enterWith(store: Store): void;
  run<R>(store: Store, fn: (...args: unknown[]) => R, ...args: unknown[]): R;
}

interface ActivatableSpan {
  _store?: unknown;
  setTag?: (key: string, value: unknown) => unknown;
}

type IdBytes = ArrayLike<number>;

interface IdentifierPrototype {
  toBuffer(): IdBytes;
  toString(radix?: number): string;
  toBigInt(): bigint;
}

function load<T>(specifier: string): T | undefined {
  try {
    return require(specifier) as T;
  } catch {
    return undefined;
  }
}

/** Makes dd-trace's storages hold stores directly, as it does with AsyncContextFrame. */
function patchStorage(): DatadogStorage | undefined {
  const core = load<{ storage?: (name: string) => DatadogStorage; isACFActive?: boolean }>(
    "dd-trace/packages/datadog-core/src/storage.js",
  );
  if (!core?.storage) return undefined;
  const legacy = core.storage("legacy");
  const proto = Object.getPrototypeOf(legacy) as Record<string, unknown>;
  if (core.isACFActive) return legacy;
  const own = (name: string) => typeof Object.getOwnPropertyDescriptor(proto, name)?.value;
  if (
    Object.getPrototypeOf(proto) !== AsyncLocalStorage.prototype ||
    own("enterWith") !== "function" || own("run") !== "function" ||
    own("getStore") !== "function" || own("getHandle") !== "function"
  ) {
    return undefined;
  }
  const alsGetStore = AsyncLocalStorage.prototype.getStore;
  // The AsyncContextFrame shape of dd-trace's DatadogStorage: the handle is the store.
  delete proto.enterWith;
  delete proto.run;
  proto.getStore = function getStore(this: AsyncLocalStorage<Store>, handle?: Store) {
    return handle ?? alsGetStore.call(this);
  };
  return legacy;
}

function runActivated(span: ActivatableSpan | null, callback: () => unknown) {
  try {
    return callback();
  } catch (error) {
    if (span && typeof span.setTag === "function") span.setTag("error", error);
    throw error;
  }
}

/** `scope().activate()` through one `run()` instead of two `enterWith()` calls. */
function patchActivate(legacy: DatadogStorage): boolean {
  const Scope = load<{ prototype: Record<string, unknown> }>(
    "dd-trace/packages/dd-trace/src/scope.js",
  );
  if (typeof Scope?.prototype?.activate !== "function") return false;
  Scope.prototype.activate = function activate(
    span: ActivatableSpan | null,
    callback: () => unknown,
  ) {
    if (typeof callback !== "function") return callback;
    const oldStore = legacy.getStore();
    const newStore = span ? legacy.getStore(span._store) : oldStore;
    return legacy.run(
      { ...newStore, span },
      runActivated as (...args: unknown[]) => unknown,
      span,
      callback,
    );
  };
  return true;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lower-case hex of every byte, as `Buffer.from(bytes).toString("hex")`. */
export function hexOf(bytes: IdBytes): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += HEX[bytes[i] & 0xff];
  return text;
}

function uint32At(bytes: IdBytes, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) |
    bytes[offset + 3]) >>> 0;
}

/** The unsigned decimal of the last 8 bytes, as dd-trace's `toString(10)`. */
export function decimalOf(bytes: IdBytes): string {
  const high = uint32At(bytes, bytes.length - 8);
  const low = uint32At(bytes, bytes.length - 4);
  if (high < 0x200000) return String(high * 0x100000000 + low);
  return ((BigInt(high) << 32n) | BigInt(low)).toString();
}

/** The unsigned 64-bit value of the first 8 bytes, as dd-trace's `toBigInt()`. */
export function bigIntOf(bytes: IdBytes): bigint {
  return (BigInt(uint32At(bytes, 0)) << 32n) | BigInt(uint32At(bytes, 4));
}

const HEX_TEXT = Symbol("hex");
const DECIMAL_TEXT = Symbol("decimal");
const BIG_INT = Symbol("bigint");

/** Buffer-free id conversions, cached per id like dd-trace's own. */
function patchIds(): boolean {
  const id = load<{ Identifier?: { prototype: IdentifierPrototype } }>(
    "dd-trace/packages/dd-trace/src/id.js",
  );
  const proto = id?.Identifier?.prototype;
  if (
    !proto || typeof proto.toBuffer !== "function" || typeof proto.toString !== "function" ||
    typeof proto.toBigInt !== "function"
  ) {
    return false;
  }
  const original = proto.toString;
  type Cached = IdentifierPrototype & {
    [HEX_TEXT]?: string;
    [DECIMAL_TEXT]?: string;
    [BIG_INT]?: bigint;
  };
  proto.toString = function toString(this: Cached, radix = 16) {
    if (radix === 16) return this[HEX_TEXT] ??= hexOf(this.toBuffer());
    if (radix === 10) return this[DECIMAL_TEXT] ??= decimalOf(this.toBuffer());
    return original.call(this, radix);
  };
  proto.toBigInt = function toBigInt(this: Cached) {
    return this[BIG_INT] ??= bigIntOf(this.toBuffer());
  };
  return true;
}

let applied: FastPaths | undefined;

/**
 * Applies the fast paths once; call it right after `tracer.init()`, before any span starts.
 * Set `OBSERVABILITY_DENO_FAST_PATHS=false` to run dd-trace's own code instead.
 */
export function applyFastPaths(enabled = true): FastPaths {
  if (applied) return applied;
  if (!enabled) return applied = { storage: false, activate: false, ids: false };
  const legacy = patchStorage();
  applied = {
    storage: legacy !== undefined,
    activate: legacy !== undefined && patchActivate(legacy),
    ids: patchIds(),
  };
  return applied;
}
