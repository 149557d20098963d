// How the report writes numbers and text: figures in tables, labels on axes, everything escaped.

/** What a figure shows when it is not a finite number (a missing or broken measurement). */
export const NO_FIGURE = "n/a";

const fixedDigits = (digits: number) => new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const WHOLE = fixedDigits(0);
const ONE_DECIMAL = fixedDigits(1);
const TWO_DECIMALS = fixedDigits(2);

/** Milliseconds: two decimals below 10 ms, one from there on, thousands grouped (1,234.5). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return NO_FIGURE;
  return Math.abs(ms) < 10 ? TWO_DECIMALS.format(ms) : ONE_DECIMAL.format(ms);
}

/** A rate per second or a count: whole, thousands grouped (12,345). */
export function formatWhole(n: number): string {
  if (!Number.isFinite(n)) return NO_FIGURE;
  return WHOLE.format(n);
}

/** A ratio of two measurements, e.g. 0.93. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return NO_FIGURE;
  return r.toFixed(2);
}

/** An axis label: three significant digits at most, thousands as k and millions as M (12k, 1.5M, 0.25). */
export function formatAxisNumber(v: number): string {
  if (!Number.isFinite(v)) return NO_FIGURE;
  const magnitude = Math.abs(v);
  const [unit, suffix] = magnitude >= 1e6 ? [1e6, "M"] : magnitude >= 1e3 ? [1e3, "k"] : [1, ""];
  return `${Number((v / unit).toPrecision(3))}${suffix}`;
}

/** A fraction in [0, 1] as a percentage on an axis (0.25 -> 25%). */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return NO_FIGURE;
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for HTML and SVG, in element content and in quoted attribute values alike. */
export function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
