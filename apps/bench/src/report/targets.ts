// The figures a benchmark run is judged by, and their bounds.
import type { BenchRun } from "../results.js";
import { formatRatio } from "./format.js";

export interface Target {
  readonly bound: number;
  readonly direction: "at most" | "at least";
}

/** Measured failover p50 over the model's p50. */
export const ELECTION_P50_RATIO_TARGET: Target = { direction: "at most", bound: 1.15 };
/** raft-ts heartbeat round trips per second over raw node:net ping-pongs. */
export const HEARTBEAT_RATIO_TARGET: Target = { direction: "at least", bound: 0.7 };
/** raft-ts commits per second over etcd's, at the same concurrency. */
export const WRITE_THROUGHPUT_RATIO_TARGET: Target = { direction: "at least", bound: 1 };
/** raft-ts p99 write latency over etcd's, at the same concurrency. */
export const WRITE_P99_RATIO_TARGET: Target = { direction: "at most", bound: 1 };

/** Whether `value` is within the target; a value that is not a finite number never is. */
export function isTargetMet(value: number, target: Target): boolean {
  if (!Number.isFinite(value)) return false;
  return target.direction === "at most" ? value <= target.bound : value >= target.bound;
}

/** The bound as written beside a figure, e.g. "≤ 1.15". */
export function describeTarget(target: Target): string {
  return `${target.direction === "at most" ? "≤" : "≥"} ${formatRatio(target.bound)}`;
}

export interface TargetCheck {
  /** What is measured, e.g. "election, fast 12-24 ms, 5 nodes: failover p50 / model p50". */
  readonly figure: string;
  readonly value: number;
  readonly target: Target;
}

/** Every target the run has a figure for, in the order of the report's sections. */
export function targetChecks(run: BenchRun): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const r of run.election ?? []) {
    checks.push({ figure: `election, ${r.setting.name}, ${r.nodes} nodes: failover p50 / model p50`, value: r.ratioP50, target: ELECTION_P50_RATIO_TARGET });
  }
  if (run.heartbeat !== undefined) {
    checks.push({ figure: "heartbeat: raft-ts / raw node:net round trips per second", value: run.heartbeat.ratio, target: HEARTBEAT_RATIO_TARGET });
  }
  for (const r of run.write?.ratios ?? []) {
    checks.push({ figure: `write, concurrency ${r.concurrency}: raft-ts / etcd commits per second`, value: r.throughput, target: WRITE_THROUGHPUT_RATIO_TARGET });
    checks.push({ figure: `write, concurrency ${r.concurrency}: raft-ts / etcd p99 latency`, value: r.p99, target: WRITE_P99_RATIO_TARGET });
  }
  return checks;
}
