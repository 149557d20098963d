import { describe, expect, it } from "vitest";
import {
  MemoryStorage,
  RaftNode,
  SeededRng,
  type AppendEntries,
  type AppendEntriesResponse,
  type Entry,
  type Message,
  type NodeId,
  type Ready,
} from "../src/index.js";
import { storageWithTerms, TestCluster } from "./harness.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

// ---- a single follower driven by hand ------------------------------------------------------

/** Node 2 of {1, 2, 3}, starting from a log with the given terms. */
function follower(terms: readonly number[], currentTerm?: number): { node: RaftNode; storage: MemoryStorage } {
  const storage = storageWithTerms(terms, currentTerm);
  const node = new RaftNode(
    { id: 2, voters: [1, 2, 3], electionTicks: 10, heartbeatTicks: 1, rng: new SeededRng(7) },
    storage,
  );
  return { node, storage };
}

function leaderEntries(first: number, terms: readonly number[]): Entry[] {
  return terms.map((term, i) => ({ index: first + i, term, type: "normal", data: enc.encode(`L${first + i}t${term}`) }));
}

function appendEntries(fields: Omit<AppendEntries, "type" | "from" | "to">): AppendEntries {
  return { type: "AppendEntries", from: 1, to: 2, ...fields };
}

/** Take a Ready and carry it out as a driver would (persist, then advance). */
function handle(node: RaftNode, storage: MemoryStorage): Ready {
  expect(node.hasReady()).toBe(true);
  const rd = node.ready();
  storage.persist(rd.hardState, rd.entries);
  node.advance();
  return rd;
}

function onlyResponse(rd: Ready): AppendEntriesResponse {
  expect(rd.messages).toEqual([]); // a response must wait for persistence
  expect(rd.persistedMessages).toHaveLength(1);
  const m = rd.persistedMessages[0]!;
  if (m.type !== "AppendEntriesResponse") throw new Error(`expected an AppendEntriesResponse, got ${m.type}`);
  expect(m.from).toBe(2);
  expect(m.to).toBe(1);
  return m;
}

function terms(storage: MemoryStorage): number[] {
  const out: number[] = [];
  for (let i = storage.firstIndex(); i <= storage.lastIndex(); i++) out.push(storage.term(i)!);
  return out;
}

describe("AppendEntries on a follower", () => {
  it("accepts entries after a matching (prevLogIndex, prevLogTerm) and persists them before answering", () => {
    const { node, storage } = follower([1, 1, 2]);
    const sent = leaderEntries(4, [2, 2]);
    node.step(appendEntries({ term: 2, prevLogIndex: 3, prevLogTerm: 2, entries: sent, leaderCommit: 4 }));
    const rd = handle(node, storage);

    expect(rd.entries).toEqual(sent);
    const resp = onlyResponse(rd);
    expect(resp).toMatchObject({ success: true, matchIndex: 5, term: 2 });
    expect(rd.hardState).toEqual({ term: 2, vote: 0, commit: 4 });
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(terms(storage)).toEqual([1, 1, 2, 2, 2]);
  });

  it("commits no further than the last entry the append vouched for", () => {
    const { node, storage } = follower([1, 1, 2, 2, 2]);
    node.step(appendEntries({ term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: leaderEntries(2, [1]), leaderCommit: 10 }));
    const rd = handle(node, storage);
    // Entries 3..5 may not be the leader's: only up to 2 is known to match.
    expect(rd.hardState?.commit).toBe(2);
    expect(onlyResponse(rd)).toMatchObject({ success: true, matchIndex: 2 });
  });

  it("rejects when its log is too short, hinting where it ends", () => {
    const { node, storage } = follower([1, 1, 2]);
    node.step(appendEntries({ term: 2, prevLogIndex: 6, prevLogTerm: 2, entries: leaderEntries(7, [2]), leaderCommit: 5 }));
    const rd = handle(node, storage);
    expect(rd.entries).toEqual([]);
    expect(onlyResponse(rd)).toMatchObject({
      success: false,
      rejectedIndex: 6,
      conflictTerm: 0,
      conflictIndex: 4,
    });
    expect(terms(storage)).toEqual([1, 1, 2]);
    expect(node.status().commit).toBe(0);
  });

  it("rejects when the term at prevLogIndex differs, hinting the conflicting term and where it starts", () => {
    const { node, storage } = follower([1, 1, 2, 2, 2]);
    node.step(appendEntries({ term: 3, prevLogIndex: 5, prevLogTerm: 3, entries: leaderEntries(6, [3]), leaderCommit: 0 }));
    const rd = handle(node, storage);
    expect(rd.entries).toEqual([]);
    expect(rd.hardState).toEqual({ term: 3, vote: 0, commit: 0 }); // the newer term is adopted
    expect(onlyResponse(rd)).toMatchObject({
      success: false,
      term: 3,
      rejectedIndex: 5,
      conflictTerm: 2,
      conflictIndex: 3,
    });
    expect(terms(storage)).toEqual([1, 1, 2, 2, 2]);
  });

  it("truncates a conflicting uncommitted suffix and replaces it with the leader's entries", () => {
    const { node, storage } = follower([1, 1, 2, 2, 2]);
    const sent = leaderEntries(3, [3, 3]);
    node.step(appendEntries({ term: 3, prevLogIndex: 2, prevLogTerm: 1, entries: sent, leaderCommit: 3 }));
    const rd = handle(node, storage);
    // Persisting entries from index 3 deletes the stored 3..5; entry 5 must not survive.
    expect(rd.entries).toEqual(sent);
    expect(onlyResponse(rd)).toMatchObject({ success: true, matchIndex: 4 });
    expect(terms(storage)).toEqual([1, 1, 3, 3]);
    expect(node.status()).toMatchObject({ lastIndex: 4, lastTerm: 3, commit: 3 });
    expect(storage.entries(3, 5, Infinity)).toEqual(sent);
    expect(rd.committedEntries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 3],
    ]);
  });

  it("keeps its log when the entries it is sent already match (a duplicate or reordered append)", () => {
    const { node, storage } = follower([1, 1, 2, 2, 2]);
    node.step(appendEntries({ term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: leaderEntries(2, [1, 2]), leaderCommit: 0 }));
    const rd = handle(node, storage);
    expect(rd.entries).toEqual([]);
    expect(onlyResponse(rd)).toMatchObject({ success: true, matchIndex: 3 });
    expect(terms(storage)).toEqual([1, 1, 2, 2, 2]);
  });
});

// ---- a cluster --------------------------------------------------------------------------------

function appendsTo(msgs: readonly Message[], to: NodeId): AppendEntries[] {
  return msgs.filter((m): m is AppendEntries => m.type === "AppendEntries" && m.to === to);
}

function peerState(c: TestCluster, leader: NodeId, peer: NodeId): string | undefined {
  return c.raft(leader).status().peers.find((p) => p.id === peer)?.state;
}

describe("a lagging follower", () => {
  it("drops its divergent suffix and catches up with few rejections (one per term, not per entry)", () => {
    const c = new TestCluster(3, { checkQuorum: false });
    expect(c.elect(1)).toBe(true);
    c.propose(1, "committed");
    // Node 3 leads a term alone and appends entries nobody else gets.
    expect(c.elect(3)).toBe(true);
    c.isolate(3);
    for (let i = 0; i < 20; i++) expect(c.raft(3).propose(enc.encode(`lost-${i}`)).ok).toBe(true);
    c.stabilize();
    const divergentLast = c.raft(3).status().lastIndex;
    const divergent = c.logTerms(3);

    // Meanwhile 1 and 2 take turns leading, committing entries in several terms.
    const expected = ["committed"];
    for (const [round, leader] of [1, 2, 1, 2].entries()) {
      expect(c.elect(leader)).toBe(true);
      for (let i = 0; i < 10; i++) {
        c.propose(leader, `t${round}-${i}`);
        expected.push(`t${round}-${i}`);
      }
    }
    const leader = c.leader()!;
    expect(leader).toBe(2);
    const leaderLog = c.logTerms(leader);
    expect(leaderLog.length).toBeGreaterThan(divergentLast);
    // 3's suffix really conflicts with the leader's log.
    expect(divergent[divergentLast - 1]![1]).not.toBe(leaderLog[divergentLast - 1]![1]);
    const termsInLog = new Set(leaderLog.map(([, t]) => t)).size;
    expect(termsInLog).toBeGreaterThanOrEqual(5);

    c.heal();
    const mark = c.sent.length;
    for (let i = 0; i < 10 && c.logTerms(3).length !== leaderLog.length; i++) {
      c.tick(leader);
      c.stabilize();
    }
    expect(c.logTerms(3)).toEqual(leaderLog);
    expect(c.appliedData(3)).toEqual(expected);
    const rejections = c.sent
      .slice(mark)
      .filter((m) => m.type === "AppendEntriesResponse" && m.from === 3 && !m.success).length;
    expect(rejections).toBeGreaterThan(0);
    // Entry-by-entry backtracking would need about 40 rejections here.
    expect(rejections).toBeLessThanOrEqual(termsInLog);
  });
});

describe("flow control", () => {
  it("sends no more than maxEntriesPerMessage entries in one AppendEntries", () => {
    const c = new TestCluster(3, { maxEntriesPerMessage: 3 });
    expect(c.elect(1)).toBe(true);
    const mark = c.sent.length;
    for (let i = 0; i < 20; i++) c.raft(1).propose(enc.encode(`p${i}`));
    c.stabilize();
    const appends = c.sent.slice(mark).filter((m): m is AppendEntries => m.type === "AppendEntries");
    const sizes = appends.map((m) => m.entries.length);
    expect(Math.max(...sizes)).toBe(3);
    for (const id of c.ids) expect(c.appliedData(id)).toHaveLength(20);
  });

  it("sends only the prefix that fits maxBytesPerMessage, and at least one entry", () => {
    // Each 100-byte entry costs 124 bytes: two fit in 300, three do not.
    const c = new TestCluster(3, { maxBytesPerMessage: 300 });
    expect(c.elect(1)).toBe(true);
    const first = c.raft(1).status().lastIndex + 1;
    let mark = c.sent.length;
    for (let i = 0; i < 5; i++) c.raft(1).propose(new Uint8Array(100).fill(i));
    c.drain(1);
    const batches = appendsTo(c.sent.slice(mark), 2).map((m) => m.entries.map((e) => e.index));
    expect(batches).toEqual([
      [first, first + 1],
      [first + 2, first + 3],
      [first + 4],
    ]);
    c.stabilize();

    // An entry larger than the limit still goes, alone.
    mark = c.sent.length;
    c.raft(1).propose(new Uint8Array(1000));
    c.raft(1).propose(new Uint8Array(10));
    c.drain(1);
    const big = appendsTo(c.sent.slice(mark), 2);
    expect(big.map((m) => m.entries.map((e) => e.data.byteLength))).toEqual([[1000], [10]]);
    c.stabilize();
    for (const id of c.ids) expect(c.appliedData(id)).toHaveLength(7);
  });

  it("keeps at most maxInflightMessages appends in flight to a follower that never answers", () => {
    const K = 2;
    const c = new TestCluster(3, { maxInflightMessages: K, maxEntriesPerMessage: 1 });
    expect(c.elect(1)).toBe(true);
    expect(peerState(c, 1, 3)).toBe("replicate");
    c.cutLink(3, 1); // 3 receives but its answers are lost
    const mark = c.sent.length;
    for (let i = 0; i < 30; i++) {
      c.propose(1, `p${i}`);
      if (i % 5 === 0) {
        c.tick(1, 3); // heartbeats: answered by 2, lost from 3
        c.stabilize();
      }
    }
    expect(c.raft(1).status().role).toBe("leader");
    expect(c.appliedData(2)).toHaveLength(30);
    const withEntries = appendsTo(c.sent.slice(mark), 3).filter((m) => m.entries.length > 0);
    expect(withEntries.length).toBeLessThanOrEqual(K);
    expect(withEntries.length).toBe(K); // the window was filled, and not exceeded

    // Once 3 is heard from again it catches up.
    c.heal();
    for (let i = 0; i < 40 && c.appliedData(3).length < 30; i++) {
      c.tick(1);
      c.stabilize();
    }
    expect(c.appliedData(3)).toHaveLength(30);
  });

  it("after a rejection probes: state 'probe', at most one append per heartbeat until it hears back", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    for (let i = 0; i < 5; i++) c.propose(1, `missed-${i}`);
    c.heal();

    // Successful answers from 3 are lost; its rejections and heartbeat answers get through.
    const lostAck = (m: Message): boolean => m.type === "AppendEntriesResponse" && m.from === 3 && m.success;
    const settle = (): void => {
      c.drainAll();
      for (let i = 0; c.queue.length > 0; i++) {
        if (i > 100) throw new Error("no quiescence");
        c.deliverAll((m) => !lostAck(m));
      }
    };

    let mark = c.sent.length;
    c.raft(1).propose(enc.encode("after-heal"));
    settle();
    const rejected = c.sent
      .slice(mark)
      .filter((m) => m.type === "AppendEntriesResponse" && m.from === 3 && !m.success);
    expect(rejected.length).toBeGreaterThan(0);
    expect(peerState(c, 1, 3)).toBe("probe");

    for (let round = 0; round < 6; round++) {
      mark = c.sent.length;
      c.raft(1).propose(enc.encode(`more-${round}`));
      c.raft(1).propose(enc.encode(`more-${round}b`));
      settle();
      // Proposals alone do not send to a paused probe.
      expect(appendsTo(c.sent.slice(mark), 3)).toHaveLength(0);
      mark = c.sent.length;
      c.tick(1); // one heartbeat interval (heartbeatTicks = 1)
      settle();
      expect(appendsTo(c.sent.slice(mark), 3)).toHaveLength(1);
      expect(peerState(c, 1, 3)).toBe("probe");
    }

    // Hearing a success moves it back to replicating, and 3 catches up.
    c.tick(1);
    c.stabilize();
    expect(peerState(c, 1, 3)).toBe("replicate");
    expect(c.logTerms(3)).toEqual(c.logTerms(1));
  });
});

// ---- the Ready contract, on a single node -------------------------------------------------------

function singleNode(): { node: RaftNode; storage: MemoryStorage } {
  const storage = new MemoryStorage();
  const node = new RaftNode({ id: 1, voters: [1], electionTicks: 5, heartbeatTicks: 1, rng: new SeededRng(3) }, storage);
  for (let i = 0; i < 20 && !node.hasReady(); i++) node.tick();
  expect(node.status().role).toBe("leader");
  return { node, storage };
}

describe("the leader's own persistence", () => {
  it("counts toward commit only after advance(): propose, then the next Ready commits it", () => {
    const { node, storage } = singleNode();
    let rd = node.ready();
    expect(rd.entries.map((e) => e.type)).toEqual(["config"]); // the bootstrap membership, recorded
    expect(rd.committedEntries).toEqual([]);
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    storage.persist(rd.hardState, rd.entries);
    node.advance();

    rd = node.ready();
    expect(rd.entries).toEqual([]);
    expect(rd.committedEntries.map((e) => e.type)).toEqual(["config"]);
    expect(rd.hardState?.commit).toBe(1);
    storage.persist(rd.hardState, rd.entries);
    node.advance();
    expect(node.hasReady()).toBe(false);

    const p = node.propose(enc.encode("x"));
    expect(p).toEqual({ ok: true, value: { index: 2, term: 1 } });
    rd = node.ready();
    expect(rd.entries.map((e) => dec.decode(e.data))).toEqual(["x"]);
    expect(rd.committedEntries).toEqual([]);
    expect(rd.hardState).toBeUndefined();
    expect(node.status().commit).toBe(1);
    storage.persist(rd.hardState, rd.entries);
    node.advance();

    expect(node.status().commit).toBe(2);
    rd = node.ready();
    expect(rd.committedEntries.map((e) => dec.decode(e.data))).toEqual(["x"]);
    expect(rd.hardState?.commit).toBe(2);
    storage.persist(rd.hardState, rd.entries);
    node.advance();
    expect(node.status().applied).toBe(2);
  });
});

describe("the Ready contract", () => {
  it("rejects every input between ready() and advance()", () => {
    const { node } = singleNode();
    node.ready();
    expect(() => node.tick()).toThrow(/advance/);
    expect(() => node.step({ type: "HeartbeatResponse", from: 2, to: 1, term: 1, readSeq: 0, commit: 0 })).toThrow(/advance/);
    expect(() => node.propose(enc.encode("x"))).toThrow(/advance/);
    expect(() => node.readIndex("r")).toThrow(/advance/);
  });

  it("rejects ready() twice", () => {
    const { node } = singleNode();
    node.ready();
    expect(() => node.ready()).toThrow(/advance/);
  });

  it("rejects advance() without ready()", () => {
    const { node, storage } = singleNode();
    expect(() => node.advance()).toThrow(/ready/);
    const rd = node.ready();
    storage.persist(rd.hardState, rd.entries);
    node.advance();
    expect(() => node.advance()).toThrow(/ready/);
  });

  it("applies committed entries in order, exactly once, across many proposals and Readys", () => {
    // A small apply budget spreads committed entries over many Readys.
    const c = new TestCluster(3, { maxApplyBytesPerReady: 100, maxEntriesPerMessage: 7 });
    expect(c.elect(1)).toBe(true);
    const proposed: string[] = [];
    for (let batch = 0; batch < 30; batch++) {
      for (let i = 0; i <= batch % 7; i++) {
        const data = `b${batch}-${i}`;
        expect(c.raft(1).propose(enc.encode(data)).ok).toBe(true);
        proposed.push(data);
      }
      if (batch % 3 === 0) c.stabilize();
      else c.drain(1);
      if (batch % 4 === 0) c.deliverAll();
    }
    c.stabilize();
    const last = c.raft(1).status().lastIndex;
    for (const id of c.ids) {
      const n = c.node(id);
      expect(n.applied.map((e) => e.index)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      expect(c.appliedData(id)).toEqual(proposed);
      expect(n.raft.status()).toMatchObject({ commit: last, applied: last });
      // The budget really split the work.
      expect(n.readies.filter((rd) => rd.committedEntries.length > 0).length).toBeGreaterThan(20);
    }
  });
});
