// The write section: committed writes per second and their latency at each concurrency, for
// raft-ts and (when it ran) etcd, with the ratios between them.
import type { WriteLevel, WriteResult, WriteTargetResult } from "../results.js";
import { groupedBarChart } from "./bar-chart.js";
import { histogramCdf } from "./cdf.js";
import { TARGET_COLORS } from "./colors.js";
import { escapeText, formatAxisNumber, formatMs, formatPercent, formatWhole, NO_FIGURE } from "./format.js";
import { lineChart, type LineSeries } from "./line-chart.js";
import { htmlTable, ratioWithVerdict, SUMMARY_COLUMNS, summaryCells, type Cell } from "./table.js";
import { describeTarget, WRITE_P99_RATIO_TARGET, WRITE_THROUGHPUT_RATIO_TARGET } from "./targets.js";

/** Every concurrency any target ran at, ascending. */
export function concurrencyLevels(w: WriteResult): number[] {
  return [...new Set(w.targets.flatMap((t) => t.levels.map((l) => l.concurrency)))].sort((a, b) => a - b);
}

const levelAt = (t: WriteTargetResult, concurrency: number): WriteLevel | undefined => t.levels.find((l) => l.concurrency === concurrency);

function throughputChart(w: WriteResult, levels: readonly number[]): string {
  return groupedBarChart({
    title: "Write throughput per concurrency",
    categories: levels.map(String),
    series: w.targets.map((t) => ({ name: t.target, color: TARGET_COLORS[t.target], values: levels.map((c) => levelAt(t, c)?.commitsPerSec) })),
    categoryAxisLabel: "concurrency (writes in flight)",
    valueAxisLabel: "commits per second",
    formatValue: formatAxisNumber,
    formatTick: formatAxisNumber,
  });
}

function latencyChart(w: WriteResult, levels: readonly number[]): string {
  const series: LineSeries[] = w.targets.flatMap((t) =>
    (["p50", "p99"] as const).map((q) => ({
      name: `${t.target} ${q}`,
      color: TARGET_COLORS[t.target],
      dashed: q === "p99",
      dots: true,
      points: t.levels.map((l) => ({ x: l.concurrency, y: l.latency[q] })),
    })),
  );
  return lineChart({
    title: "Write latency p50 and p99 per concurrency (log scales)",
    x: { label: "concurrency (writes in flight)", kind: "log", format: formatAxisNumber, ticks: levels },
    y: { label: "ms, submit to commit acknowledged", kind: "log", format: formatAxisNumber },
    series,
  });
}

/** One small chart per concurrency: each target's latency CDF from its histogram. */
function distributionCharts(w: WriteResult, levels: readonly number[]): string {
  return levels
    .map((c) =>
      lineChart({
        title: `Write latency CDF at concurrency ${c}`,
        width: 400,
        height: 260,
        x: { label: "ms (log scale)", kind: "log", format: formatAxisNumber },
        y: { label: "writes at or below", kind: "linear", format: formatPercent, ticks: [0, 0.25, 0.5, 0.75, 1] },
        series: w.targets.map((t) => ({ name: t.target, color: TARGET_COLORS[t.target], points: histogramCdf(levelAt(t, c)?.histogram ?? []) })),
      }),
    )
    .join("\n");
}

function configTable(w: WriteResult): string {
  return htmlTable(
    [
      { header: "nodes", numeric: true },
      { header: "key bytes", numeric: true },
      { header: "value bytes", numeric: true },
      { header: "key space", numeric: true },
      { header: "heartbeat (ms)", numeric: true },
      { header: "election (ms)", numeric: true },
      { header: "targets (version)" },
    ],
    [
      [
        ...[w.nodes, w.keyBytes, w.valueBytes, w.keySpace].map(formatWhole),
        formatMs(w.heartbeatMs),
        formatMs(w.electionMs),
        w.targets.map((t) => `${t.target} (${t.version})`).join(", ") || "none",
      ],
    ],
  );
}

function levelsTable(w: WriteResult): string {
  const rows = w.targets.flatMap((t) =>
    t.levels.map((l): Cell[] => [
      t.target,
      formatWhole(l.concurrency),
      formatMs(l.durationMs),
      formatWhole(l.commits),
      formatWhole(l.errors),
      formatWhole(l.commitsPerSec),
      ...summaryCells(l.latency),
    ]),
  );
  const numeric = (header: string) => ({ header, numeric: true });
  return htmlTable(
    [{ header: "target" }, ...["concurrency", "duration (ms)", "commits", "errors", "commits/s"].map(numeric), ...SUMMARY_COLUMNS],
    rows,
  );
}

function ratiosTable(w: WriteResult): string {
  if (w.ratios.length === 0) return "<p>No ratios: etcd did not run beside raft-ts.</p>";
  const target = (name: WriteTargetResult["target"]) => w.targets.find((t) => t.target === name);
  const figure = (name: WriteTargetResult["target"], c: number, pick: (l: WriteLevel) => number, format: (v: number) => string) => {
    const t = target(name);
    const level = t === undefined ? undefined : levelAt(t, c);
    return level === undefined ? NO_FIGURE : format(pick(level));
  };
  const rows = w.ratios.map((r): Cell[] => [
    formatWhole(r.concurrency),
    figure("raft-ts", r.concurrency, (l) => l.commitsPerSec, formatWhole),
    figure("etcd", r.concurrency, (l) => l.commitsPerSec, formatWhole),
    ratioWithVerdict(r.throughput, WRITE_THROUGHPUT_RATIO_TARGET),
    figure("raft-ts", r.concurrency, (l) => l.latency.p99, formatMs),
    figure("etcd", r.concurrency, (l) => l.latency.p99, formatMs),
    ratioWithVerdict(r.p99, WRITE_P99_RATIO_TARGET),
  ]);
  return htmlTable(
    [
      { header: "concurrency", numeric: true },
      { header: "raft-ts commits/s", numeric: true },
      { header: "etcd commits/s", numeric: true },
      { header: "throughput raft-ts / etcd" },
      { header: "raft-ts p99 (ms)", numeric: true },
      { header: "etcd p99 (ms)", numeric: true },
      { header: "p99 raft-ts / etcd" },
    ],
    rows,
  );
}

/** Every bucket's count: one row per upper bound, one column per target and concurrency. */
function histogramTable(w: WriteResult): string {
  const columns = w.targets.flatMap((t) => t.levels.map((l) => ({ name: `${t.target} @ ${l.concurrency}`, level: l })));
  const bounds = [...new Set(columns.flatMap((c) => c.level.histogram.map((b) => b.upperMs)))].sort((a, b) => a - b);
  const rows = bounds.map((upper): Cell[] => [
    Number.isFinite(upper) ? `≤ ${formatMs(upper)}` : "above the last bound",
    ...columns.map((c) => {
      const bucket = c.level.histogram.find((b) => b.upperMs === upper);
      return bucket === undefined ? "" : formatWhole(bucket.count);
    }),
  ]);
  return htmlTable([{ header: "latency (ms)" }, ...columns.map((c) => ({ header: c.name, numeric: true }))], rows);
}

export function renderWriteSection(w: WriteResult): string {
  const levels = concurrencyLevels(w);
  const charts =
    levels.length === 0
      ? "<p>No concurrency levels ran.</p>"
      : `<div class="charts">
${throughputChart(w, levels)}
${latencyChart(w, levels)}
</div>
<h3>Latency distribution per concurrency</h3>
<div class="charts">
${distributionCharts(w, levels)}
</div>`;
  return `<section id="write">
<h2>Write</h2>
<p>Writes of random keys committed by a cluster, at each concurrency (writes in flight). Latency: from sending a write
to its commit being acknowledged; errors are not counted as commits. Targets at the same concurrency:
raft-ts / etcd commits per second ${escapeText(describeTarget(WRITE_THROUGHPUT_RATIO_TARGET))},
raft-ts / etcd p99 ${escapeText(describeTarget(WRITE_P99_RATIO_TARGET))}.</p>
<h3>Setup</h3>
${configTable(w)}
${charts}
<h3>Each target and concurrency (latency in ms)</h3>
${levelsTable(w)}
<h3>raft-ts against etcd</h3>
${ratiosTable(w)}
<details><summary>Latency histogram buckets (count of writes per bucket)</summary>
${histogramTable(w)}
</details>
</section>`;
}
