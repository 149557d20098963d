/** Human-readable renderings of histories and failures, for test output and bug reports. */
import { describeTreatment, describeValue, formatCall, formatOperation, formatTime } from "./format.js";
import type { CheckResult, FailureExplanation, KvOperation, OperationRef, SubHistoryEntry } from "./types.js";

export interface RenderHistoryOptions {
  /** Extra text for the `note` column, by operation index. */
  readonly marks?: ReadonlyMap<number, string>;
  /**
   * Draw each operation's interval on a shared time axis (default: when there are at most 80
   * rows). `[` is the call, `]` the return, `>` runs to the end for an open (indeterminate) one.
   */
  readonly timeline?: boolean;
  /** Width of the timeline in characters (default 40). */
  readonly timelineWidth?: number;
}

type Row = OperationRef & { readonly treatment?: SubHistoryEntry["treatment"]; readonly effectiveReturn?: number };

function asRows(ops: readonly (KvOperation | OperationRef)[]): Row[] {
  return ops.map((o, i) => ("op" in o && typeof o.op === "object" ? (o as Row) : { index: i, op: o as KvOperation }));
}

function openEnded(op: KvOperation): boolean {
  return op.status === "unknown" || op.status === "info";
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/**
 * Renders operations as a table in call order: index, client, call, return, operation,
 * status, a timeline and notes. Accepts plain operations (indexed by position) or the
 * entries of a failure explanation.
 */
export function renderHistory(ops: readonly (KvOperation | OperationRef)[], options: RenderHistoryOptions = {}): string {
  const rows = asRows(ops).sort((a, b) => a.op.call - b.op.call || a.index - b.index);
  if (rows.length === 0) return "(no operations)";
  const showTimeline = options.timeline ?? rows.length <= 80;
  const width = Math.max(10, options.timelineWidth ?? 40);

  let from = Infinity;
  let to = -Infinity;
  for (const { op } of rows) {
    from = Math.min(from, op.call);
    to = Math.max(to, op.call);
    if (!openEnded(op) && Number.isFinite(op.return)) to = Math.max(to, op.return);
  }
  const column = (t: number): number =>
    to === from ? 0 : Math.min(width - 1, Math.max(0, Math.round(((t - from) / (to - from)) * (width - 1))));
  const bar = (op: KvOperation): string => {
    const cells = Array.from({ length: width }, () => " ");
    const start = column(op.call);
    const end = openEnded(op) ? width - 1 : column(op.return);
    for (let c = start; c <= end; c++) cells[c] = "=";
    if (openEnded(op)) cells[width - 1] = ">";
    else cells[end] = "]";
    cells[start] = end === start && !openEnded(op) ? "|" : "[";
    return cells.join("");
  };

  const header = ["#", "client", "call", "return", "operation", "status"];
  const table = rows.map((row) => {
    const { op } = row;
    const notes: string[] = [];
    if (row.treatment !== undefined) {
      const t = describeTreatment(row.treatment, row.effectiveReturn ?? Infinity);
      if (t !== "") notes.push(t);
    }
    const mark = options.marks?.get(row.index);
    if (mark !== undefined) notes.push(mark);
    return {
      cells: [
        String(row.index),
        String(op.clientId),
        formatTime(op.call),
        openEnded(op) ? "∞" : formatTime(op.return),
        formatCall(op),
        op.status,
      ],
      bar: showTimeline ? bar(op) : "",
      note: notes.join("; "),
    };
  });
  const widths = header.map((h) => h.length);
  for (const r of table) r.cells.forEach((cell, c) => (widths[c] = Math.max(widths[c]!, cell.length)));
  const rightAligned = new Set([0, 2, 3]);
  const line = (cells: readonly string[], barText: string, note: string): string => {
    const parts = cells.map((cell, c) => pad(cell, widths[c]!, rightAligned.has(c)));
    if (showTimeline) parts.push(`|${barText}|`);
    if (note !== "") parts.push(note);
    return parts.join("  ").trimEnd();
  };
  const lines = [line(header, showTimeline ? pad(`${formatTime(from)} .. ${formatTime(to)}`, width) : "", "note")];
  for (const r of table) lines.push(line(r.cells, r.bar, r.note));
  return lines.join("\n");
}

export interface RenderFailureOptions {
  /** How many of the prefix's last steps to list (default 10). */
  readonly prefixSteps?: number;
  /** The most rows of the sub-history window to show (default 60). */
  readonly maxRows?: number;
}

/**
 * Renders why a key's sub-history is not linearizable: the summary, the end of a longest
 * linearizable prefix, the operations that could not be placed next, and the part of the
 * sub-history around that point. Accepts a failed `CheckResult` or its explanation.
 */
export function renderFailure(failure: CheckResult | FailureExplanation, options: RenderFailureOptions = {}): string {
  let ex: FailureExplanation;
  if ("summary" in failure) ex = failure;
  else if (failure.ok === false) ex = failure.explanation;
  else if (failure.ok === true) return "linearizable";
  else return `unknown: ${failure.reason}`;

  const tail = Math.max(0, options.prefixSteps ?? 10);
  const maxRows = Math.max(1, options.maxRows ?? 60);
  const out: string[] = [ex.summary, ""];

  const shownFrom = Math.max(0, ex.prefix.length - tail);
  out.push(
    `The longest linearizable prefix found: ${ex.prefix.length} step${ex.prefix.length === 1 ? "" : "s"}` +
      (shownFrom > 0 ? ` (the last ${ex.prefix.length - shownFrom} shown)` : "") +
      (ex.prefix.length === 0 ? " (nothing can be linearized first)" : ":"),
  );
  for (let k = shownFrom; k < ex.prefix.length; k++) {
    const step = ex.prefix[k]!;
    out.push(`  ${k + 1}. ${formatOperation(step.op)}  => ${describeValue(step.stateAfter)}`);
  }
  out.push(`Then the key holds ${describeValue(ex.stateAfterPrefix)}.`);
  out.push(
    `The next step must happen by ${formatTime(ex.deadline.effectiveReturn)}, when ` +
      `${formatOperation(ex.deadline.op)} returns. Operations that could go next:`,
  );
  for (const b of ex.blocked) out.push(`  ! ${formatOperation(b.op)}: ${b.reason}`);

  // The window: from the earliest call among the blocked operations and the last prefix steps
  // shown, to the latest finite return among the blocked operations.
  let from = Infinity;
  let to = ex.deadline.effectiveReturn;
  for (const b of ex.blocked) {
    from = Math.min(from, b.op.call);
    if (Number.isFinite(b.op.return) && b.op.status === "ok") to = Math.max(to, b.op.return);
  }
  for (let k = shownFrom; k < ex.prefix.length; k++) from = Math.min(from, ex.prefix[k]!.op.call);
  const window = ex.subHistory.filter((s) => s.op.call <= to && s.effectiveReturn >= from);
  const marks = new Map<number, string>();
  ex.prefix.forEach((step, k) => marks.set(step.index, `prefix step ${k + 1}`));
  for (const b of ex.blocked) marks.set(b.index, b.index === ex.deadline.index ? "BLOCKED (deadline)" : "BLOCKED");
  if (!marks.has(ex.deadline.index)) marks.set(ex.deadline.index, "deadline");
  const shown = window.length > maxRows ? window.slice(window.length - maxRows) : window;
  out.push("");
  out.push(
    `Operations on key ${JSON.stringify(ex.key)} overlapping [${formatTime(from)}, ${formatTime(to)}]` +
      (shown.length < window.length ? ` (the last ${shown.length} of ${window.length})` : "") +
      ":",
  );
  out.push(renderHistory(shown, { marks }));
  return out.join("\n");
}
