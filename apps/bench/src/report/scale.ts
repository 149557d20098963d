// Axis domains with ticks at round values, and the maps from data to pixels.

export type ScaleKind = "linear" | "log";

export interface Ticks {
  /** The axis domain: it starts and ends on round values that contain the data. */
  readonly min: number;
  readonly max: number;
  /** Tick positions, ascending, inside [min, max]. */
  readonly values: readonly number[];
}

/** Drops floating-point noise: 0.30000000000000004 -> 0.3. */
const clean = (v: number) => Number(v.toPrecision(12));

/** The smallest step of 1, 2 or 5 times a power of ten that is at least `raw`. */
function roundStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const factor = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return clean(factor * power);
}

/** About `count` evenly spaced ticks at round values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 5): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`linearTicks needs finite bounds, got [${lo}, ${hi}]`);
  let [low, high] = lo <= hi ? [lo, hi] : [hi, lo];
  if (low === high) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
    [low, high] = low === 0 ? [0, 1] : [low - pad, high + pad];
  }
  const step = roundStep((high - low) / Math.max(1, count));
  const min = clean(Math.floor(clean(low / step)) * step);
  const max = clean(Math.ceil(clean(high / step)) * step);
  const values: number[] = [];
  for (let i = 0; i <= Math.round((max - min) / step); i++) values.push(clean(min + i * step));
  return { min, max, values };
}

const LADDER = [1, 2, 5] as const;

/** Every value 1, 2 or 5 times a power of ten in [lo, hi], ascending. */
function ladderValues(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let exponent = Math.floor(Math.log10(lo)) - 1; exponent <= Math.ceil(Math.log10(hi)); exponent++) {
    for (const m of LADDER) {
      const v = clean(m * 10 ** exponent);
      if (v >= clean(lo) && v <= clean(hi)) out.push(v);
    }
  }
  return out;
}

/**
 * Ticks for a log axis over positive [lo, hi]. The domain widens to the nearest 1-2-5 values; the
 * ticks are every 1-2-5 value when the domain spans at most two and a half decades, else the powers of ten.
 */
export function logTicks(lo: number, hi: number): Ticks {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new RangeError(`logTicks needs positive finite bounds, got [${lo}, ${hi}]`);
  }
  let [low, high] = lo <= hi ? [lo, hi] : [hi, lo];
  if (low === high) [low, high] = [low / 2, high * 2];
  const below = ladderValues(low / 10, low);
  const above = ladderValues(high, high * 10);
  const min = below[below.length - 1] ?? low;
  const max = above[0] ?? high;
  const ladder = ladderValues(min, max);
  const decades = Math.log10(max / min);
  const values = decades <= 2.5 ? ladder : ladder.filter((v) => Number.isInteger(clean(Math.log10(v))));
  return { min, max, values };
}

/** Maps a domain value to a pixel position: [d0, d1] onto [r0, r1], linearly or by logarithm. */
export function scaleOf(kind: ScaleKind, [d0, d1]: readonly [number, number], [r0, r1]: readonly [number, number]): (v: number) => number {
  const [from, to] = kind === "log" ? [Math.log(d0), Math.log(d1)] : [d0, d1];
  const span = to - from;
  return (v) => {
    const t = span === 0 ? 0.5 : ((kind === "log" ? Math.log(v) : v) - from) / span;
    return r0 + t * (r1 - r0);
  };
}
