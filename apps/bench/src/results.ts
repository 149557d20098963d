// The shape of every figure a benchmark run produces: what `--json FILE` writes and what
// `--report DIR` draws. Times are milliseconds unless a name says otherwise.
import { cpus, hostname } from "node:os";
import type { ElectionResult } from "./election.js";
import type { Summary } from "./stats.js";
import type { UiResult } from "./ui.js";

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly hostname: string;
}

export function thisMachine(): Machine {
  return { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, platform: `${process.platform} ${process.arch}`, hostname: hostname() };
}

/** A latency histogram: `count` samples in (previous bucket's upperMs, upperMs]. */
export interface HistogramBucket {
  readonly upperMs: number;
  readonly count: number;
}

export interface HeartbeatResult {
  readonly followers: number;
  /** Bytes of one heartbeat frame on the wire; the raw ping-pong uses frames of this size. */
  readonly frameBytes: number;
  readonly durationMs: number;
  /** Heartbeat round trips per second (all followers together) through the transport and core. */
  readonly raftRoundTripsPerSec: number;
  /** node:net ping-pong round trips per second, same frame size, same number of peers, same run. */
  readonly rawRoundTripsPerSec: number;
  /** raftRoundTripsPerSec / rawRoundTripsPerSec (target at least 0.70). */
  readonly ratio: number;
  /** Each phase's round trips per second, in the order they ran (raft and raw alternate); the figures above are their medians. */
  readonly phases: { readonly raft: readonly number[]; readonly raw: readonly number[] };
  /** Heartbeat round-trip time at the default interval. */
  readonly atDefault: { readonly tickMs: number; readonly heartbeatMs: number; readonly rtt: Summary };
}

export type WriteTarget = "raft-ts" | "etcd";

export interface WriteLevel {
  readonly concurrency: number;
  readonly durationMs: number;
  /** Writes acknowledged as committed. */
  readonly commits: number;
  /** Writes that failed (non-2xx answers, timeouts): not counted in commits. */
  readonly errors: number;
  readonly commitsPerSec: number;
  readonly latency: Summary;
  readonly histogram: readonly HistogramBucket[];
}

export interface WriteTargetResult {
  readonly target: WriteTarget;
  /** The server's version, e.g. etcd's. */
  readonly version: string;
  readonly levels: readonly WriteLevel[];
}

export interface WriteRatio {
  readonly concurrency: number;
  /** raft-ts commits/s over etcd commits/s (target at least 1). */
  readonly throughput: number;
  /** raft-ts p99 over etcd p99 (target at most 1). */
  readonly p99: number;
}

export interface WriteResult {
  readonly nodes: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
  /** Distinct keys the load writes to, chosen at random. */
  readonly keySpace: number;
  readonly heartbeatMs: number;
  readonly electionMs: number;
  readonly targets: readonly WriteTargetResult[];
  /** Present when etcd ran in the same run. */
  readonly ratios: readonly WriteRatio[];
}

export interface BenchRun {
  readonly date: string;
  readonly machine: Machine;
  /** The command line that produced the run. */
  readonly command: string;
  /** The options it ran with. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly election?: readonly ElectionResult[];
  readonly heartbeat?: HeartbeatResult;
  readonly write?: WriteResult;
  readonly ui?: UiResult;
}
