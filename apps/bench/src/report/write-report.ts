// `--report DIR`: the run's figures as results.json and its charts as index.html, side by side.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { BenchRun } from "../results.js";
import { renderReport } from "./html.js";

/**
 * Creates `dir` if needed and writes `results.json` and `index.html` into it; returns the
 * absolute path of `index.html`. The figures are written first, so they survive a failure to draw.
 */
export function writeReport(dir: string, run: BenchRun): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, "results.json"), `${JSON.stringify(run, null, 2)}\n`);
  const htmlPath = resolve(dir, "index.html");
  writeFileSync(htmlPath, renderReport(run));
  return htmlPath;
}
