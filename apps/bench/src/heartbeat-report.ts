// What `pnpm bench heartbeat` prints at the end.
import { HEARTBEAT_RATIO_TARGET, isTargetMet } from "./report/targets.js";
import type { HeartbeatResult } from "./results.js";


export function heartbeatTable(r: HeartbeatResult): string[] {
  const { phases } = r;
  const num = (x: number) => Math.round(x).toLocaleString("en-US");
  const row = (label: string, value: string, note: string) => `${label.padEnd(38)}${value.padStart(13)}   ${note}`;
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  const met = isTargetMet(r.ratio, HEARTBEAT_RATIO_TARGET) ? "met" : "NOT met";
  const { rtt } = r.atDefault;
  return [
    `heartbeat round trips, leader -> ${r.followers} followers on 127.0.0.1, one in flight per follower,`,
    `${r.frameBytes}-byte heartbeat frames; median of ${phases.raft.length} phase(s) of ${r.durationMs / 1000} s each, raft and raw alternating`,
    "",
    row("", "round trips/s", "each phase"),
    row("raft (core + transport, hb = 1 tick)", num(r.raftRoundTripsPerSec), phases.raft.map(num).join(", ")),
    row("raw node:net ping-pong", num(r.rawRoundTripsPerSec), phases.raw.map(num).join(", ")),
    row("ratio raft / raw", r.ratio.toFixed(2), `target >= ${HEARTBEAT_RATIO_TARGET.bound.toFixed(2)}: ${met}`),
    "",
    `heartbeat RTT at the default interval (tick ${r.atDefault.tickMs} ms, heartbeat ${r.atDefault.heartbeatMs} ms), ${rtt.count} heartbeats:`,
    `  min ${ms(rtt.min)}  p50 ${ms(rtt.p50)}  p90 ${ms(rtt.p90)}  p99 ${ms(rtt.p99)}  max ${ms(rtt.max)}`,
  ];
}
