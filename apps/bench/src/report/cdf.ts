// Cumulative distributions as chart points: the fraction of samples at or below each latency.
import type { HistogramBucket } from "../results.js";
import type { LinePoint } from "./line-chart.js";

/**
 * The empirical CDF of `values` as the corners of its staircase: it rises by 1/n at every
 * sample, from 0 just before the smallest to 1 at the largest. Non-finite values are left out.
 */
export function empiricalCdf(values: readonly number[]): LinePoint[] {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  const corners: LinePoint[] = [];
  sorted.forEach((v, i) => {
    corners.push({ x: v, y: i / n }, { x: v, y: (i + 1) / n });
  });
  return corners;
}

/**
 * The CDF a histogram allows: the cumulative fraction at each bucket's upper bound, joined by
 * straight lines (the samples' places inside a bucket are unknown). It starts at 0 on the upper
 * bound of the bucket before the first non-empty one, and stops where it reaches 1, or before a
 * bucket without a finite upper bound (an overflow bucket cannot be placed on an axis).
 */
export function histogramCdf(buckets: readonly HistogramBucket[]): LinePoint[] {
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  if (!(total > 0)) return [];
  const points: LinePoint[] = [];
  let seen = 0;
  let previousUpper: number | undefined;
  for (const bucket of buckets) {
    if (!Number.isFinite(bucket.upperMs)) break;
    if (seen === 0 && bucket.count > 0 && previousUpper !== undefined) points.push({ x: previousUpper, y: 0 });
    seen += bucket.count;
    if (seen > 0) points.push({ x: bucket.upperMs, y: seen / total });
    if (seen >= total) break;
    previousUpper = bucket.upperMs;
  }
  return points;
}
