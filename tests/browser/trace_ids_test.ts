import assert from "node:assert/strict";
import { lower64, traceparentTraceId } from "./trace_ids.ts";

Deno.test("lower64() keeps a 64-bit decimal id and cuts a 128-bit one to its lower half", () => {
  assert.equal(lower64("17986269954734466453"), "17986269954734466453");
  assert.equal(lower64((2n ** 64n + 5n).toString()), "5");
});

Deno.test("lower64() reads 16 and 32 hex digits as the same lower 64 bits", () => {
  assert.equal(lower64("f99c113a7e3aa595"), "17986269954734466453");
  assert.equal(lower64("6543210000000000f99c113a7e3aa595"), "17986269954734466453");
});

Deno.test("lower64() refuses what is no trace id", () => {
  assert.throws(() => lower64("not-an-id"), /Cannot read trace id/);
});

Deno.test("traceparentTraceId() takes the trace id of a W3C traceparent in decimal", () => {
  assert.equal(
    traceparentTraceId("00-0000000000000000f99c113a7e3aa595-3ab89a11be50ec1b-01"),
    "17986269954734466453",
  );
  assert.equal(
    traceparentTraceId("00-00000000000000000000000000000012-3ab89a11be50ec1b-01"),
    "18",
  );
  assert.throws(() => traceparentTraceId("00-abc-01"), /Cannot read traceparent/);
});
