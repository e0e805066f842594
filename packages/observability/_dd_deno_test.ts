import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { applyFastPaths, bigIntOf, decimalOf, hexOf } from "./_dd_deno.ts";

const require = createRequire(import.meta.url);

interface Identifier {
  toString(radix?: number): string;
  toBigInt(): bigint;
  toBuffer(): ArrayLike<number>;
}
const createId = require("dd-trace/packages/dd-trace/src/id.js") as (
  value?: string,
  radix?: number,
) => Identifier;
const Identifier = (createId as unknown as { Identifier: { prototype: Identifier } }).Identifier;
// dd-trace's own conversions, kept before the fast paths replace them.
const originalToString = Identifier.prototype.toString;
const originalToBigInt = Identifier.prototype.toBigInt;

/** A fixed-seed generator, so a failure names ids that can be reproduced. */
function bytes(seed: number, length: number): number[] {
  let state = seed;
  return Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state >> 16 & 0xff;
  });
}

const samples: string[] = [
  "0000000000000000",
  "0000000000000001",
  "7fffffffffffffff",
  "ffffffffffffffff",
  "00000000001fffff",
  "0000000000200000",
  "6b071c8f0000000030fb464944fd071a",
  ...Array.from({ length: 200 }, (_, i) => hexOf(bytes(i + 1, i % 2 ? 8 : 16))),
];

Deno.test("hexOf(), decimalOf() and bigIntOf() match Buffer and BigInt for every id shape", () => {
  for (const hex of samples) {
    const buffer = Buffer.from(hex, "hex");
    assert.equal(hexOf(buffer), buffer.toString("hex"));
    assert.equal(decimalOf(buffer), BigInt(`0x${hex.slice(-16)}`).toString());
    assert.equal(bigIntOf(buffer), buffer.readBigUInt64BE(0));
  }
});

Deno.test("applyFastPaths() keeps every id conversion equal to dd-trace's own", () => {
  const paths = applyFastPaths();
  assert.deepEqual(paths, { storage: true, activate: true, ids: true });
  const ids = [
    ...samples.map((hex) => createId(hex, 16)),
    ...["0", "1", "18446744073709551615", "3529492013478905626"].map((n) => createId(n, 10)),
    ...Array.from({ length: 50 }, () => createId()),
  ];
  for (const id of ids) {
    // Twice: the second answer comes from the cache.
    for (let i = 0; i < 2; i++) {
      assert.equal(id.toString(16), originalToString.call(id, 16));
      assert.equal(id.toString(), originalToString.call(id, 16));
      assert.equal(id.toString(10), originalToString.call(id, 10));
      assert.equal(id.toString(2), originalToString.call(id, 2));
      assert.equal(id.toBigInt(), originalToBigInt.call(id));
    }
  }
});

Deno.test("applyFastPaths() makes dd-trace's storages hold stores directly", () => {
  applyFastPaths();
  const { storage } = require("dd-trace/packages/datadog-core/src/storage.js") as {
    storage: (name: string) => AsyncLocalStorage<unknown> & {
      getHandle(): unknown;
      getStore(handle?: unknown): unknown;
    };
  };
  const legacy = storage("legacy");
  const store = { span: "outer" };
  legacy.run(store, () => {
    assert.equal(legacy.getStore(), store);
    assert.equal(legacy.getHandle(), store);
    assert.equal(legacy.getStore(legacy.getHandle()), store);
    legacy.run({ span: "inner" }, () => assert.deepEqual(legacy.getStore(), { span: "inner" }));
    assert.equal(legacy.getStore(), store);
  });
  assert.equal(legacy.enterWith, AsyncLocalStorage.prototype.enterWith);
});
