import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { ProcessCluster, request, sleep } from "./cluster-harness.js";

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function newCluster(): Promise<ProcessCluster> {
  cluster = new ProcessCluster(3);
  await cluster.init();
  cluster.startAll();
  return cluster;
}

const followerOf = (leader: number) => (leader % 3) + 1;

describe("three node processes started through the CLI", () => {
  it("elect a leader; 200 writes through a follower are readable from every node", async () => {
    const c = await newCluster();
    const leader = await c.waitForLeader();
    const follower = followerOf(leader);
    let lastIndex = 0;
    for (let i = 0; i < 200; i++) {
      const r = await request("PUT", `${c.url(follower)}/kv/key-${i}`, `value-${i}`);
      expect(r.status, r.text).toBe(200);
      lastIndex = Math.max(lastIndex, (JSON.parse(r.text) as { index: number }).index);
    }
    for (let id = 1; id <= 3; id++) {
      await c.waitForApplied(id, lastIndex);
      for (let i = 0; i < 200; i += 1) {
        const stale = await request("GET", `${c.url(id)}/kv/key-${i}?consistency=stale`);
        expect(stale, `node ${id} key-${i}`).toEqual({ status: 200, text: `value-${i}` });
      }
      const linearizable = await request("GET", `${c.url(id)}/kv/key-199`);
      expect(linearizable).toEqual({ status: 200, text: "value-199" });
    }
    // Every node's /metrics passes promtool; the leader's show the replication it did.
    for (let id = 1; id <= 3; id++) {
      const text = (await request("GET", `${c.url(id)}/metrics`)).text;
      execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    }
    const metrics = (await request("GET", `${c.url(leader)}/metrics`)).text;
    const value = (series: RegExp) => Number(metrics.split("\n").find((l) => series.test(l))?.split(" ").pop());
    expect(value(new RegExp(`^raft_peer_match_index\\{peer="${follower}",`))).toBe(lastIndex);
    expect(value(new RegExp(`^raft_transport_sent_bytes_total\\{peer="${follower}",`))).toBeGreaterThan(0);
    expect(value(new RegExp(`^raft_peer_rtt_seconds_count\\{.*peer="${follower}"`))).toBeGreaterThan(0);
    expect(value(/^raft_storage_sync_duration_seconds_count\{/)).toBeGreaterThan(0);
    expect(value(/^raft_proposals_committed_total\{/)).toBe(200);
  });

  it("survive SIGKILL of the leader: a new one is elected, writes go on, the dead node recovers from disk", async () => {
    const c = await newCluster();
    const first = await c.waitForLeader();
    const acked = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const r = await request("PUT", `${c.url(followerOf(first))}/kv/before-${i}`, `b${i}`);
      expect(r.status).toBe(200);
      acked.set(`before-${i}`, `b${i}`);
    }
    await c.kill(first, "SIGKILL");
    const second = await c.waitForLeader();
    expect(second).not.toBe(first);
    let lastIndex = 0;
    for (let i = 0; i < 30; i++) {
      const r = await request("PUT", `${c.url(second)}/kv/after-${i}`, `a${i}`);
      expect(r.status).toBe(200);
      acked.set(`after-${i}`, `a${i}`);
      lastIndex = (JSON.parse(r.text) as { index: number }).index;
    }
    c.start(first);
    await c.waitForApplied(first, lastIndex);
    for (const [key, value] of acked) {
      expect(await request("GET", `${c.url(first)}/kv/${key}?consistency=stale`)).toEqual({ status: 200, text: value });
    }
  });

  it("lose no acknowledged write when all three are SIGKILLed in the middle of a write load", async () => {
    const c = await newCluster();
    await c.waitForLeader();
    const acked = new Map<string, string>();
    const attempted = new Map<string, string>();
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const key = `w${w}-${i}`;
        const value = `v${w}-${i}-${Math.random().toString(36).slice(2)}`;
        attempted.set(key, value);
        try {
          const r = await request("PUT", `${c.url(1 + (i % 3))}/kv/${key}`, value, {}, 2000);
          if (r.status === 200) acked.set(key, value);
        } catch {
          // the node died under us: the outcome is unknown
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await sleep(1500);
    await Promise.all([1, 2, 3].map((id) => c.kill(id, "SIGKILL")));
    stop = true;
    await Promise.all(writers);
    expect(acked.size).toBeGreaterThan(10);

    c.startAll();
    const leader = await c.waitForLeader();
    for (const [key, value] of attempted) {
      const r = await request("GET", `${c.url(leader)}/kv/${key}`);
      if (acked.has(key)) expect(r, key).toEqual({ status: 200, text: value });
      else if (r.status === 200) expect(r.text, `${key} holds a value that was never written`).toBe(value);
      else expect(r.status).toBe(404);
    }
  });

  it("hand leadership over: on request to a chosen node, and by a leader stopped with SIGTERM", async () => {
    const c = await newCluster();
    const leader = await c.waitForLeader();
    const before = (await c.status(leader))!;
    const target = [1, 2, 3].find((id) => id !== leader)!;
    expect((await request("PUT", `${c.url(leader)}/kv/before`, "x")).status).toBe(200);

    const bad = await request("POST", `${c.url(leader)}/admin/leadership-transfer?to=${leader}`);
    expect(bad.status).toBe(400);
    const moved = await request("POST", `${c.url(leader)}/admin/leadership-transfer?to=${target}`);
    expect(moved.status).toBe(200);
    expect(JSON.parse(moved.text)).toMatchObject({ from: leader, to: target });
    expect(await c.waitForLeader()).toBe(target);
    // One election, the one the transfer asked for: no timeout, no split vote.
    expect((await c.status(target))!.term).toBe(before.term + 1);
    expect(await request("GET", `${c.url(target)}/kv/before`)).toEqual({ status: 200, text: "x" });

    // A leader stopped with SIGTERM hands over before it exits.
    await c.kill(target, "SIGTERM");
    const next = await c.waitForLeader();
    expect(next).not.toBe(target);
    expect((await c.status(next))!.term).toBe(before.term + 2);
    await c.waitForLog(target, "handed leadership over before stopping");
  });

  it("snapshot and compact; a follower offline meanwhile catches up by snapshot, and restarts from its own", async () => {
    cluster = new ProcessCluster(3);
    await cluster.init({ snapshot: { everyEntries: 20_000, keepEntries: 1000 } });
    cluster.startAll();
    const c = cluster;
    let leader = await c.waitForLeader();
    const follower = followerOf(leader);
    await c.kill(follower, "SIGKILL");
    const behind = (await c.status(leader))!.commit;
    // 100,000 writes, 64 clients at a time, while the follower is down: several snapshots, and
    // the log it would need compacted away. A client retries a write the node could not take
    // (a leader whose fsync stalls past the election timeout on a busy machine hands over, and
    // answers 503 meanwhile), as real clients do; each write must succeed within its retries.
    const WRITES = 100_000;
    let next = 0;
    let failed = 0;
    const client = async () => {
      while (next < WRITES) {
        const i = next++;
        let ok = false;
        for (let attempt = 0; attempt < 50 && !ok; attempt++) {
          ok = (await request("PUT", `${c.url(leader)}/kv/key-${i % 5000}`, `value-${i}`)).status === 200;
          if (!ok) {
            await sleep(50);
            leader = await c.waitForLeader();
          }
        }
        if (!ok) failed++;
      }
    };
    await Promise.all(Array.from({ length: 64 }, client));
    expect(failed).toBe(0);
    leader = await c.waitForLeader();
    const forced = await request("POST", `${c.url(leader)}/admin/snapshot`);
    expect(forced.status).toBe(200);
    const leaderStatus = (await c.status(leader))!;
    expect(leaderStatus.snapshotIndex).toBe(JSON.parse(forced.text).index);
    expect(leaderStatus.snapshotIndex - 1000).toBeGreaterThan(behind); // the entries it lacks are compacted away

    c.start(follower);
    await c.waitForApplied(follower, leaderStatus.commit);
    await c.waitForLog(follower, "installed the leader's snapshot");
    // Each key holds the last value written to it (key-k got values k, k + 5000, ...).
    for (const k of [0, 2500, 4999]) {
      const last = WRITES - 5000 + k;
      expect(await request("GET", `${c.url(follower)}/kv/key-${k}?consistency=stale`)).toEqual({ status: 200, text: `value-${last}` });
    }

    // Restarted, it loads its state machine from its own snapshot and still serves the data.
    await c.kill(follower, "SIGKILL");
    c.start(follower);
    await c.waitForApplied(follower, leaderStatus.commit);
    await c.waitForLog(follower, "state machine loaded from the snapshot");
    expect(await request("GET", `${c.url(follower)}/kv/key-777?consistency=stale`)).toEqual({ status: 200, text: `value-${WRITES - 5000 + 777}` });
  });

  it("shut down cleanly on SIGTERM and come back with their data", async () => {
    const c = await newCluster();
    const leader = await c.waitForLeader();
    expect((await request("PUT", `${c.url(leader)}/kv/kept`, "yes")).status).toBe(200);
    const procs = [...c.procs.values()];
    await Promise.all([1, 2, 3].map((id) => c.kill(id, "SIGTERM")));
    expect(procs.map((p) => p.exitCode)).toEqual([0, 0, 0]);
    c.startAll();
    const again = await c.waitForLeader();
    expect(await request("GET", `${c.url(again)}/kv/kept`)).toEqual({ status: 200, text: "yes" });
  });
});
