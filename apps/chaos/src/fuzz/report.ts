import type { CrashReport, TargetStats } from "./types.js";

const pad = (s: string, n: number) => s.padEnd(n);
const num = (n: number, w: number) => n.toLocaleString("en-US").padStart(w);

/** The "rejected, by kind" breakdown of one target: the most frequent kinds, then the rest summed. */
function kinds(m: ReadonlyMap<string, number>, top: number): string {
  const sorted = [...m].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, top).map(([k, n]) => `${k} ${n.toLocaleString("en-US")}`);
  const rest = sorted.slice(top).reduce((s, [, n]) => s + n, 0);
  if (rest > 0) shown.push(`${sorted.length - top} other kinds ${rest.toLocaleString("en-US")}`);
  return shown.join("; ");
}

export interface ReportInput {
  readonly seed: number;
  readonly seconds: number;
  readonly stats: readonly TargetStats[];
  /** Problems found with the real node after its targets ran (empty: it survived intact). */
  readonly nodeProblems: readonly string[] | undefined;
  readonly nodeNotes: readonly string[];
}

/** The run's table, totals, breakdowns and crashes, as lines for the terminal. */
export function renderReport(r: ReportInput): string[] {
  const lines: string[] = [];
  const w = Math.max(8, ...r.stats.map((s) => s.target.length)) + 2;
  lines.push(`${pad("target", w)}${"inputs".padStart(12)}${"accepted".padStart(12)}${"rejected".padStart(12)}${"crashes".padStart(9)}${"inputs/s".padStart(10)}`);
  const total = { tried: 0, accepted: 0, rejected: 0, crashes: 0 };
  for (const s of r.stats) {
    const rate = s.elapsedMs > 0 ? Math.round((s.tried / s.elapsedMs) * 1000) : 0;
    lines.push(`${pad(s.target, w)}${num(s.tried, 12)}${num(s.accepted, 12)}${num(s.rejected, 12)}${num(s.crashes, 9)}${num(rate, 10)}`);
    total.tried += s.tried;
    total.accepted += s.accepted;
    total.rejected += s.rejected;
    total.crashes += s.crashes;
  }
  lines.push(`${pad("total", w)}${num(total.tried, 12)}${num(total.accepted, 12)}${num(total.rejected, 12)}${num(total.crashes, 9)}`);
  lines.push("");
  lines.push(`${total.tried.toLocaleString("en-US")} inputs, ${total.rejected.toLocaleString("en-US")} of them malformed and rejected the documented way, ${total.crashes} crashes.`);
  lines.push("");
  lines.push("rejected, by kind:");
  for (const s of r.stats) if (s.rejectedBy.size > 0) lines.push(`  ${s.target}: ${kinds(s.rejectedBy, 6)}`);
  const acceptedKinds = r.stats.filter((s) => s.acceptedBy.size > 0);
  if (acceptedKinds.length > 0) {
    lines.push("accepted, by kind:");
    for (const s of acceptedKinds) lines.push(`  ${s.target}: ${kinds(s.acceptedBy, 6)}`);
  }
  const notes = [...r.nodeNotes, ...r.stats.flatMap((s) => s.notes.map((n) => `${s.target}: ${n}`))];
  if (notes.length > 0) {
    lines.push("");
    for (const n of notes) lines.push(n);
  }
  if (r.nodeProblems !== undefined) {
    lines.push("");
    lines.push(r.nodeProblems.length === 0 ? "the real node survived: still running and leading, /healthz 200, every value written before the fuzzing read back intact" : "THE REAL NODE DID NOT SURVIVE:");
    for (const p of r.nodeProblems) lines.push(`  ${p}`);
  }
  for (const c of r.stats.flatMap((s) => s.crashReports)) lines.push("", ...renderCrash(c, r.seed));
  return lines;
}

export function renderCrash(c: CrashReport, seed: number): string[] {
  return [
    `CRASH in ${c.target} (${c.kind}), seed ${seed}:`,
    ...c.message.split("\n").map((l) => `  ${l}`),
    `  input: ${c.input}`,
    `  replay: pnpm fuzz --seed ${seed} --target ${c.target}${c.path === undefined ? "" : ` --path ${c.path}`}   (fast-check seed ${c.fcSeed}, path ${c.path ?? "?"})`,
  ];
}
