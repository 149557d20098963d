import { describe, expect, it } from "vitest";
import type { Message } from "../src/index.js";
import { TestCluster } from "./harness.js";

const T = 10; // the harness's default electionTicks

/** Messages of `type` in the Readys node `id` produced from index `from` on. */
function sentBy(c: TestCluster, id: number, from: number, type: Message["type"]): Message[] {
  return c
    .node(id)
    .readies.slice(from)
    .flatMap((r) => [...r.messages, ...r.persistedMessages])
    .filter((m) => m.type === type);
}

describe("leadership transfer", () => {
  it("hands over to an up-to-date follower at once: TimeoutNow, an election without pre-vote, inside the others' lease", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.propose(1, "x");
    const term = c.raft(1).status().term;
    const mark = c.node(1).readies.length;

    expect(c.raft(1).transferLeadership(2)).toEqual({ ok: true, value: undefined });
    c.stabilize();

    expect(sentBy(c, 1, mark, "TimeoutNow").map((m) => m.to)).toEqual([2]);
    const votes = sentBy(c, 2, 0, "VoteRequest");
    expect(votes.length).toBeGreaterThan(0);
    expect(votes.every((m) => m.type === "VoteRequest" && !m.preVote && m.transfer === true)).toBe(true);
    // Node 3 heard from leader 1 just now (inside its lease) and still voted: the transfer flag.
    expect(c.raft(2).status()).toMatchObject({ role: "leader", term: term + 1 });
    expect(c.raft(1).status()).toMatchObject({ role: "follower", leaderId: 2, transferringTo: 0 });
    expect(c.raft(3).status()).toMatchObject({ role: "follower", leaderId: 2 });
    // Nothing committed is lost, and the new leader takes writes.
    c.propose(2, "y");
    for (const id of c.ids) expect(c.appliedData(id)).toEqual(["x", "y"]);
  });

  it("brings a lagging target up to date first, and sends TimeoutNow only when its log is whole", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    c.propose(1, "a");
    c.propose(1, "b");
    c.heal();
    const lastIndex = c.raft(1).status().lastIndex;
    expect(c.raft(3).status().lastIndex).toBeLessThan(lastIndex);
    const mark = c.node(1).readies.length;

    expect(c.raft(1).transferLeadership(3).ok).toBe(true);
    c.drain(1);
    // First an append to node 3, no TimeoutNow yet.
    expect(sentBy(c, 1, mark, "TimeoutNow")).toEqual([]);
    expect(sentBy(c, 1, mark, "AppendEntries").some((m) => m.to === 3)).toBe(true);
    c.stabilize();
    expect(sentBy(c, 1, mark, "TimeoutNow").map((m) => m.to)).toEqual([3]);
    expect(c.raft(3).status().role).toBe("leader");
    expect(c.appliedData(3)).toEqual(["a", "b"]);
  });

  it("refuses proposals while the transfer is in flight, and takes them again once it is abandoned", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.isolate(2); // the target cannot answer: the transfer cannot finish
    expect(c.raft(1).transferLeadership(2).ok).toBe(true);
    c.stabilize();
    const refused = c.raft(1).propose(new TextEncoder().encode("no"));
    expect(refused).toEqual({ ok: false, error: { type: "TransferInProgress", to: 2 } });
    expect(c.raft(1).status().transferringTo).toBe(2);

    // Node 3 keeps answering, so node 1 stays leader; after an election timeout it gives up.
    for (let i = 0; i < T; i++) {
      c.tick(1);
      c.stabilize();
    }
    expect(c.raft(1).status()).toMatchObject({ role: "leader", transferringTo: 0 });
    expect(c.raft(1).propose(new TextEncoder().encode("yes")).ok).toBe(true);
  });

  it("rejects a transfer to itself or to a node that is not a voter, and on a follower", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    expect(c.raft(1).transferLeadership(1)).toEqual({ ok: false, error: { type: "BadTransferTarget", to: 1 } });
    expect(c.raft(1).transferLeadership(9)).toEqual({ ok: false, error: { type: "BadTransferTarget", to: 9 } });
    expect(c.raft(2).transferLeadership(3)).toEqual({ ok: false, error: { type: "NotLeader", leaderId: 1 } });
    expect(c.raft(1).status().transferringTo).toBe(0);
  });

  it("a follower ignores a TimeoutNow from an older term", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    const term = c.raft(2).status().term;
    c.raft(2).step({ type: "TimeoutNow", from: 1, to: 2, term: term - 1 });
    c.drain(2);
    expect(c.raft(2).status()).toMatchObject({ role: "follower", term });
  });
});
