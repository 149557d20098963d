// What `pnpm bench write` prints at the end.
import { isTargetMet, WRITE_P99_RATIO_TARGET, WRITE_THROUGHPUT_RATIO_TARGET } from "./report/targets.js";
import type { WriteResult } from "./results.js";

export function writeTable(r: WriteResult): string[] {
  const lines = [
    `closed-loop PUTs to the leader of ${r.nodes} members on 127.0.0.1, fsync on: ${r.keyBytes}-byte keys (${r.keySpace} of them), ${r.valueBytes}-byte values,`,
    `heartbeat ${r.heartbeatMs} ms, election timeout ${r.electionMs}-${2 * r.electionMs} ms`,
    "",
    "target     concurrency   commits/s     p50 ms     p99 ms     max ms   errors",
  ];
  for (const t of r.targets) {
    for (const l of t.levels) {
      lines.push(
        `${`${t.target}`.padEnd(10)} ${String(l.concurrency).padStart(11)} ${l.commitsPerSec.toFixed(0).padStart(11)} ` +
          `${[l.latency.p50, l.latency.p99, l.latency.max].map((v) => v.toFixed(2).padStart(10)).join(" ")} ${String(l.errors).padStart(8)}`,
      );
    }
  }
  if (r.ratios.length > 0) {
    const etcd = r.targets.find((t) => t.target === "etcd");
    lines.push("", `raft-ts / etcd ${etcd?.version ?? ""} (targets: throughput >= ${WRITE_THROUGHPUT_RATIO_TARGET.bound}, p99 <= ${WRITE_P99_RATIO_TARGET.bound})`, "concurrency  throughput       p99");
    for (const x of r.ratios) {
      lines.push(
        `${String(x.concurrency).padStart(11)} ${x.throughput.toFixed(2).padStart(11)} ${isTargetMet(x.throughput, WRITE_THROUGHPUT_RATIO_TARGET) ? " " : "!"} ${x.p99.toFixed(2).padStart(7)} ${isTargetMet(x.p99, WRITE_P99_RATIO_TARGET) ? " " : "!"}`,
      );
    }
    lines.push("(! marks a ratio on the wrong side of its target)");
  }
  return lines;
}
