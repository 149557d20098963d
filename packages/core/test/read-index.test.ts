import { describe, expect, it } from "vitest";
import { MemoryStorage, RaftNode, SeededRng, type Message, type Ready } from "../src/index.js";
import { TestCluster } from "./harness.js";

const enc = new TextEncoder();

/** Deliver the queued messages that match; keep the others queued, in order. */
function deliverOnly(c: TestCluster, pred: (m: Message) => boolean): number {
  const kept = c.queue.filter((m) => !pred(m));
  const n = c.deliverAll(pred);
  c.queue = [...kept, ...c.queue];
  return n;
}

describe("readIndex on a follower", () => {
  it("returns NotLeader naming the known leader", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    expect(c.raft(2).readIndex("r")).toEqual({ ok: false, error: { type: "NotLeader", leaderId: 1 } });
    c.drainAll();
    expect(c.node(2).readStates).toEqual([]);
  });

  it("returns NotLeader without a leader id when none is known", () => {
    const c = new TestCluster(3);
    expect(c.raft(2).readIndex("r")).toEqual({ ok: false, error: { type: "NotLeader", leaderId: undefined } });
  });
});

describe("readIndex on a leader", () => {
  it("answers only after a majority answers a heartbeat round, with the commit index at request time", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.propose(1, "a");
    const commitAtRequest = c.raft(1).status().commit;

    expect(c.raft(1).readIndex("r1")).toEqual({ ok: true, value: undefined });
    c.drain(1);
    const heartbeats = c.queue.filter((m) => m.type === "Heartbeat");
    expect(heartbeats.map((m) => m.to).sort()).toEqual([2, 3]);
    // Nothing delivered, however long we wait: no answer.
    c.queue = [];
    c.tick(1, 3);
    c.queue = [];
    expect(c.node(1).readStates).toEqual([]);

    // A write after the request moves the commit index; the read must still report the old one.
    c.raft(1).propose(enc.encode("b"));
    c.tick(1); // a heartbeat round carrying the read's sequence
    c.deliverAll(); // followers get heartbeats and the append, and answer
    expect(c.node(1).readStates).toEqual([]);
    expect(c.queue.some((m) => m.type === "HeartbeatResponse" && m.to === 1)).toBe(true);
    deliverOnly(c, (m) => m.from === 2); // the leader plus 2 is a majority of 3
    expect(c.node(1).readStates).toEqual([{ ctx: "r1", index: commitAtRequest }]);
    expect(c.raft(1).status().commit).toBe(commitAtRequest + 1);

    // Later answers do not repeat it.
    c.stabilize();
    expect(c.node(1).readStates).toHaveLength(1);
  });

  it("needs a majority, not just one answer, in a five-node cluster", () => {
    const c = new TestCluster(5);
    expect(c.elect(1)).toBe(true);
    const commit = c.raft(1).status().commit;
    expect(c.raft(1).readIndex("r").ok).toBe(true);
    c.drain(1);
    c.deliverAll(); // four heartbeats delivered; four answers queued
    expect(c.queue.filter((m) => m.type === "HeartbeatResponse")).toHaveLength(4);

    deliverOnly(c, (m) => m.from === 2);
    expect(c.node(1).readStates).toEqual([]); // 2 of 5
    deliverOnly(c, (m) => m.from === 3);
    expect(c.node(1).readStates).toEqual([{ ctx: "r", index: commit }]); // 3 of 5
  });

  it("answers several reads in order, each once", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.raft(1).readIndex("first");
    c.drain(1);
    c.propose(1, "x");
    c.raft(1).readIndex("second");
    c.stabilize();
    const commitAfterX = c.raft(1).status().commit;
    expect(c.node(1).readStates.map((r) => r.ctx)).toEqual(["first", "second"]);
    expect(c.node(1).readStates[1]!.index).toBe(commitAfterX);
    expect(c.node(1).readStates[0]!.index).toBe(commitAfterX - 1);
  });

  it("waits for its no-op to commit before answering a read (its commit index may lag)", () => {
    // checkQuorum off so that node 2 can win an election while 1 still leads.
    const c = new TestCluster(3, { checkQuorum: false });
    expect(c.elect(1)).toBe(true);
    c.propose(1, "a");
    // "b" commits on the leader, but nobody else learns that it did.
    const b = c.raft(1).propose(enc.encode("b"));
    if (!b.ok) throw new Error("1 should lead");
    c.drain(1);
    c.deliverAll(); // appends reach 2 and 3; they answer
    c.deliverAll((m) => m.to === 1); // the leader commits b...
    c.queue = []; // ...and its news of that commit is lost
    expect(c.raft(1).status().commit).toBe(b.value.index);
    expect(c.raft(2).status().commit).toBeLessThan(b.value.index);

    // Node 2 wins an election; stop as soon as it leads, before its no-op replicates.
    for (let i = 0; i < 100 && c.raft(2).status().role === "follower"; i++) c.tick(2);
    for (let i = 0; i < 20 && c.raft(2).status().role !== "leader"; i++) c.deliverAll();
    expect(c.raft(2).status().role).toBe("leader");
    const noop = c.raft(2).status().lastIndex;
    expect(c.raft(2).status().commit).toBeLessThan(b.value.index);

    expect(c.raft(2).readIndex("early").ok).toBe(true);
    c.drain(2);
    c.deliverAll(); // the no-op reaches the followers
    expect(c.node(2).readStates).toEqual([]);
    c.stabilize();
    // Answering with the stale commit index would have missed the committed "b".
    expect(c.node(2).readStates).toEqual([{ ctx: "early", index: noop }]);
    expect(noop).toBeGreaterThan(b.value.index);
  });

  for (const checkQuorum of [true, false]) {
    it(`never answers while cut off from the majority (checkQuorum ${checkQuorum})`, () => {
      const c = new TestCluster(3, { checkQuorum });
      expect(c.elect(1)).toBe(true);
      c.propose(1, "a");
      c.isolate(1);
      expect(c.raft(1).readIndex("stale").ok).toBe(true);
      c.drain(1);

      let newLeader: number | undefined;
      for (let t = 0; t < 200 && newLeader === undefined; t++) {
        c.tickAll();
        c.stabilize();
        if (t % 3 === 0 && c.raft(1).status().role === "leader") {
          expect(c.raft(1).readIndex(`stale-${t}`).ok).toBe(true);
          c.drain(1);
        }
        const l = c.leader();
        if (l !== undefined && l !== 1) newLeader = l;
      }
      expect(newLeader).toBeDefined();
      c.propose(newLeader!, "w");
      for (const id of [2, 3]) expect(c.appliedData(id)).toEqual(["a", "w"]);
      c.tickAll(5);
      c.stabilize();
      if (!checkQuorum) expect(c.raft(1).status().role).toBe("leader"); // it still believes it leads
      expect(c.node(1).readies.flatMap((rd: Ready) => rd.readStates)).toEqual([]);

      // Rejoining, it learns of the new term; the old reads are still never answered.
      c.heal();
      for (let i = 0; i < 30 && c.appliedData(1).length < 2; i++) {
        c.tickAll();
        c.stabilize();
      }
      expect(c.appliedData(1)).toEqual(["a", "w"]);
      expect(c.raft(1).status().role).not.toBe("leader");
      expect(c.node(1).readies.flatMap((rd: Ready) => rd.readStates)).toEqual([]);
    });
  }
});

describe("readIndex on a single-node cluster", () => {
  function leader(): { node: RaftNode; storage: MemoryStorage; handle: () => Ready } {
    const storage = new MemoryStorage();
    const node = new RaftNode({ id: 1, voters: [1], electionTicks: 5, heartbeatTicks: 1, rng: new SeededRng(9) }, storage);
    for (let i = 0; i < 20 && node.status().role !== "leader"; i++) node.tick();
    expect(node.status().role).toBe("leader");
    const handle = (): Ready => {
      const rd = node.ready();
      storage.persist(rd.hardState, rd.entries);
      node.advance();
      return rd;
    };
    return { node, storage, handle };
  }

  it("answers a read in the next Ready, with no messages", () => {
    const { node, handle } = leader();
    handle(); // the no-op, persisted
    handle(); // the no-op, committed
    expect(node.status().commit).toBe(1);
    expect(node.readIndex("x")).toEqual({ ok: true, value: undefined });
    expect(node.hasReady()).toBe(true);
    const rd = handle();
    expect(rd.readStates).toEqual([{ ctx: "x", index: 1 }]);
    expect(rd.messages).toEqual([]);
    expect(node.hasReady()).toBe(false);
  });

  it("answers a read issued before its no-op commits as soon as it does", () => {
    const { node, handle } = leader();
    expect(node.readIndex("early").ok).toBe(true);
    const first = handle(); // persists the no-op; nothing is committed yet
    expect(first.readStates).toEqual([]);
    const second = handle();
    expect(second.committedEntries.map((e) => e.index)).toEqual([1]);
    expect(second.readStates).toEqual([{ ctx: "early", index: 1 }]);
  });
});
