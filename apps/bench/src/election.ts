// `pnpm bench election`: how long a cluster of real node processes (TCP, SQLite with fsync)
// takes to elect a leader at a cold start and after SIGKILL of the leader, beside what the
// randomized timeouts predict.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ProcessCluster, sleep, type StatusBody } from "../../node/test/cluster-harness.js";
import { summarize, type Summary } from "./stats.js";

export interface TimingSetting {
  readonly name: string;
  readonly tickMs: number;
  /** T: followers campaign after a random timeout in [T, 2T). */
  readonly electionMs: number;
  readonly heartbeatMs: number;
}

export const SETTINGS: readonly TimingSetting[] = [
  // The Raft paper's recommendation: 150-300 ms election timeout, heartbeats well below it.
  { name: "paper 150-300 ms", tickMs: 10, electionMs: 150, heartbeatMs: 50 },
  // The paper's fast setting (12-24 ms), measured there at 35 ms average on 5 servers.
  { name: "fast 12-24 ms", tickMs: 2, electionMs: 12, heartbeatMs: 4 },
];

export interface FailoverTrial {
  /** Milliseconds from SIGKILL of the leader to a new leader known by a majority. */
  readonly ms: number;
  /** Terms the election took: 1 is a clean election, more means split votes. */
  readonly voteRounds: number;
}

export interface ElectionResult {
  readonly setting: TimingSetting;
  readonly nodes: number;
  /** Milliseconds from spawning the processes to a leader known by all (process start included). */
  readonly coldStartMs: number;
  readonly failover: readonly FailoverTrial[];
  /** Trials thrown away because leadership moved on its own around the kill (not a failover). */
  readonly discardedTrials: number;
  readonly measured: Summary;
  /** The model's expectation for the same setting (see expectedFailoverMs). */
  readonly expected: Summary;
  readonly ratioP50: number;
}

/**
 * What the timeouts predict for a failover, by sampling the model: the survivors heard the
 * leader's last heartbeat A ago (uniform in [0, H)), each fires its timer T + U*T after that
 * heartbeat (U uniform in [0, 1), quantized up to the tick), and the first to fire wins after a
 * pre-vote and a vote round trip (each `roundTripMs`, which includes the fsync of the vote) and
 * half a round trip to tell the others.
 */
export function expectedFailoverMs(s: TimingSetting, survivors: number, roundTripMs: number, samples = 20_000, seed = 1): number[] {
  let x = seed >>> 0;
  const random = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 0x1_0000_0000;
  };
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const sinceHeartbeat = random() * s.heartbeatMs;
    let first = Infinity;
    for (let f = 0; f < survivors; f++) {
      const timeout = Math.ceil((s.electionMs + random() * s.electionMs) / s.tickMs) * s.tickMs;
      first = Math.min(first, timeout);
    }
    out.push(Math.max(0, first - sinceHeartbeat) + 2.5 * roundTripMs);
  }
  return out;
}

/** Poll (gently) until a majority of `ids` name the same leader, not `not`, in a term above `aboveTerm`. */
async function waitForMajorityLeader(c: ProcessCluster, ids: number[], majority: number, not: number, aboveTerm: number): Promise<StatusBody> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const seen = (await Promise.all(ids.map((id) => c.status(id)))).filter((s): s is StatusBody => s !== undefined);
    const counts = new Map<number, StatusBody[]>();
    for (const s of seen) {
      if (s.leader === null || s.leader === not || s.term <= aboveTerm) continue;
      counts.set(s.leader, [...(counts.get(s.leader) ?? []), s]);
    }
    for (const agreeing of counts.values()) {
      if (agreeing.length >= majority) return agreeing.reduce((a, b) => (a.term >= b.term ? a : b));
    }
    // Not sooner: the time is read from the nodes' logs, and polling flat out would take CPU
    // from the very election it waits for (2 cores, up to 5 nodes).
    await sleep(25);
  }
  throw new Error(`no new leader known by a majority within 30 s (logs in ${c.dir})`);
}

/**
 * When each of `ids` logged that it learned `leader` is leader in `term` (the node's own
 * timestamp, so the time this benchmark takes to poll /status is not counted), or undefined
 * for a node whose log does not say so (yet).
 */
function learnedLeaderAt(c: ProcessCluster, ids: readonly number[], leader: number, term: number): (number | undefined)[] {
  return ids.map((id) => {
    let text: string;
    try {
      text = readFileSync(join(c.dir, `node-${id}.log`), "utf8");
    } catch {
      return undefined;
    }
    for (const line of text.split("\n")) {
      if (!line.includes('"leader is node')) continue;
      try {
        const entry = JSON.parse(line) as { time?: number; leader?: number; term?: number };
        if (entry.leader === leader && entry.term === term && typeof entry.time === "number") return entry.time;
      } catch {
        // a line cut short while being written: the next read has it whole
      }
    }
    return undefined;
  });
}

/**
 * Milliseconds from `killedAt` (wall clock) until `majority` nodes had learned the new leader,
 * from the nodes' log timestamps (1 ms resolution); undefined when they knew it before the kill
 * (an election of its own, not a failover). Log lines reach the files a moment after the nodes
 * write them, so this waits (bounded) for them.
 */
async function failoverFromLogs(
  c: ProcessCluster,
  survivors: readonly number[],
  majority: number,
  after: StatusBody,
  killedAt: number,
): Promise<number | undefined> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const times = learnedLeaderAt(c, survivors, after.leader!, after.term).filter((t): t is number => t !== undefined);
    if (times.length >= majority) {
      const known = times.sort((a, b) => a - b)[majority - 1]!;
      return known < killedAt ? undefined : known - killedAt;
    }
    if (performance.now() > deadline) {
      throw new Error(`the logs of nodes ${survivors.join(",")} do not say that node ${after.leader} leads term ${after.term} (logs in ${c.dir})`);
    }
    await sleep(20);
  }
}

/**
 * Wait until every node has its outbound connection to every other node up. A restarted node is
 * reachable again only when its peers' reconnect backoff runs out (up to seconds); a failover
 * measured before that would time the backoff, not the election.
 */
async function waitForFullMesh(c: ProcessCluster, nodes: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    let up = 0;
    for (const id of c.procs.keys()) {
      try {
        const text = await (await fetch(`${c.url(id)}/metrics`, { signal: AbortSignal.timeout(1000) })).text();
        up += text.split("\n").filter((l) => l.startsWith("raft_transport_peer_connected{") && l.includes('direction="outbound"') && l.endsWith(" 1")).length;
      } catch {
        // not serving yet
      }
    }
    if (up === nodes * (nodes - 1)) return;
    await sleep(10);
  }
  throw new Error(`the nodes did not all connect to each other within 30 s (logs in ${c.dir})`);
}

export async function runElectionBench(
  s: TimingSetting,
  nodes: number,
  trials: number,
  onProgress: (line: string) => void = () => {},
): Promise<ElectionResult> {
  const c = new ProcessCluster(nodes);
  try {
    await c.init({ tickMs: s.tickMs, electionTimeoutMs: [s.electionMs, 2 * s.electionMs], heartbeatMs: s.heartbeatMs });
    const started = performance.now();
    c.startAll();
    await c.waitForLeader(60_000);
    const coldStartMs = performance.now() - started;
    const majority = Math.floor(nodes / 2) + 1;
    const failover: FailoverTrial[] = [];
    let discarded = 0;
    /** Count a trial that timed no failover; give up when leadership never holds still. */
    const discard = (): void => {
      if (++discarded > 3 * trials) throw new Error(`leadership kept moving on its own; ${discarded} trials discarded (logs in ${c.dir})`);
    };
    while (failover.length < trials) {
      const leaderId = await c.waitForLeader(60_000);
      await waitForFullMesh(c, nodes);
      // Let heartbeats settle into their rhythm before the kill.
      await sleep(3 * s.electionMs);
      const before = await c.status(leaderId);
      const killedAt = Date.now(); // the clock pino stamps the nodes' log lines with
      if (before?.role !== "leader") {
        // Leadership moved while settling (a busy machine can starve the 2 ms ticks): this
        // would time an election that was not caused by the kill. Try again.
        discard();
        continue;
      }
      await c.kill(leaderId, "SIGKILL");
      const survivors = [...c.procs.keys()];
      const after = await waitForMajorityLeader(c, survivors, majority, leaderId, before.term);
      const ms = await failoverFromLogs(c, survivors, majority, after, killedAt);
      c.start(leaderId);
      if (ms === undefined) {
        // The new leader was known before the kill: an election of its own, not a failover.
        discard();
        continue;
      }
      failover.push({ ms, voteRounds: after.term - before.term });
      onProgress(`${s.name}, ${nodes} nodes: failover ${failover.length}/${trials}: ${ms.toFixed(1)} ms`);
    }
    const measured = summarize(failover.map((f) => f.ms));
    // A vote and a pre-vote each cost a loopback round trip plus an fsync: about 2 ms here.
    const expected = summarize(expectedFailoverMs(s, nodes - 1, 2));
    return { setting: s, nodes, coldStartMs, failover, discardedTrials: discarded, measured, expected, ratioP50: measured.p50 / expected.p50 };
  } finally {
    await c.stop();
  }
}
