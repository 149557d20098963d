/** What every phase of the heartbeat benchmark is given. */
export interface PhaseOptions {
  readonly followers: number;
  /** Run this long before measuring: connections warm, code compiled. */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Names the phase in progress lines and errors. */
  readonly name: string;
  readonly onProgress: (line: string) => void;
}

/** `count` events in `ms` milliseconds, per second, for a progress line. */
export function perSec(count: number, ms: number): string {
  return Math.round(count / (ms / 1000)).toLocaleString("en-US");
}

/** A measurement that stops moving for this long has stalled (a lost message, a dead peer). */
const STALL_MS = 3000;
const SLICE_MS = 250;

/**
 * Wait `ms`, in slices of a quarter second, so that a stalled measurement fails rather than
 * hangs: throws when `progress()` (a count that grows while things work) has not moved for
 * STALL_MS, or when `check()` throws. `onSlice` gets the time waited so far.
 */
export async function runFor(ms: number, progress: () => number, what: string, check: () => void, onSlice?: (waitedMs: number) => void): Promise<void> {
  const start = performance.now();
  let last = progress();
  let lastMovedAt = start;
  for (;;) {
    const now = performance.now();
    const left = start + ms - now;
    if (left <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(SLICE_MS, left)));
    check();
    const seen = progress();
    const after = performance.now();
    if (seen !== last) {
      last = seen;
      lastMovedAt = after;
    } else if (after - lastMovedAt > STALL_MS) {
      throw new Error(`${what}: no progress for ${STALL_MS} ms`);
    }
    onSlice?.(after - start);
  }
}

/**
 * Warm up for `o.warmupMs`, then count for `o.durationMs`: events per second over the measured
 * window, `count` being a running total of events. A progress line per slice.
 */
export async function measureRate(o: PhaseOptions, count: () => number, check: () => void): Promise<number> {
  await runFor(o.warmupMs, count, `${o.name} (warm-up)`, check);
  const before = count();
  const start = performance.now();
  await runFor(o.durationMs, count, o.name, check, (ms) => o.onProgress(`${o.name}: ${perSec(count() - before, ms)} round trips/s`));
  return (count() - before) / ((performance.now() - start) / 1000);
}
