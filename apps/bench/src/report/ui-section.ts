// The live view section: write throughput and p99 with and without a page's /events streams,
// phase by phase, and what the streams delivered.
import { streamsLine, type UiResult } from "../ui.js";
import { escapeText, formatMs, formatRatio, formatWhole } from "./format.js";
import { htmlTable } from "./table.js";

export function renderUiSection(r: UiResult): string {
  const observed = r.observer === "browser" ? "the live view open in Chromium" : "one stream per node (a page's load)";
  const proof = r.streams !== undefined ? `${streamsLine(r.streams)}.` : `The page showed ${(r.pageNodesUp ?? []).join(", ")} nodes up at the end of each observed phase.`;
  const medians = htmlTable(
    [{ header: "phases" }, { header: "commits/s (median)", numeric: true }, { header: "p99 (median)", numeric: true }],
    [
      ["without /events streams", formatWhole(r.medianWithout.commitsPerSec), formatMs(r.medianWithout.p99Ms)],
      [`with ${observed}`, formatWhole(r.medianWith.commitsPerSec), formatMs(r.medianWith.p99Ms)],
      ["with / without", formatRatio(r.throughputRatio), formatRatio(r.p99Ratio)],
    ],
  );
  const phases = htmlTable(
    [{ header: "phase", numeric: true }, { header: "observer" }, { header: "commits/s", numeric: true }, { header: "p99", numeric: true }],
    r.phases.map((p, i) => [formatWhole(i + 1), p.observed ? (r.observer === "browser" ? "page open" : "open") : "none", formatWhole(p.commitsPerSec), formatMs(p.p99Ms)]),
  );
  return `<section id="ui">
<h2>Live view cost</h2>
<p>${escapeText(`${r.nodes} nodes, concurrency ${r.concurrency}, ${r.phases.length} alternating phases of ${r.durationMs / 1000} s. ${proof}`)}</p>
${medians}
${phases}
</section>`;
}
