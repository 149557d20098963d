// The election section: failover latency after SIGKILL of the leader, against the model.
import type { ElectionResult } from "../election.js";
import { empiricalCdf } from "./cdf.js";
import { paletteColor } from "./colors.js";
import { escapeText, formatAxisNumber, formatMs, formatPercent, formatWhole, NO_FIGURE } from "./format.js";
import { lineChart } from "./line-chart.js";
import { htmlTable, ratioWithVerdict, SUMMARY_COLUMNS, summaryCells, type Cell } from "./table.js";
import { describeTarget, ELECTION_P50_RATIO_TARGET } from "./targets.js";

const CDF_TICKS = [0, 0.25, 0.5, 0.75, 1];

/** The most terms any failover trial took, or undefined without trials. */
export function maxVoteRounds(r: ElectionResult): number | undefined {
  return r.failover.length === 0 ? undefined : Math.max(...r.failover.map((f) => f.voteRounds));
}

/** Results grouped by timing setting, in the order the settings first appear. */
function bySetting(results: readonly ElectionResult[]): ElectionResult[][] {
  const groups = new Map<string, ElectionResult[]>();
  for (const r of results) groups.set(r.setting.name, [...(groups.get(r.setting.name) ?? []), r]);
  return [...groups.values()];
}

/** One chart per setting: the CDF of each cluster size's failover trials, with the model's p50 marked. */
function failoverCdfChart(group: readonly ElectionResult[]): string {
  const setting = group[0]?.setting;
  const title = `Failover latency, ${setting?.name ?? NO_FIGURE}: CDF of trials`;
  return lineChart({
    title,
    x: { label: "ms from SIGKILL of the leader to a new leader known by a majority", kind: "linear", format: formatAxisNumber },
    y: { label: "trials at or below", kind: "linear", format: formatPercent, ticks: CDF_TICKS },
    series: group.map((r, i) => ({ name: `${r.nodes} nodes (${r.failover.length} trials)`, color: paletteColor(i), points: empiricalCdf(r.failover.map((f) => f.ms)) })),
    markers: group.map((r, i) => ({ x: r.expected.p50, label: `model p50, ${r.nodes} nodes: ${formatMs(r.expected.p50)} ms`, color: paletteColor(i) })),
  });
}

function settingCell(r: ElectionResult): string {
  const s = r.setting;
  return `${s.name} (tick ${formatWhole(s.tickMs)}, election ${formatWhole(s.electionMs)}, heartbeat ${formatWhole(s.heartbeatMs)} ms)`;
}

function summaryRow(r: ElectionResult): Cell[] {
  const m = r.measured;
  const rounds = maxVoteRounds(r);
  return [
    settingCell(r),
    formatWhole(r.nodes),
    formatWhole(r.failover.length),
    formatWhole(r.discardedTrials),
    formatMs(r.coldStartMs),
    ...summaryCells(m),
    ...[r.expected.p50, r.expected.p90, r.expected.p99].map(formatMs),
    ratioWithVerdict(r.ratioP50, ELECTION_P50_RATIO_TARGET),
    rounds === undefined ? NO_FIGURE : formatWhole(rounds),
  ];
}

const ELECTION_COLUMNS = [
  { header: "setting" },
  { header: "nodes", numeric: true },
  { header: "trials", numeric: true },
  { header: "discarded (leader moved on its own)", numeric: true },
  { header: "cold start", numeric: true },
  ...SUMMARY_COLUMNS,
  { header: "model p50", numeric: true },
  { header: "model p90", numeric: true },
  { header: "model p99", numeric: true },
  { header: "p50 / model p50" },
  { header: "max vote rounds", numeric: true },
];

/** Every trial in the order it ran: milliseconds and the terms the election took. */
function trialsTable(results: readonly ElectionResult[]): string {
  const rows = results.map((r): Cell[] => [
    `${r.setting.name}, ${r.nodes} nodes`,
    r.failover.map((f) => `${formatMs(f.ms)} (${formatWhole(f.voteRounds)})`).join(", ") || "no trials",
  ]);
  return htmlTable([{ header: "configuration" }, { header: "failover ms (vote rounds), in the order run" }], rows);
}

export function renderElectionSection(results: readonly ElectionResult[]): string {
  const charts = bySetting(results).map(failoverCdfChart).join("\n");
  return `<section id="election">
<h2>Election</h2>
<p>Failover: milliseconds from SIGKILL of the leader until a majority of the survivors knows a new leader.
The model samples what the randomized timeouts predict (see <code>expectedFailoverMs</code> in <code>src/election.ts</code>);
target: measured p50 / model p50 ${escapeText(describeTarget(ELECTION_P50_RATIO_TARGET))}. Cold start includes starting the node processes.
Vote rounds: the terms an election took (1 is a clean election, more means split votes).</p>
<div class="charts">
${charts}
</div>
<h3>Failover latency (ms)</h3>
${htmlTable(ELECTION_COLUMNS, results.map(summaryRow))}
<details><summary>Each failover trial</summary>
${trialsTable(results)}
</details>
</section>`;
}
