/**
 * A repeating job that never overlaps itself: each run is scheduled by a timeout set when
 * the previous one finished (never `setInterval`), and the time a run took is taken off the
 * next wait, so runs start on a steady beat unless one overruns the interval.
 *
 * @module
 */

/** The timers the loop uses; tests pass a fake clock. */
export interface LoopClock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The real clock. */
export const realClock: LoopClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/** Options of {@linkcode startLoop}. */
export interface LoopOptions {
  /** From the start of one run to the start of the next. */
  intervalMs: number;
  /** Before the first run. */
  initialDelayMs: number;
  /** The job; `signal` aborts when the loop stops. A rejection is passed to `onError`. */
  run: (signal: AbortSignal) => Promise<void>;
  onError?: (error: unknown) => void;
  clock?: LoopClock;
}

/** A running loop. */
export interface Loop {
  /** Cancels the next run, aborts the current one and resolves when it has finished. */
  stop(): Promise<void>;
}

/** Starts a loop that runs `options.run` after `initialDelayMs`, then every `intervalMs`. */
export function startLoop(options: LoopOptions): Loop {
  const clock = options.clock ?? realClock;
  const controller = new AbortController();
  let timer: unknown;
  let current: Promise<void> | undefined;
  let stopped = false;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = clock.setTimeout(tick, Math.max(0, delayMs));
  };

  function tick() {
    timer = undefined;
    const started = clock.now();
    current = (async () => {
      try {
        await options.run(controller.signal);
      } catch (error) {
        options.onError?.(error);
      }
    })();
    current.then(() => {
      current = undefined;
      schedule(options.intervalMs - (clock.now() - started));
    });
  }

  schedule(options.initialDelayMs);
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      controller.abort();
      await current;
    },
  };
}
