import { describe, expect, it } from "vitest";
import { voterIds, type ConfChange, type Membership, type Message, type NodeId } from "../src/index.js";
import { TestCluster } from "./harness.js";

const voters = (m: Membership): NodeId[] => voterIds(m);
const learners = (m: Membership): NodeId[] => m.members.filter((x) => x.role === "learner").map((x) => x.id);

/** Propose a change on the leader and settle; throws if refused. Returns the entry's index. */
function change(c: TestCluster, leader: NodeId, ch: ConfChange): number {
  const r = c.raft(leader).proposeConfChange(ch);
  if (!r.ok) throw new Error(`change refused: ${JSON.stringify(r.error)}`);
  c.stabilize();
  return r.value.index;
}

/** Tick only `ids` (the others are cut off or idle) until one of them leads; returns it. */
function electAmong(c: TestCluster, ids: NodeId[], deliver: (m: Message) => boolean = () => true): NodeId {
  for (let i = 0; i < 1000; i++) {
    for (const id of ids) c.tick(id);
    c.deliverAll(deliver);
    const leader = ids.find((id) => c.raft(id).status().role === "leader");
    if (leader !== undefined) return leader;
  }
  throw new Error(`none of ${ids.join(", ")} became leader`);
}

describe("membership changes", () => {
  it("a node with no configuration (joining) never campaigns", () => {
    const c = new TestCluster([1, 2, 3, 4], { bootstrapVoters: [1, 2, 3] });
    c.tick(4, 200);
    const st = c.raft(4).status();
    expect(st.role).toBe("follower");
    expect(st.term).toBe(0);
    expect(c.sent.filter((m) => m.from === 4)).toHaveLength(0);
  });

  it("a learner catches up, does not count toward quorum, and never campaigns", () => {
    const c = new TestCluster([1, 2, 3, 4], { bootstrapVoters: [1, 2, 3] });
    expect(c.elect(1)).toBe(true);
    c.propose(1, "before");
    change(c, 1, { type: "addLearner", id: 4, address: "n4" });
    c.propose(1, "after");
    expect(c.appliedData(4)).toEqual(["before", "after"]);
    expect(learners(c.raft(4).status().membership)).toEqual([4]);

    // Voters 2 and 3 down: the learner's acknowledgement must not make a majority.
    c.isolate(2);
    c.isolate(3);
    const r = c.raft(1).propose(new TextEncoder().encode("no quorum"));
    expect(r.ok).toBe(true);
    c.stabilize();
    expect(c.raft(4).status().lastIndex).toBe(c.raft(1).status().lastIndex);
    expect(c.raft(1).status().commit).toBeLessThan(c.raft(1).status().lastIndex);

    // The learner hears nothing from a leader for a long time: it stays a follower in term 1... of its leader.
    c.heal();
    c.isolate(4);
    const term = c.raft(4).status().term;
    c.tick(4, 200);
    expect(c.raft(4).status().role).toBe("follower");
    expect(c.raft(4).status().term).toBe(term);
  });

  it("promoting a learner makes it count: four voters need three", () => {
    const c = new TestCluster([1, 2, 3, 4], { bootstrapVoters: [1, 2, 3] });
    expect(c.elect(1)).toBe(true);
    change(c, 1, { type: "addLearner", id: 4, address: "n4" });
    change(c, 1, { type: "addVoter", id: 4 });
    for (const id of [1, 2, 3, 4]) expect(voters(c.raft(id).status().membership)).toEqual([1, 2, 3, 4]);
    expect(c.raft(1).status().membership.members.find((m) => m.id === 4)?.address).toBe("n4");

    c.isolate(3);
    c.isolate(4);
    const before = c.raft(1).status().commit;
    c.raft(1).propose(new TextEncoder().encode("two of four"));
    c.stabilize();
    expect(c.raft(1).status().commit).toBe(before);
    c.heal();
    c.tick(1, 2);
    c.stabilize();
    expect(c.raft(1).status().commit).toBe(c.raft(1).status().lastIndex);

    // The new voter can now lead.
    expect(c.raft(1).transferLeadership(4).ok).toBe(true);
    c.stabilize();
    expect(c.leader()).toBe(4);
  });

  it("allows one uncommitted change at a time, and none before the leader commits in its term", () => {
    const c = new TestCluster([1, 2, 3, 4, 5], { bootstrapVoters: [1, 2, 3] });
    expect(c.elect(1)).toBe(true);
    c.isolate(2);
    c.isolate(3);
    const first = c.raft(1).proposeConfChange({ type: "addLearner", id: 4, address: "n4" });
    expect(first.ok).toBe(true);
    c.stabilize();
    const second = c.raft(1).proposeConfChange({ type: "addLearner", id: 5, address: "n5" });
    expect(second.ok ? undefined : second.error.type).toBe("ConfChangePending");

    // A new leader has not committed its no-op yet: it must wait for it.
    c.heal();
    c.isolate(1);
    const leader = electAmong(c, [2, 3], (m) => m.type === "VoteRequest" || m.type === "VoteResponse");
    const early = c.raft(leader).proposeConfChange({ type: "addLearner", id: 5, address: "n5" });
    expect(early.ok ? undefined : early.error.type).toBe("ConfChangePending");
    c.stabilize();
    expect(c.raft(leader).proposeConfChange({ type: "addLearner", id: 5, address: "n5" }).ok).toBe(true);
  });

  it("refuses changes that do not apply, naming why", () => {
    const c = new TestCluster([1, 2], { bootstrapVoters: [1, 2] });
    expect(c.elect(1)).toBe(true);
    const cases: [ConfChange, RegExp][] = [
      [{ type: "addLearner", id: 2, address: "x" }, /already a voter/],
      [{ type: "addVoter", id: 2 }, /already a voter/],
      [{ type: "addVoter", id: 7 }, /give its address/],
      [{ type: "remove", id: 9 }, /not a member/],
      [{ type: "addLearner", id: 0, address: "x" }, /positive integer/],
    ];
    for (const [ch, why] of cases) {
      const r = c.raft(1).proposeConfChange(ch);
      expect(r.ok).toBe(false);
      if (!r.ok && r.error.type === "BadConfChange") expect(r.error.reason).toMatch(why);
      else throw new Error(`expected BadConfChange for ${JSON.stringify(ch)}`);
    }
    change(c, 1, { type: "remove", id: 2 });
    const last = c.raft(1).proposeConfChange({ type: "remove", id: 1 });
    expect(!last.ok && last.error.type === "BadConfChange" && /last voter/.test(last.error.reason)).toBe(true);
  });

  it("a configuration is in force once appended, and a truncated one reverts to the one before", () => {
    const c = new TestCluster([1, 2, 3, 4, 5, 6], { bootstrapVoters: [1, 2, 3, 4, 5] });
    expect(c.elect(1)).toBe(true);
    // Only node 2 receives the change; it cannot commit (two of five).
    for (const to of [3, 4, 5]) c.cutLink(1, to);
    expect(c.raft(1).proposeConfChange({ type: "addLearner", id: 6, address: "n6" }).ok).toBe(true);
    c.stabilize();
    expect(learners(c.raft(2).status().membership)).toEqual([6]);
    expect(c.raft(2).status().commit).toBeLessThan(c.raft(2).status().lastIndex);

    // Nodes 3-5 elect a leader whose log overwrites node 2's uncommitted change.
    c.heal();
    c.isolate(1);
    c.isolate(2);
    const leader = electAmong(c, [3, 4, 5]);
    c.propose(leader, "new term");
    c.heal();
    c.isolate(1);
    c.tick(leader, 2);
    c.stabilize();
    expect(c.appliedData(2)).toContain("new term");
    expect(c.raft(2).status().membership.members.map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it("a leader that removes itself commits the change without its own vote, hands over, and never campaigns again", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.propose(1, "x");
    change(c, 1, { type: "remove", id: 1 });
    expect(c.raft(1).status().role).toBe("follower");
    const leader = c.leader();
    expect(leader === 2 || leader === 3).toBe(true); // by TimeoutNow, without a timeout
    for (const id of [2, 3]) expect(voters(c.raft(id).status().membership)).toEqual([2, 3]);
    c.propose(leader!, "after");
    const term = c.raft(1).status().term;
    const sentBefore = c.sent.length;
    c.isolate(1);
    c.tick(1, 300);
    expect(c.raft(1).status().term).toBe(term);
    expect(c.sent.slice(sentBefore).filter((m) => m.from === 1)).toHaveLength(0);
  });

  it("a removed node that missed its removal cannot disrupt the cluster", () => {
    const c = new TestCluster(3, { preVote: false });
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    change(c, 1, { type: "remove", id: 3 });
    const term = c.raft(1).status().term;
    c.heal();
    // Node 3 still thinks it is a voter; without pre-vote it raises its term and asks for votes.
    for (let i = 0; i < 50; i++) {
      c.tick(3, 5);
      c.tick(1);
      c.stabilize();
    }
    expect(c.raft(3).status().term).toBeGreaterThan(term);
    expect(c.raft(1).status().role).toBe("leader");
    expect(c.raft(1).status().term).toBe(term);
    expect(c.raft(2).status().term).toBe(term);
    expect(c.raft(1).status().peers.map((p) => p.id)).toEqual([2]);
  });

  it("a snapshot carries the membership to a node that joins after compaction, and restarts keep it", () => {
    const c = new TestCluster([1, 2, 3, 4], { bootstrapVoters: [1, 2, 3], maxBytesPerMessage: 64 });
    expect(c.elect(1)).toBe(true);
    change(c, 1, { type: "remove", id: 3 });
    for (let i = 0; i < 5; i++) c.propose(1, `w${i}`);
    const st = c.raft(1).status();
    const storage = c.node(1).storage;
    storage.saveSnapshot({
      meta: { index: st.applied, term: storage.term(st.applied)!, membership: c.raft(1).membershipAt(st.applied) },
      data: new Uint8Array([1, 2, 3]),
    });
    storage.compact(st.applied);
    expect(storage.configEntries()).toHaveLength(0);

    change(c, 1, { type: "addLearner", id: 4, address: "n4" });
    for (let i = 0; i < 20 && c.node(4).installed.length === 0; i++) {
      c.tick(1);
      c.stabilize();
    }
    expect(c.node(4).installed).toHaveLength(1);
    c.tick(1, 2);
    c.stabilize();
    expect(voters(c.raft(4).status().membership)).toEqual([1, 2]);
    expect(learners(c.raft(4).status().membership)).toEqual([4]);

    // Restarted, node 4 rebuilds it from its snapshot and log; node 1 from its config entry.
    c.restart(4);
    c.restart(1);
    expect(voters(c.raft(4).status().membership)).toEqual([1, 2]);
    expect(learners(c.raft(4).status().membership)).toEqual([4]);
    expect(learners(c.raft(1).status().membership)).toEqual([4]);
    expect(c.raft(1).membershipAt(st.applied).members.map((m) => m.id)).toEqual([1, 2]);
  });

  it("a transfer cannot target a learner", () => {
    const c = new TestCluster([1, 2, 3, 4], { bootstrapVoters: [1, 2, 3] });
    expect(c.elect(1)).toBe(true);
    change(c, 1, { type: "addLearner", id: 4, address: "n4" });
    const r = c.raft(1).transferLeadership(4);
    expect(r.ok ? undefined : r.error.type).toBe("BadTransferTarget");
  });
});

describe("configuration entry encoding", () => {
  it("round-trips any membership, addresses in any script, and refuses damaged bytes", async () => {
    const { encodeMembership, decodeMembership } = await import("../src/index.js");
    const fc = (await import("fast-check")).default;
    const member = fc.record({ id: fc.integer({ min: 1, max: 1e9 }), role: fc.constantFrom("voter" as const, "learner" as const), address: fc.string({ unit: "grapheme" }) });
    fc.assert(
      fc.property(fc.uniqueArray(member, { selector: (m) => m.id, maxLength: 8 }), (members) => {
        const m = { members: [...members].sort((a, b) => a.id - b.id) };
        expect(decodeMembership(encodeMembership(m))).toEqual(m);
      }),
    );
    const good = encodeMembership({ members: [{ id: 1, role: "voter", address: "é" }] });
    expect(() => decodeMembership(good.subarray(0, good.length - 3))).toThrow();
    expect(() => decodeMembership(Uint8Array.from([0xc0, 0x80]))).toThrow(/utf8|JSON/);
    expect(() => decodeMembership(Uint8Array.from([0xed, 0xa0, 0x80]))).toThrow(/utf8|JSON/);
    expect(() => decodeMembership(new TextEncoder().encode('{"v":1,"members":[{"id":1,"role":"boss","address":""}]}'))).toThrow(/role/);
    expect(() => decodeMembership(new TextEncoder().encode('{"v":1,"members":[{"id":2,"role":"voter","address":""},{"id":2,"role":"voter","address":""}]}'))).toThrow(/twice/);
    // Same bytes as the platform's encoder, so other implementations can read them.
    const text = '{"v":1,"members":[{"id":1,"role":"voter","address":"ü😀"}]}';
    expect(encodeMembership({ members: [{ id: 1, role: "voter", address: "ü😀" }] })).toEqual(new TextEncoder().encode(text));
  });

  it("refuses a role nested deep in arrays with its own error, not a stack overflow (found by pnpm fuzz)", async () => {
    const { decodeMembership } = await import("../src/index.js");
    const depth = 20_000;
    const role = `${"[".repeat(depth)}1${"]".repeat(depth)}`;
    const bytes = new TextEncoder().encode(`{"v":1,"members":[{"id":1,"role":${role},"address":""}]}`);
    let thrown: unknown;
    try {
      decodeMembership(bytes);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(RangeError);
    expect((thrown as Error).message).toBe("configuration entry member 1 has role an array");
  });

  it("refuses ids past 2^53 - 1, which the transport could not encode", async () => {
    const { decodeMembership } = await import("../src/index.js");
    for (const id of ["1e300", "9007199254740992"]) {
      const bytes = new TextEncoder().encode(`{"v":1,"members":[{"id":${id},"role":"voter","address":""}]}`);
      expect(() => decodeMembership(bytes), id).toThrow("has no valid id");
    }
    expect(decodeMembership(new TextEncoder().encode('{"v":1,"members":[{"id":9007199254740991,"role":"voter","address":""}]}')).members[0]!.id).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });
});

describe("heartbeats meant for a previous incarnation", () => {
  it("a node with an empty log takes no commit from a heartbeat sent to the node it replaced, and says where it is", async () => {
    const { MemoryStorage, RaftNode, SeededRng } = await import("../src/index.js");
    const n = new RaftNode({ id: 3, voters: [], electionTicks: 10, heartbeatTicks: 1, rng: new SeededRng(1) }, new MemoryStorage());
    n.step({ type: "Heartbeat", from: 1, to: 3, term: 5, commit: 194, readSeq: 7 });
    const rd = n.ready();
    expect(n.status().commit).toBe(0);
    expect(rd.persistedMessages).toContainEqual({ type: "HeartbeatResponse", from: 3, to: 1, term: 5, readSeq: 7, commit: 0 });
  });

  it("a leader answers a follower whose commit lags what heartbeats could tell it with an append", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.propose(1, "x");
    const st = c.raft(1).status();
    c.queue = [];
    c.raft(1).step({ type: "HeartbeatResponse", from: 2, to: 1, term: st.term, readSeq: 0, commit: 0 });
    c.drain(1);
    const append = c.queue.find((m) => m.type === "AppendEntries" && m.to === 2);
    expect(append).toMatchObject({ leaderCommit: st.commit });
    // Caught up in commit, it gets none.
    c.queue = [];
    c.raft(1).step({ type: "HeartbeatResponse", from: 2, to: 1, term: st.term, readSeq: 0, commit: st.commit });
    c.drain(1);
    expect(c.queue.filter((m) => m.type === "AppendEntries")).toHaveLength(0);
  });
});

describe("terms reach candidates that no configuration asks", () => {
  it("a vote request from a lower term is refused with this node's term, so the candidate catches up", async () => {
    const { MemoryStorage, RaftNode, SeededRng } = await import("../src/index.js");
    const storage = new MemoryStorage();
    storage.persist({ term: 5, vote: 0, commit: 0 }, []);
    const n = new RaftNode({ id: 2, voters: [1, 2], electionTicks: 10, heartbeatTicks: 1, rng: new SeededRng(1) }, storage);
    n.step({ type: "VoteRequest", from: 1, to: 2, term: 3, preVote: false, lastLogIndex: 9, lastLogTerm: 3 });
    const rd = n.ready();
    expect([...rd.messages, ...rd.persistedMessages]).toContainEqual({ type: "VoteResponse", from: 2, to: 1, term: 5, preVote: false, granted: false });
  });
});
