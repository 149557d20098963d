import type { TestingBugs } from "../src/index.js";
import { runSimulation, type SimOptions, type SimResult } from "./simulation.js";

/** Named protocol bugs the simulator can be run with, to show that it catches them. */
export const INJECTABLE_BUGS: Record<string, TestingBugs> = {
  "vote-twice": { voteTwicePerTerm: true },
  "commit-old-term": { commitOldTermByCount: true },
  "concurrent-conf-changes": { concurrentConfChanges: true },
};

export interface SeedJob {
  readonly seed: number;
  readonly nodes: number;
}

export type RunSettings = Omit<SimOptions, "seed" | "nodes" | "trace" | "verbose" | "testingBugs"> & {
  readonly bug?: string;
};

export function runJob(job: SeedJob, settings: RunSettings): SimResult {
  const { bug, ...rest } = settings;
  const testingBugs = bug === undefined ? undefined : INJECTABLE_BUGS[bug];
  if (bug !== undefined && testingBugs === undefined) throw new Error(`unknown bug ${bug}`);
  return runSimulation({ ...rest, ...job, ...(testingBugs === undefined ? {} : { testingBugs }) });
}

/** The command that replays one seed, as printed on failure. */
export function replayCommand(job: SeedJob, settings: RunSettings): string {
  const parts = ["pnpm sim", `--seed ${job.seed}`, `--nodes ${job.nodes}`];
  if (settings.chaosMs !== undefined) parts.push(`--chaos-ms ${settings.chaosMs}`);
  if (settings.bug !== undefined) parts.push(`--inject-bug ${settings.bug}`);
  return parts.join(" ");
}
