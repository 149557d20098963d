export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of sorted values (p in [0, 100]). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of no values");
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    min: sorted[0]!,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/**
 * Log-spaced histogram buckets (four per doubling, from 1/64 ms) of `values` in ms; only
 * buckets up to the largest value are returned.
 */
export function histogram(values: readonly number[]): { upperMs: number; count: number }[] {
  const perDoubling = 4;
  const lowest = 1 / 64;
  const bucketOf = (v: number) => (v <= lowest ? 0 : Math.ceil(Math.log2(v / lowest) * perDoubling));
  const counts: number[] = [];
  for (const v of values) {
    const b = bucketOf(v);
    while (counts.length <= b) counts.push(0);
    counts[b]!++;
  }
  return counts.map((count, b) => ({ upperMs: lowest * 2 ** (b / perDoubling), count }));
}
