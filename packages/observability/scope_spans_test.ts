import assert from "node:assert/strict";
import { activeSpan, withSpan } from "./middleware.ts";
import { captureSpans } from "./testing.ts";
import { tracer } from "./tracer.ts";

// The tracer is global to this module and keeps its own timers: sanitizers off here.
const opts = { sanitizeOps: false, sanitizeResources: false };
const capture = await captureSpans();

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("spans nest across awaits, timers and concurrent children", opts, async () => {
  await withSpan("ctx.root", {}, async () => {
    await tick(1);
    await Promise.all(["a", "b", "c"].map((name) =>
      withSpan(`ctx.child.${name}`, {}, async () => {
        await tick(name === "a" ? 5 : 1);
        await withSpan(`ctx.grandchild.${name}`, {}, () => tick());
      })
    ));
    await withSpan("ctx.after", {}, () => undefined);
  });
  const root = await capture.waitFor((s) => s.name === "ctx.root");
  for (const name of ["a", "b", "c"]) {
    const child = await capture.waitFor((s) => s.name === `ctx.child.${name}`);
    const grandchild = await capture.waitFor((s) => s.name === `ctx.grandchild.${name}`);
    assert.equal(child.parent_id, root.span_id, `ctx.child.${name} under the root`);
    assert.equal(grandchild.parent_id, child.span_id, `ctx.grandchild.${name} under its child`);
  }
  const after = await capture.waitFor((s) => s.name === "ctx.after");
  assert.equal(after.parent_id, root.span_id, "the root is active again after the children");
  assert.equal(activeSpan(), undefined, "nothing is active once the root has finished");
});

Deno.test(
  "activate() restores the previous span when its callback throws, marking the error",
  opts,
  async () => {
    const outer = tracer.startSpan("ctx.outer");
    const inner = tracer.startSpan("ctx.inner", { childOf: outer });
    tracer.scope().activate(outer, () => {
      assert.throws(
        () =>
          tracer.scope().activate(inner, () => {
            throw new Error("inner failed");
          }),
        /inner failed/,
      );
      assert.equal(tracer.scope().active(), outer);
    });
    inner.finish();
    outer.finish();
    const span = await capture.waitFor((s) => s.name === "ctx.inner");
    assert.equal(span.error, 1);
    assert.equal(span.meta["error.message"], "inner failed");
    assert.equal(tracer.scope().active(), null);
  },
);

Deno.test("log correlation reads the span active in the current async context", opts, async () => {
  const seen: Record<string, unknown>[] = [];
  await withSpan("ctx.logged", {}, async (span) => {
    await tick(1);
    const record: Record<string, unknown> = {};
    tracer.inject(tracer.scope().active()!.context(), "log", record);
    seen.push({ record, spanId: span.context().toSpanId() });
  });
  const { record, spanId } = seen[0] as { record: { dd: Record<string, string> }; spanId: string };
  const span = await capture.waitFor((s) => s.name === "ctx.logged");
  assert.equal(record.dd.span_id, spanId);
  assert.equal(record.dd.span_id, span.span_id);
  assert.equal(BigInt(`0x${record.dd.trace_id.slice(-16)}`).toString(), span.trace_id);
});
