// `--report DIR`'s page: one self-contained HTML file (inline CSS and SVG, no scripts, nothing
// fetched) with a section for each benchmark the run has.
import type { BenchRun } from "../results.js";
import { renderElectionSection } from "./election-section.js";
import { escapeText } from "./format.js";
import { renderHeartbeatSection } from "./heartbeat-section.js";
import { PAGE_STYLE } from "./page-style.js";
import { htmlTable, ratioWithVerdict, type Cell } from "./table.js";
import { isTargetMet, targetChecks } from "./targets.js";
import { renderUiSection } from "./ui-section.js";
import { renderWriteSection } from "./write-section.js";

/** An option's value as written on the command line's side: JSON, or a dash when unset. */
function optionText(value: unknown): string {
  if (value === undefined) return "-";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function renderHeader(run: BenchRun): string {
  const m = run.machine;
  const facts: [string, string][] = [
    ["date", run.date],
    ["CPU", m.cpu],
    ["cores", String(m.cores)],
    ["Node", m.node],
    ["platform", m.platform],
    ["hostname", m.hostname],
  ];
  const options = Object.entries(run.options).map(([name, value]): Cell[] => [name, optionText(value)]);
  return `<header>
<h1>raft-ts benchmark report</h1>
<dl class="machine">
${facts.map(([k, v]) => `<dt>${escapeText(k)}</dt><dd>${escapeText(v)}</dd>`).join("\n")}
<dt>command</dt><dd><code>${escapeText(run.command)}</code></dd>
</dl>
${options.length === 0 ? "" : `<details><summary>Options (${options.length})</summary>\n${htmlTable([{ header: "option" }, { header: "value" }], options)}\n</details>`}
</header>`;
}

function renderTargetSummary(run: BenchRun): string {
  const checks = targetChecks(run);
  if (checks.length === 0) return `<section id="targets"><h2>Targets</h2><p>This run has no figure with a target.</p></section>`;
  const met = checks.filter((c) => isTargetMet(c.value, c.target)).length;
  const rows = checks.map((c): Cell[] => [c.figure, ratioWithVerdict(c.value, c.target)]);
  return `<section id="targets">
<h2>Targets</h2>
<p class="tally">${met} of ${checks.length} targets met.</p>
${htmlTable([{ header: "figure" }, { header: "value (target) verdict" }], rows)}
</section>`;
}

/** The whole report page for one run; sections appear only for the benchmarks the run has. */
export function renderReport(run: BenchRun): string {
  const sections = [
    renderHeader(run),
    renderTargetSummary(run),
    run.election !== undefined && run.election.length > 0 ? renderElectionSection(run.election) : "",
    run.heartbeat !== undefined ? renderHeartbeatSection(run.heartbeat) : "",
    run.write !== undefined ? renderWriteSection(run.write) : "",
    run.ui !== undefined ? renderUiSection(run.ui) : "",
  ].filter((s) => s !== "");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>raft-ts benchmark report, ${escapeText(run.date)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
${sections.join("\n")}
<footer>Every figure of this run is in <code>results.json</code> beside this page. Times are milliseconds unless a heading says otherwise.</footer>
</main>
</body>
</html>
`;
}
