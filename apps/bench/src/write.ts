// `pnpm bench write`: a closed-loop PUT load at several concurrencies against a 3-node raft-ts
// cluster (and, with --target etcd, against a 3-member etcd cluster in the same run).
import { Pool } from "undici";
import { runClosedLoop } from "./load.js";
import type { WriteLevel, WriteRatio, WriteResult, WriteTarget, WriteTargetResult } from "./results.js";
import { startEtcd } from "./targets/etcd.js";
import { startRaftTs } from "./targets/raft-ts.js";
import type { ClusterTiming, RunningTarget } from "./targets/target.js";

export interface WriteBenchOptions {
  readonly targets: readonly WriteTarget[];
  readonly concurrencies: readonly number[];
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly nodes: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly keySpace: number;
  readonly timing: ClusterTiming;
  readonly seed: number;
}

export const WRITE_DEFAULTS: WriteBenchOptions = {
  targets: ["raft-ts"],
  concurrencies: [1, 16, 64, 256],
  durationMs: 5000,
  warmupMs: 1000,
  nodes: 3,
  keyBytes: 16,
  valueBytes: 128,
  keySpace: 10_000,
  // The node's default election timeout (150-300 ms). etcd refuses a heartbeat above a fifth of
  // the election timeout, so both run with 30 ms heartbeats rather than the node's default 50.
  timing: { heartbeatMs: 30, electionMs: 150 },
  seed: 7,
};

function start(target: WriteTarget, o: WriteBenchOptions): Promise<RunningTarget> {
  switch (target) {
    case "raft-ts":
      return startRaftTs(o.nodes, o.timing);
    case "etcd":
      return startEtcd(o.nodes, o.timing);
  }
}

async function runTarget(target: WriteTarget, o: WriteBenchOptions, onProgress: (line: string) => void): Promise<WriteTargetResult> {
  onProgress(`${target}: starting ${o.nodes} members`);
  const running = await start(target, o);
  try {
    const levels: WriteLevel[] = [];
    for (const concurrency of o.concurrencies) {
      // A fresh pool per level: one keep-alive connection per client, to the leader.
      const pool = new Pool(await running.leaderOrigin(), { connections: concurrency, pipelining: 1 });
      try {
        const level = await runClosedLoop({ ...o, concurrency }, (key, value) => running.put(pool, key, value), (done, elapsedMs) => {
          const phase = elapsedMs < o.warmupMs ? "warming up" : `${done} commits`;
          onProgress(`${target}, concurrency ${concurrency}: ${phase}, ${(elapsedMs / 1000).toFixed(1)}/${((o.warmupMs + o.durationMs) / 1000).toFixed(1)} s`);
        });
        levels.push(level);
        onProgress(`${target}, concurrency ${concurrency}: ${level.commitsPerSec.toFixed(0)} commits/s, p99 ${level.latency.p99.toFixed(2)} ms`);
      } finally {
        await pool.close();
      }
    }
    return { target, version: running.version, levels };
  } finally {
    await running.stop();
  }
}

/** raft-ts against etcd, per concurrency both ran. */
export function writeRatios(targets: readonly WriteTargetResult[]): WriteRatio[] {
  const ours = targets.find((t) => t.target === "raft-ts");
  const etcd = targets.find((t) => t.target === "etcd");
  if (ours === undefined || etcd === undefined) return [];
  return ours.levels.flatMap((l) => {
    const e = etcd.levels.find((x) => x.concurrency === l.concurrency);
    return e === undefined ? [] : [{ concurrency: l.concurrency, throughput: l.commitsPerSec / e.commitsPerSec, p99: l.latency.p99 / e.latency.p99 }];
  });
}

export async function runWriteBench(o: WriteBenchOptions, onProgress: (line: string) => void = () => {}): Promise<WriteResult> {
  const targets: WriteTargetResult[] = [];
  for (const target of o.targets) targets.push(await runTarget(target, o, onProgress));
  return {
    nodes: o.nodes,
    keyBytes: o.keyBytes,
    valueBytes: o.valueBytes,
    keySpace: o.keySpace,
    heartbeatMs: o.timing.heartbeatMs,
    electionMs: o.timing.electionMs,
    targets,
    ratios: writeRatios(targets),
  };
}
