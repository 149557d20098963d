// HTML tables and the pieces that go in their cells. Cell text is escaped unless it is
// explicitly markup built here (a verdict badge, a line break).
import type { Summary } from "../stats.js";
import { escapeText, formatMs, formatRatio } from "./format.js";
import { describeTarget, isTargetMet, type Target } from "./targets.js";

/** Markup that is already safe, as opposed to a string of text to escape. */
export interface Markup {
  readonly html: string;
}

export type Cell = string | Markup;

export const markup = (html: string): Markup => ({ html });

const cellHtml = (c: Cell) => (typeof c === "string" ? escapeText(c) : c.html);

export interface Column {
  readonly header: string;
  /** Numbers line up on the right. */
  readonly numeric?: boolean;
}

export function htmlTable(columns: readonly Column[], rows: readonly (readonly Cell[])[], caption?: string): string {
  const head = columns.map((c) => `<th${c.numeric === true ? ' class="num"' : ""}>${escapeText(c.header)}</th>`).join("");
  const body = rows
    .map((row) => `<tr>${row.map((cell, i) => `<td${columns[i]?.numeric === true ? ' class="num"' : ""}>${cellHtml(cell)}</td>`).join("")}</tr>`)
    .join("\n");
  const captionHtml = caption === undefined ? "" : `<caption>${escapeText(caption)}</caption>`;
  return `<table>${captionHtml}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/** "met" or "not met", in words and in colour. */
export function verdictBadge(value: number, target: Target): Markup {
  return isTargetMet(value, target) ? markup('<span class="verdict met">met</span>') : markup('<span class="verdict unmet">not met</span>');
}

/**
 * A ratio beside its bound: two decimals, or as many more as it takes (up to six) to tell it
 * from the bound, so that 1.1512 against "≤ 1.15" reads 1.151 and not a 1.15 marked "not met".
 */
export function formatRatioAgainst(value: number, target: Target): string {
  if (!Number.isFinite(value) || value === target.bound) return formatRatio(value);
  for (let digits = 2; digits < 6; digits++) {
    if (value.toFixed(digits) !== target.bound.toFixed(digits)) return value.toFixed(digits);
  }
  return value.toFixed(6);
}

/** A ratio with its target and verdict, e.g. "1.08 (target ≤ 1.15) met". */
export function ratioWithVerdict(value: number, target: Target): Markup {
  return markup(`${escapeText(formatRatioAgainst(value, target))} <span class="target">(target ${escapeText(describeTarget(target))})</span> ${verdictBadge(value, target).html}`);
}

/** The columns of a latency summary, in the order summaryCells() fills them. */
export const SUMMARY_COLUMNS: readonly Column[] = ["min", "p50", "p90", "p99", "max", "mean"].map((header) => ({ header, numeric: true }));

/** A latency summary's cells, in milliseconds, matching SUMMARY_COLUMNS. */
export function summaryCells(s: Summary): string[] {
  return [s.min, s.p50, s.p90, s.p99, s.max, s.mean].map(formatMs);
}
