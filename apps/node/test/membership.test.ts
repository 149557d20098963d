import { checkHistory, HistoryRecorder, renderFailure } from "@raft-ts/linearizability";
import { afterEach, describe, expect, it } from "vitest";
import { ProcessCluster, request, sleep } from "./cluster-harness.js";
import { runClients } from "./workload.js";

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

interface MembersBody {
  leader: number | null;
  committed: boolean;
  members: { id: number; role: string; raft: string | null; http: string | null }[];
}

async function members(c: ProcessCluster, via: number): Promise<MembersBody | undefined> {
  try {
    const r = await request("GET", `${c.url(via)}/admin/members`, undefined, {}, 2000);
    return r.status === 200 ? (JSON.parse(r.text) as MembersBody) : undefined;
  } catch {
    return undefined;
  }
}

/** Elections node `id` has started (pre-vote and vote), from its metrics. */
async function electionsStarted(c: ProcessCluster, id: number): Promise<number> {
  const text = (await request("GET", `${c.url(id)}/metrics`)).text;
  let total = 0;
  for (const line of text.split("\n")) if (line.startsWith("raft_elections_started_total{")) total += Number(line.split(" ").pop());
  return total;
}

const voters = (m: MembersBody | undefined) => (m?.members ?? []).filter((x) => x.role === "voter").map((x) => x.id);

/** Wait until node `via` reports exactly `expected` as voters, committed. */
async function waitForVoters(c: ProcessCluster, via: number, expected: number[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: MembersBody | undefined;
  while (Date.now() < deadline) {
    last = await members(c, via);
    if (last?.committed === true && JSON.stringify(voters(last)) === JSON.stringify(expected)) return;
    await sleep(100);
  }
  throw new Error(`node ${via} reports ${JSON.stringify(last)} after ${timeoutMs} ms, wanted voters ${expected}${c.diagnosis()}`);
}

describe("membership changes on real processes", () => {
  it("grows a cluster from 3 to 5 and shrinks it back to 3, the leader removed too, under a client load whose history stays linearizable", async () => {
    const c = new ProcessCluster(3, 2);
    cluster = c;
    // Small snapshots, so a joining node may catch up from one.
    await c.init({ snapshot: { everyEntries: 100, keepEntries: 10 } });
    c.startAll();
    await c.waitForLeader();

    const history = new HistoryRecorder();
    let running = true;
    let serving = [1, 2, 3];
    const clients = runClients(history, { clients: 4, keys: ["k0", "k1", "k2"], targets: () => serving.map((id) => c.url(id)), running: () => running });
    await sleep(1000);

    // Grow: each new node joins through a different member, as a learner first.
    c.start(4, { join: 1 });
    await waitForVoters(c, 1, [1, 2, 3, 4]);
    await c.waitForLog(4, "joined the cluster as a voter");
    await c.waitForLog(4, "learners [4]"); // it was a learner before it was a voter
    serving = [1, 2, 3, 4];
    c.start(5, { join: 2 });
    await waitForVoters(c, 3, [1, 2, 3, 4, 5]);
    serving = [1, 2, 3, 4, 5];
    await sleep(1000);

    // Shrink: remove the leader, then one of the original followers.
    const leader = (await c.waitForLeader())!;
    serving = serving.filter((id) => id !== leader);
    const removeLeader = await request("DELETE", `${c.url(serving[0]!)}/admin/members/${leader}`, undefined, {}, 8000);
    expect(removeLeader.status).toBe(200);
    await c.waitForLog(leader, "stepping down: this leader's removal is committed");
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    serving = serving.filter((id) => id !== follower);
    let removeFollower: { status: number; text: string } | undefined;
    for (let i = 0; i < 50 && removeFollower?.status !== 200; i++) {
      // The new leader may not have committed an entry of its term yet: 503, retry.
      removeFollower = await request("DELETE", `${c.url(serving[0]!)}/admin/members/${follower}`, undefined, {}, 8000);
      if (removeFollower.status !== 200) await sleep(100);
    }
    expect(removeFollower?.status).toBe(200);
    const remaining = [1, 2, 3, 4, 5].filter((id) => id !== leader && id !== follower);
    await waitForVoters(c, remaining[0]!, remaining);
    await c.waitForLog(follower, "this node was removed from the cluster");

    // Removed nodes that keep running stop campaigning: in many election timeouts without a
    // leader's word, neither starts an election (its metrics count every one, pre-votes too).
    const electionsBefore = await Promise.all([leader, follower].map((id) => electionsStarted(c, id)));
    await sleep(2000);
    running = false;
    await clients;
    expect(await Promise.all([leader, follower].map((id) => electionsStarted(c, id)))).toEqual(electionsBefore);

    const ops = history.history();
    const okOps = ops.filter((o) => o.status === "ok");
    expect(okOps.filter((o) => o.op === "put").length).toBeGreaterThan(20);
    const result = checkHistory(ops);
    if (result.ok === false) throw new Error(renderFailure(result));
    expect(result.ok).toBe(true);

    // The remaining three agree on the state, and a write still commits.
    await c.kill(leader, "SIGTERM");
    await c.kill(follower, "SIGTERM");
    const newLeader = await c.waitForLeader();
    expect(remaining).toContain(newLeader);
    const put = await request("PUT", `${c.url(remaining[0]!)}/kv/after`, "shrunk");
    expect(put.status).toBe(200);
    const commit = (await c.status(newLeader))!.commit;
    for (const id of remaining) await c.waitForApplied(id, commit);
  });

  it("replaces a node whose data directory was deleted: removed, wiped, joined again with the same id, and counted in quorum", async () => {
    const c = new ProcessCluster(3);
    cluster = c;
    await c.init();
    c.startAll();
    const leader = await c.waitForLeader();
    for (let i = 0; i < 50; i++) expect((await request("PUT", `${c.url(leader)}/kv/k${i}`, `v${i}`)).status).toBe(200);

    const lost = [1, 2, 3].find((id) => id !== leader)!;
    await c.kill(lost, "SIGKILL");
    c.wipe(lost);
    // A machine that lost its disk must not come back as the voter it was: remove it first.
    expect((await request("DELETE", `${c.url(leader)}/admin/members/${lost}`, undefined, {}, 8000)).status).toBe(200);
    const others = [1, 2, 3].filter((id) => id !== lost);
    await waitForVoters(c, leader, others);

    c.start(lost, { join: leader });
    await waitForVoters(c, leader, [1, 2, 3]);
    await c.waitForLog(lost, "joined the cluster as a voter");
    const commit = (await c.status(leader))!.commit;
    await c.waitForApplied(lost, commit);
    for (let i = 0; i < 50; i += 7) {
      const r = await request("GET", `${c.url(lost)}/kv/k${i}?consistency=stale`);
      expect(r.text).toBe(`v${i}`);
    }

    // It counts toward quorum again: with the third node down, the leader and it still commit.
    const third = others.find((id) => id !== leader)!;
    await c.kill(third, "SIGKILL");
    const put = await request("PUT", `${c.url(leader)}/kv/quorum`, "two of three", {}, 5000);
    expect(put.status).toBe(200);
  });
});
