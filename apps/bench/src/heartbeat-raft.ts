// The two Raft phases of `pnpm bench heartbeat`: heartbeats as fast as their answers allow,
// and heartbeat round-trip times at the default interval.
import { BenchCluster, defaultTiming } from "./heartbeat-cluster.js";
import type { Timing } from "./heartbeat-ipc.js";
import { measureRate, runFor, type PhaseOptions } from "./measure-window.js";
import type { Message } from "@raft-ts/core";

/**
 * The leader at the shortest heartbeat interval: heartbeatTicks = 1, so every tick sends a
 * heartbeat to every follower. The benchmark is the leader's clock.
 *
 * electionTicks only sets how often check-quorum looks back at the followers: 1000 ticks is a
 * window of tens of milliseconds at the tick rates seen here, like the real 150 ms. Check-quorum
 * always passes, since every tick waits for every follower's answer.
 */
const SATURATED_LEADER: Timing = { tickMs: 0, electionTicks: 1000, heartbeatTicks: 1 };

export interface SaturatedResult {
  /** Answered heartbeats per second, all followers together. */
  readonly roundTripsPerSec: number;
  readonly heartbeat: Message;
  readonly response: Message;
}

/**
 * Lockstep rounds: tick the leader once (a heartbeat to each follower), wait until every
 * follower's answer has been stepped into the leader, tick again. One heartbeat in flight per
 * follower, as in the raw ping-pong it is compared with.
 */
export async function saturatedRoundTrips(o: PhaseOptions): Promise<SaturatedResult> {
  // Heartbeats sent and not yet answered (each follower answers each heartbeat, in order).
  let unanswered = 0;
  let answers = 0;
  let running = false;
  const cluster: BenchCluster = await BenchCluster.start({
    followers: o.followers,
    clock: "bench",
    leader: SATURATED_LEADER,
    follower: defaultTiming(),
    observer: {
      heartbeatSent: () => unanswered++,
      heartbeatAnswered: () => {
        unanswered--;
        answers++;
      },
    },
    afterMessage: () => {
      if (running && unanswered === 0) cluster.tick();
    },
    onProgress: o.onProgress,
    name: o.name,
  });
  try {
    running = true;
    cluster.tick();
    const roundTripsPerSec = await measureRate(o, () => answers, () => cluster.check());
    running = false;
    if (cluster.firstHeartbeat === undefined || cluster.firstResponse === undefined) throw new Error(`${o.name}: no heartbeat went both ways`);
    return { roundTripsPerSec, heartbeat: cluster.firstHeartbeat, response: cluster.firstResponse };
  } finally {
    running = false;
    await cluster.stop();
  }
}

export interface DefaultIntervalResult {
  readonly timing: Timing;
  /** Milliseconds from each heartbeat leaving the core to its answer being stepped into it. */
  readonly rttMs: readonly number[];
}

/**
 * The leader as `pnpm start` runs it: apps/node's RaftDriver ticking it from a timer at the
 * default tick, heartbeats at the default interval. Each heartbeat is timed from the core
 * emitting it (heartbeatSent, during the tick) to the core stepping its answer
 * (heartbeatAnswered): transport, follower and the event loops on both sides included.
 */
export async function defaultIntervalRtt(o: PhaseOptions): Promise<DefaultIntervalResult> {
  const timing = defaultTiming();
  // Per follower, when each unanswered heartbeat left, oldest first: answers come in order.
  const sentAt = new Map<number, number[]>();
  const rttMs: number[] = [];
  let recording = false;
  let answers = 0;
  const cluster = await BenchCluster.start({
    followers: o.followers,
    clock: "timer",
    leader: timing,
    follower: timing,
    observer: {
      heartbeatSent: (peer) => {
        let q = sentAt.get(peer);
        if (q === undefined) sentAt.set(peer, (q = []));
        q.push(performance.now());
      },
      heartbeatAnswered: (peer) => {
        const sent = sentAt.get(peer)?.shift();
        answers++;
        if (sent !== undefined && recording) rttMs.push(performance.now() - sent);
      },
    },
    onProgress: o.onProgress,
    name: o.name,
  });
  try {
    const check = () => cluster.check();
    await runFor(o.warmupMs, () => answers, `${o.name} (warm-up)`, check);
    recording = true;
    await runFor(o.durationMs, () => answers, o.name, check, () => o.onProgress(`${o.name}: ${rttMs.length} heartbeats timed`));
    recording = false;
    return { timing, rttMs };
  } finally {
    await cluster.stop();
  }
}
