// `pnpm bench heartbeat`: heartbeat round trips per second from a leader to its followers
// through the real core and transport (followers in processes of their own, all on
// 127.0.0.1), beside a raw node:net ping-pong of the same frames in the same run; then the
// heartbeat round-trip time at the default interval.
//
// Phases: raft, raw, raft, raw, ... (`rounds` of each, fresh processes for each), then the
// default interval. The raw phases use the exact frames the first raft phase put on the wire,
// so raft comes first. Alternating exposes both sides alike to whatever else the machine is
// doing, and each side reports the median of its phases, so one disturbed (or one unusually
// quiet) phase moves neither figure.
import { defaultIntervalRtt, saturatedRoundTrips } from "./heartbeat-raft.js";
import { rawRoundTrips } from "./heartbeat-raw.js";
import type { PhaseOptions } from "./measure-window.js";
import { withPeerCleanup } from "./peer-processes.js";
import { encodeMessageFrame } from "@raft-ts/transport-tcp";
import type { HeartbeatResult } from "./results.js";
import { summarize } from "./stats.js";

export interface HeartbeatOptions {
  /** Followers of the leader: 2 makes a 3-node cluster. */
  readonly followers?: number;
  /** Measured time of each raft and each raw phase. */
  readonly durationMs?: number;
  /** Measured time of the default-interval phase. */
  readonly defaultDurationMs?: number;
  /** Raft phases and raw phases, each (alternating). */
  readonly rounds?: number;
}

export const HEARTBEAT_DEFAULTS = { followers: 2, durationMs: 2000, defaultDurationMs: 10_000, rounds: 5 } as const;

/** One measured raft or raw phase, as it finishes. */
export type PhaseReport = (kind: "raft" | "raw", round: number, roundTripsPerSec: number) => void;

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Not counted at the start of each phase: a fifth of it, at most a second. */
function warmupFor(durationMs: number): number {
  return Math.min(1000, durationMs / 5);
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

export async function runHeartbeatBench(
  options: HeartbeatOptions = {},
  onProgress: (line: string) => void = () => {},
  onPhase: PhaseReport = () => {},
): Promise<HeartbeatResult> {
  const followers = positiveInteger("followers", options.followers ?? HEARTBEAT_DEFAULTS.followers);
  const durationMs = positiveInteger("durationMs", options.durationMs ?? HEARTBEAT_DEFAULTS.durationMs);
  const defaultDurationMs = positiveInteger("defaultDurationMs", options.defaultDurationMs ?? HEARTBEAT_DEFAULTS.defaultDurationMs);
  const rounds = positiveInteger("rounds", options.rounds ?? HEARTBEAT_DEFAULTS.rounds);
  const phase = (name: string, ms: number): PhaseOptions => ({ followers, warmupMs: warmupFor(ms), durationMs: ms, name, onProgress });

  return withPeerCleanup(async () => {
    const raft: number[] = [];
    const raw: number[] = [];
    let frames: { ping: Buffer; pong: Buffer } | undefined;
    for (let r = 1; r <= rounds; r++) {
      const s = await saturatedRoundTrips(phase(`raft ${r}/${rounds}`, durationMs));
      const seen = { ping: encodeMessageFrame(s.heartbeat), pong: encodeMessageFrame(s.response) };
      frames ??= seen;
      if (seen.ping.length !== frames.ping.length || seen.pong.length !== frames.pong.length) {
        // Terms or commit indexes past a varint byte boundary; never with fresh clusters.
        throw new Error(`raft ${r}/${rounds}: heartbeat frames of ${seen.ping.length}/${seen.pong.length} B, earlier ${frames.ping.length}/${frames.pong.length} B`);
      }
      raft.push(s.roundTripsPerSec);
      onPhase("raft", r, s.roundTripsPerSec);
      raw.push(await rawRoundTrips({ ...phase(`raw ${r}/${rounds}`, durationMs), ...frames }));
      onPhase("raw", r, raw[raw.length - 1]!);
    }
    const atDefault = await defaultIntervalRtt(phase("default interval", defaultDurationMs));
    if (atDefault.rttMs.length === 0) throw new Error("default interval: no heartbeat was answered");
    const raftRoundTripsPerSec = median(raft);
    const rawRoundTripsPerSec = median(raw);
    const { tickMs, heartbeatTicks } = atDefault.timing;
    return {
      followers,
      frameBytes: frames!.ping.length,
      durationMs,
      raftRoundTripsPerSec,
      rawRoundTripsPerSec,
      ratio: raftRoundTripsPerSec / rawRoundTripsPerSec,
      phases: { raft, raw },
      atDefault: { tickMs, heartbeatMs: tickMs * heartbeatTicks, rtt: summarize(atDefault.rttMs) },
    };
  });
}
