// What `pnpm bench election` prints at the end.
import type { ElectionResult } from "./election.js";
import { ELECTION_P50_RATIO_TARGET } from "./report/targets.js";

export function electionTable(results: readonly ElectionResult[]): string[] {
  const lines = [
    "election latency (ms): failover = SIGKILL of the leader until a majority knows a new one",
    "setting            nodes  cold start | min     p50     p90     p99     max   | expected p50  ratio  max vote rounds",
  ];
  for (const r of results) {
    const m = r.measured;
    const rounds = Math.max(...r.failover.map((f) => f.voteRounds));
    lines.push(
      `${r.setting.name.padEnd(18)} ${String(r.nodes).padStart(5)}  ${r.coldStartMs.toFixed(0).padStart(10)} | ` +
        `${[m.min, m.p50, m.p90, m.p99, m.max].map((v) => v.toFixed(1).padStart(7)).join(" ")} | ` +
        `${r.expected.p50.toFixed(1).padStart(12)}  ${r.ratioP50.toFixed(2).padStart(5)}  ${String(rounds).padStart(15)}`,
    );
  }
  const discarded = results.reduce((n, r) => n + r.discardedTrials, 0);
  if (discarded > 0) lines.push(`${discarded} trial(s) discarded: leadership moved on its own around the kill (not a failover), so they were run again.`);
  lines.push(`cold start includes starting the node processes. Expected: the model in src/election.ts (target ratio <= ${ELECTION_P50_RATIO_TARGET.bound}).`);
  return lines;
}
