// The heartbeat section: round trips per second through the transport and core, beside raw
// node:net ping-pongs of the same frame size, and the round-trip time at the default interval.
import type { HeartbeatResult } from "../results.js";
import { groupedBarChart } from "./bar-chart.js";
import { BASELINE_COLOR, TARGET_COLORS } from "./colors.js";
import { escapeText, formatAxisNumber, formatMs, formatRatio, formatWhole } from "./format.js";
import { formatRatioAgainst, htmlTable, ratioWithVerdict, SUMMARY_COLUMNS, summaryCells } from "./table.js";
import { describeTarget, HEARTBEAT_RATIO_TARGET, isTargetMet } from "./targets.js";

function roundTripsChart(h: HeartbeatResult): string {
  const verdict = isTargetMet(h.ratio, HEARTBEAT_RATIO_TARGET) ? "met" : "not met";
  return groupedBarChart({
    width: 480,
    title: `Heartbeat round trips/s: ratio ${formatRatioAgainst(h.ratio, HEARTBEAT_RATIO_TARGET)} (target ${describeTarget(HEARTBEAT_RATIO_TARGET)}, ${verdict})`,
    categories: [`${h.followers} followers, ${h.frameBytes}-byte frames`],
    series: [
      { name: "raft-ts (transport + core)", color: TARGET_COLORS["raft-ts"], values: [h.raftRoundTripsPerSec] },
      { name: "raw node:net ping-pong", color: BASELINE_COLOR, values: [h.rawRoundTripsPerSec] },
    ],
    categoryAxisLabel: "all followers together, same run",
    valueAxisLabel: "round trips per second",
    formatValue: formatWhole,
    formatTick: formatAxisNumber,
    referenceLines: [{ value: HEARTBEAT_RATIO_TARGET.bound * h.rawRoundTripsPerSec, label: `target: ${formatRatio(HEARTBEAT_RATIO_TARGET.bound)} x raw` }],
  });
}

export function renderHeartbeatSection(h: HeartbeatResult): string {
  const rtt = h.atDefault.rtt;
  const throughput = htmlTable(
    [
      { header: "followers", numeric: true },
      { header: "frame bytes", numeric: true },
      { header: "duration (ms)", numeric: true },
      { header: "raft-ts round trips/s", numeric: true },
      { header: "raw node:net round trips/s", numeric: true },
      { header: "raft-ts / raw" },
    ],
    [[formatWhole(h.followers), formatWhole(h.frameBytes), formatMs(h.durationMs), formatWhole(h.raftRoundTripsPerSec), formatWhole(h.rawRoundTripsPerSec), ratioWithVerdict(h.ratio, HEARTBEAT_RATIO_TARGET)]],
  );
  const phases = htmlTable(
    [{ header: "phases, in the order they ran (the figures above are their medians)" }, { header: "round trips/s each" }],
    [
      ["raft-ts", h.phases.raft.map(formatWhole).join(", ")],
      ["raw node:net", h.phases.raw.map(formatWhole).join(", ")],
    ],
  );
  const roundTripTime = htmlTable(
    [
      { header: "tick (ms)", numeric: true },
      { header: "heartbeat (ms)", numeric: true },
      { header: "samples", numeric: true },
      ...SUMMARY_COLUMNS,
    ],
    [[formatMs(h.atDefault.tickMs), formatMs(h.atDefault.heartbeatMs), formatWhole(rtt.count), ...summaryCells(rtt)]],
  );
  return `<section id="heartbeat">
<h2>Heartbeat</h2>
<p>Heartbeat round trips per second through the TCP transport and the core, beside a raw <code>node:net</code> ping-pong
with frames of the same size to the same number of peers, in the same run. Target: raft-ts / raw ${escapeText(describeTarget(HEARTBEAT_RATIO_TARGET))}.</p>
<div class="charts">
${roundTripsChart(h)}
</div>
<h3>Round trips per second</h3>
${throughput}
${phases}
<h3>Heartbeat round-trip time at the default interval (ms)</h3>
${roundTripTime}
</section>`;
}
