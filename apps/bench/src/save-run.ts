// --json FILE and --report DIR, shared by every command.
import { writeFileSync } from "node:fs";
import { writeReport } from "./report/write-report.js";
import type { BenchRun } from "./results.js";

export interface OutputOptions {
  readonly json?: string;
  readonly report?: string;
}

export function saveRun(run: BenchRun, o: OutputOptions): void {
  if (o.json !== undefined) {
    writeFileSync(o.json, `${JSON.stringify(run, null, 2)}\n`);
    console.log(`figures written to ${o.json}`);
  }
  if (o.report !== undefined) console.log(`report written to ${writeReport(o.report, run)}`);
}
