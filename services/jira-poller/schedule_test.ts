import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { type LoopClock, startLoop } from "./schedule.ts";

function fakeClock() {
  const clock = FakeTimers.createClock(0);
  const loopClock: LoopClock = {
    now: () => clock.now,
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (id) => clock.clearTimeout(id as number),
  };
  /** Resolves after `ms` of fake time (advanced by the test), or as soon as `signal` aborts. */
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const id = clock.setTimeout(() => resolve(), ms);
      signal.addEventListener("abort", () => {
        clock.clearTimeout(id);
        resolve();
      });
    });
  return { clock, loopClock, sleep };
}

Deno.test("startLoop() runs shortly after start, then every interval minus the time a run took", async () => {
  const { clock, loopClock, sleep } = fakeClock();
  const starts: number[] = [];
  const loop = startLoop({
    intervalMs: 1000,
    initialDelayMs: 50,
    clock: loopClock,
    run: async (signal) => {
      starts.push(clock.now);
      await sleep(300, signal);
    },
  });
  await clock.tickAsync(3100);
  await loop.stop();
  // A run that takes 300 ms does not push the next one 300 ms later: the beat stays 1000.
  assert.deepEqual(starts, [50, 1050, 2050, 3050]);
});

Deno.test("startLoop() never overlaps a run that overruns the interval", async () => {
  const { clock, loopClock, sleep } = fakeClock();
  const starts: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const loop = startLoop({
    intervalMs: 100,
    initialDelayMs: 0,
    clock: loopClock,
    run: async (signal) => {
      starts.push(clock.now);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(250, signal);
      running--;
    },
  });
  await clock.tickAsync(1000);
  await loop.stop();
  assert.equal(maxRunning, 1);
  // Each run starts as soon as the previous one ends (timers round 0 ms up to 1 ms), never
  // while it is still going.
  assert.equal(starts.length, 4);
  for (let i = 1; i < starts.length; i++) {
    const gap = starts[i] - starts[i - 1];
    assert.ok(gap >= 250 && gap <= 251, `run ${i} started ${gap} ms after the previous one`);
  }
});

Deno.test("startLoop() keeps going after a run fails and reports the failure", async () => {
  const { clock, loopClock } = fakeClock();
  const errors: unknown[] = [];
  let runs = 0;
  const loop = startLoop({
    intervalMs: 100,
    initialDelayMs: 0,
    clock: loopClock,
    run: () => {
      runs++;
      return Promise.reject(new Error(`run ${runs} failed`));
    },
    onError: (error) => errors.push(error),
  });
  await clock.tickAsync(250);
  await loop.stop();
  assert.equal(runs, 3);
  assert.equal(errors.length, 3);
});

Deno.test("stop() cancels the next run, aborts the current one and waits for it", async () => {
  const { clock, loopClock } = fakeClock();
  let runs = 0;
  let sawAbort = false;
  let finished = false;
  const loop = startLoop({
    intervalMs: 100,
    initialDelayMs: 10,
    clock: loopClock,
    run: (signal) =>
      new Promise<void>((resolve) => {
        runs++;
        signal.addEventListener("abort", () => {
          sawAbort = true;
          // Finishing takes a moment after the abort; stop() must wait for it.
          queueMicrotask(() => {
            finished = true;
            resolve();
          });
        });
      }),
  });
  await clock.tickAsync(10);
  assert.equal(runs, 1);
  await loop.stop();
  assert.equal(sawAbort, true);
  assert.equal(finished, true);
  await clock.tickAsync(1000);
  assert.equal(runs, 1, "no run after stop()");
  assert.equal(clock.countTimers(), 0, "no timer left behind");
});

Deno.test("stop() before the first run means it never runs", async () => {
  const { clock, loopClock } = fakeClock();
  let runs = 0;
  const loop = startLoop({
    intervalMs: 100,
    initialDelayMs: 1000,
    clock: loopClock,
    run: () => Promise.resolve(void runs++),
  });
  await loop.stop();
  await clock.tickAsync(5000);
  assert.equal(runs, 0);
});

Deno.test("startLoop() on the real clock leaves no timer behind once stopped", async () => {
  let runs = 0;
  const loop = startLoop({
    intervalMs: 5,
    initialDelayMs: 0,
    run: () => Promise.resolve(void runs++),
  });
  for (let i = 0; i < 100 && runs < 2; i++) await new Promise((r) => setTimeout(r, 5));
  await loop.stop();
  assert.ok(runs >= 2, "it ran repeatedly");
});
