import { describe, expect, it } from "vitest";
import { decodeMembership, type Message, type NodeId, type VoteRequest, type VoteResponse } from "../src/index.js";
import { storageWithTerms, TestCluster } from "./harness.js";

const T = 10; // the harness's default electionTicks

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function voteRequest(from: NodeId, to: NodeId, term: number, last: { index: number; term: number }, preVote = false): VoteRequest {
  return { type: "VoteRequest", from, to, term, preVote, lastLogIndex: last.index, lastLogTerm: last.term };
}

/** Step `m` into its receiver and carry out the Readys; returns the Readys it produced. */
function stepAndDrain(c: TestCluster, m: Message): ReturnType<TestCluster["node"]>["readies"] {
  const before = c.node(m.to).readies.length;
  c.raft(m.to).step(m);
  c.drain(m.to);
  return c.node(m.to).readies.slice(before);
}

function voteResponsesIn(msgs: readonly Message[], to: NodeId): VoteResponse[] {
  return msgs.filter((m): m is VoteResponse => m.type === "VoteResponse" && m.to === to);
}

/** Tick every node once and deliver until quiet: one unit of time on a reliable network. */
function step(c: TestCluster, ticks = 1): void {
  for (let i = 0; i < ticks; i++) {
    c.tickAll();
    c.stabilize();
  }
}

/** Cut every link between the two groups, both ways. */
function partition(c: TestCluster, a: readonly NodeId[], b: readonly NodeId[]): void {
  for (const x of a) {
    for (const y of b) {
      c.cutLink(x, y);
      c.cutLink(y, x);
    }
  }
}

/** Ticks at which `id`, ticked alone and hearing nothing, starts a (pre-)campaign. */
function campaignTicks(c: TestCluster, id: NodeId, campaigns: number): number[] {
  const at: number[] = [];
  for (let tick = 1; at.length < campaigns && tick <= 100 * T; tick++) {
    const before = c.sent.length;
    c.tick(id);
    if (c.sent.slice(before).some((m) => m.type === "VoteRequest" && m.from === id)) at.push(tick);
    c.queue = []; // nobody answers
  }
  return at;
}

describe("randomized election timeout", () => {
  it("a lone follower campaigns after T..2T-1 ticks, re-randomized each time, with a spread of values", () => {
    const firstTimeouts: number[] = [];
    const laterTimeouts: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const c = new TestCluster(3, { seed });
      for (const id of c.ids) {
        const ticks = campaignTicks(c, id, 4);
        expect(ticks).toHaveLength(4);
        firstTimeouts.push(ticks[0]!);
        for (let i = 1; i < ticks.length; i++) laterTimeouts.push(ticks[i]! - ticks[i - 1]!);
        // The isolated node rehearses with pre-vote: its term never moves.
        expect(c.raft(id).status().term).toBe(0);
      }
    }
    for (const t of [...firstTimeouts, ...laterTimeouts]) {
      expect(t).toBeGreaterThanOrEqual(T);
      expect(t).toBeLessThanOrEqual(2 * T - 1);
    }
    expect(new Set(firstTimeouts).size).toBeGreaterThan(1);
    expect(new Set(laterTimeouts).size).toBeGreaterThan(1);
  });
});

describe("winning an election", () => {
  it("a candidate that wins becomes leader and appends an entry of its term: the bootstrap membership first, then no-ops", () => {
    const c = new TestCluster(3);
    expect(c.elect(2)).toBe(true);
    const st = c.raft(2).status();
    expect(st.role).toBe("leader");
    expect(st.term).toBe(1);
    expect(st.lastIndex).toBe(1);
    // The cluster's first leader records the bootstrap membership in the log.
    const first = c.node(2).storage.entries(1, 2, Infinity)[0]!;
    expect(first).toMatchObject({ index: 1, term: st.term, type: "config" });
    expect(decodeMembership(first.data).members.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(c.raft(2).status().membershipIndex).toBe(1);
    // It is replicated, and commits on the leader: an entry of its own term.
    expect(st.commit).toBe(1);
    for (const id of c.ids) {
      expect(c.raft(id).status()).toMatchObject({ term: 1, leaderId: 2 });
      expect(c.logTerms(id)).toEqual([[1, 1]]);
    }
    // The state machine is not shown it as data.
    expect(c.node(2).applied.map((e) => e.type)).toEqual(["config"]);
    for (const id of c.ids) expect(c.appliedData(id)).toEqual([]);

    // The next leader's entry is an empty no-op: the membership is in the log already.
    c.isolate(2);
    let next: NodeId | undefined;
    for (let i = 0; i < 200 && (next === undefined || next === 2); i++) {
      c.tick(1);
      c.tick(3);
      c.stabilize();
      next = [1, 3].find((id) => c.raft(id).status().role === "leader");
    }
    if (next === undefined) throw new Error("no new leader");
    const noop = c.node(next).storage.entries(2, 3, Infinity)[0]!;
    expect(noop).toMatchObject({ index: 2, type: "noop" });
    expect(noop.data.byteLength).toBe(0);
  });

  it("every follower learns that the no-op committed without waiting for a heartbeat", () => {
    // No ticks after the election: once the cluster is quiet, every follower that acknowledged
    // the no-op must have been told it committed. The follower whose acknowledgement arrives
    // after the commit was paused (probe state) when the leader broadcast the new commit index,
    // so the leader owes it a message carrying that index.
    const c = new TestCluster(3);
    expect(c.elect(2)).toBe(true);
    expect(c.raft(2).status().commit).toBe(1);
    for (const id of c.ids) expect(c.raft(id).status().commit, `node ${id}`).toBe(1);
  });

  it("a leader of a later term appends a no-op of that later term", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.propose(1, "a");
    c.isolate(1);
    for (let i = 0; i < 100 && c.raft(2).status().role !== "leader" && c.raft(3).status().role !== "leader"; i++) {
      c.tick(2);
      c.tick(3);
      c.stabilize();
    }
    const leader = c.raft(2).status().role === "leader" ? 2 : 3;
    const st = c.raft(leader).status();
    expect(st.role).toBe("leader");
    expect(st.term).toBe(2);
    expect(c.logTerms(leader)).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(c.node(leader).storage.entries(3, 4, Infinity)[0]!.type).toBe("noop");
  });
});

describe("voting", () => {
  it("grants at most one vote per term, persisting the vote before the response may leave", () => {
    const c = new TestCluster(3, { preVote: false });
    const readies = stepAndDrain(c, voteRequest(2, 1, 1, { index: 0, term: 0 }));
    expect(readies).toHaveLength(1);
    const rd = readies[0]!;
    // The vote is in the hard state of the very Ready that carries the response...
    expect(rd.hardState).toEqual({ term: 1, vote: 2, commit: 0 });
    // ...and the response waits for that Ready to be persisted: it is a persisted message.
    expect(voteResponsesIn(rd.persistedMessages, 2)).toEqual([
      { type: "VoteResponse", from: 1, to: 2, term: 1, preVote: false, granted: true },
    ]);
    expect(voteResponsesIn(rd.messages, 2)).toEqual([]);
    expect(c.node(1).storage.hardState()).toEqual({ term: 1, vote: 2, commit: 0 });

    // Another candidate of the same term, however up to date, is refused.
    const second = stepAndDrain(c, voteRequest(3, 1, 1, { index: 5, term: 1 }));
    const answers = second.flatMap((r) => voteResponsesIn(r.persistedMessages, 3));
    expect(answers).toEqual([{ type: "VoteResponse", from: 1, to: 3, term: 1, preVote: false, granted: false }]);
    expect(c.raft(1).status().vote).toBe(2);
    expect(c.node(1).storage.hardState().vote).toBe(2);

    // The vote survives a crash: after a restart the node still refuses 3 in term 1...
    c.restart(1);
    const afterRestart = stepAndDrain(c, voteRequest(3, 1, 1, { index: 5, term: 1 }));
    expect(afterRestart.flatMap((r) => voteResponsesIn(r.persistedMessages, 3)).map((m) => m.granted)).toEqual([
      false,
    ]);
    // ...and a repeated request from 2 is granted again (the same vote, not a second one).
    const repeat = stepAndDrain(c, voteRequest(2, 1, 1, { index: 0, term: 0 }));
    expect(repeat.flatMap((r) => voteResponsesIn(r.persistedMessages, 2)).map((m) => m.granted)).toEqual([true]);
    expect(c.raft(1).status().vote).toBe(2);

    // A new term frees the vote.
    const nextTerm = stepAndDrain(c, voteRequest(3, 1, 2, { index: 0, term: 0 }));
    expect(nextTerm.flatMap((r) => voteResponsesIn(r.persistedMessages, 3)).map((m) => m.granted)).toEqual([true]);
    expect(c.raft(1).status()).toMatchObject({ term: 2, vote: 3 });
  });

  it("with testingBugs.voteTwicePerTerm the second candidate of the term is granted too (the check above can fail)", () => {
    const c = new TestCluster(3, { preVote: false, testingBugs: { voteTwicePerTerm: true } });
    stepAndDrain(c, voteRequest(2, 1, 1, { index: 0, term: 0 }));
    const second = stepAndDrain(c, voteRequest(3, 1, 1, { index: 5, term: 1 }));
    expect(second.flatMap((r) => voteResponsesIn(r.persistedMessages, 3)).map((m) => m.granted)).toEqual([true]);
  });

  describe("up-to-date log rule: the voter's log is [1, 1, 2]", () => {
    const cases: { name: string; last: { index: number; term: number }; granted: boolean }[] = [
      { name: "rejects an older last term even with a longer log", last: { index: 10, term: 1 }, granted: false },
      { name: "rejects the same last term with a shorter log", last: { index: 2, term: 2 }, granted: false },
      { name: "grants the same last term with an equally long log", last: { index: 3, term: 2 }, granted: true },
      { name: "grants the same last term with a longer log", last: { index: 4, term: 2 }, granted: true },
      { name: "grants a newer last term even with a shorter log", last: { index: 1, term: 3 }, granted: true },
    ];
    for (const { name, last, granted } of cases) {
      for (const preVote of [false, true]) {
        it(`${name} (${preVote ? "pre-vote" : "vote"})`, () => {
          const c = new TestCluster(3, {}, new Map([[1, storageWithTerms([1, 1, 2], 2)]]));
          const readies = stepAndDrain(c, voteRequest(2, 1, 4, last, preVote));
          const answers = readies.flatMap((r) => voteResponsesIn(r.persistedMessages, 2));
          expect(answers).toHaveLength(1);
          expect(answers[0]).toMatchObject({ preVote, granted });
          const st = c.raft(1).status();
          if (preVote) {
            expect(st).toMatchObject({ term: 2, vote: 0 }); // a pre-vote changes nothing
          } else {
            expect(st.term).toBe(4); // the newer term is adopted either way
            expect(st.vote).toBe(granted ? 2 : 0);
          }
        });
      }
    }
  });
});

describe("pre-vote", () => {
  it("an isolated node does not raise its term, and on rejoining the leader keeps leading in the same term", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    const term = c.raft(1).status().term;
    c.isolate(3);
    step(c, 10 * T);
    // Node 3 timed out many times but only rehearsed: nothing of its state moved.
    expect(c.raft(3).status().term).toBe(term);
    expect(c.raft(3).status().role).not.toBe("candidate");
    expect(c.sent.some((m) => m.type === "VoteRequest" && m.from === 3 && m.preVote)).toBe(true);
    expect(c.sent.some((m) => m.type === "VoteRequest" && m.from === 3 && !m.preVote)).toBe(false);

    c.heal();
    step(c, 3 * T);
    for (const id of c.ids) {
      expect(c.raft(id).status()).toMatchObject({ term, leaderId: 1 });
    }
    expect(c.raft(1).status().role).toBe("leader");
    expect(c.raft(3).status().role).toBe("follower");
    c.propose(1, "after rejoin");
    for (const id of c.ids) expect(c.appliedData(id)).toEqual(["after rejoin"]);
  });

  it("with preVote: false an isolated node's term keeps growing (contrast)", () => {
    const c = new TestCluster(3, { preVote: false });
    expect(c.elect(1)).toBe(true);
    const term = c.raft(1).status().term;
    c.isolate(3);
    const ticks = 10 * T;
    step(c, ticks);
    // A timeout is at most 2T - 1 ticks, so it campaigned, raising its term, at least this often.
    expect(c.raft(3).status().term).toBeGreaterThanOrEqual(term + Math.floor(ticks / (2 * T)));
    expect(c.raft(1).status()).toMatchObject({ role: "leader", term });
  });
});

describe("check-quorum", () => {
  it("a leader cut off from a majority steps down within T..2T ticks, without changing term", () => {
    const c = new TestCluster(5);
    expect(c.elect(1)).toBe(true);
    const term = c.raft(1).status().term;
    // The leader keeps node 2; nodes 3, 4, 5 are the majority on the other side.
    partition(c, [1, 2], [3, 4, 5]);
    let steppedDownAt: number | undefined;
    for (let tick = 1; tick <= 3 * T; tick++) {
      step(c);
      if (c.raft(1).status().role !== "leader") {
        steppedDownAt = tick;
        break;
      }
    }
    expect(steppedDownAt).toBeDefined();
    expect(steppedDownAt!).toBeGreaterThanOrEqual(T);
    expect(steppedDownAt!).toBeLessThanOrEqual(2 * T);
    expect(c.raft(1).status()).toMatchObject({ role: "follower", term, leaderId: 0 });
    // A proposal to it now fails rather than waiting forever.
    expect(c.raft(1).propose(enc("lost"))).toEqual({ ok: false, error: { type: "NotLeader", leaderId: undefined } });
  });

  it("a leader that hears from a majority keeps leading", () => {
    const c = new TestCluster(5);
    expect(c.elect(1)).toBe(true);
    const term = c.raft(1).status().term;
    partition(c, [1, 2, 3], [4, 5]);
    for (let tick = 1; tick <= 5 * T; tick++) {
      step(c);
      expect(c.raft(1).status(), `tick ${tick}`).toMatchObject({ role: "leader", term });
    }
  });
});

describe("leader lease", () => {
  it("a follower that heard from the leader recently ignores a higher-term VoteRequest", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    const before = c.raft(2).status();
    expect(before.leaderId).toBe(1);
    const up = { index: before.lastIndex, term: before.lastTerm };

    for (const preVote of [false, true]) {
      const readies = stepAndDrain(c, voteRequest(3, 2, before.term + 5, up, preVote));
      // No term change, no vote, no answer at all.
      expect(c.raft(2).status()).toMatchObject({ term: before.term, vote: before.vote, leaderId: 1 });
      expect(readies.flatMap((r) => [...r.messages, ...r.persistedMessages])).toEqual([]);
    }

    // Contrast: once the lease (one tick short of the election timeout) passes without the
    // leader, the same request counts. One tick earlier it is still ignored.
    c.queue = [];
    c.tick(2, T - 2);
    c.queue = [];
    expect(stepAndDrain(c, voteRequest(3, 2, before.term + 5, up)).flatMap((r) => r.persistedMessages)).toEqual([]);
    expect(c.raft(2).status().term).toBe(before.term);
    c.tick(2, 1);
    c.queue = [];
    const readies = stepAndDrain(c, voteRequest(3, 2, before.term + 5, up));
    expect(c.raft(2).status()).toMatchObject({ term: before.term + 5, vote: 3 });
    expect(readies.flatMap((r) => voteResponsesIn(r.persistedMessages, 3)).map((m) => m.granted)).toEqual([true]);
  });
});

describe("stale leader", () => {
  it("steps down when a message of a higher term reaches it, and its uncommitted proposal is dropped", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.isolate(1);
    // Only 2 and 3 have a clock: one of them takes over in a newer term.
    const newLeader = (): NodeId | undefined => [2, 3].find((id) => c.raft(id).status().role === "leader");
    for (let i = 0; i < 20 * T && newLeader() === undefined; i++) {
      c.tick(2);
      c.tick(3);
      c.stabilize();
    }
    const leader = newLeader()!;
    expect(leader).toBeDefined();
    const newTerm = c.raft(leader).status().term;
    expect(newTerm).toBeGreaterThan(1);

    // Node 1 has not heard and still believes it leads term 1; it even accepts a proposal.
    expect(c.raft(1).status()).toMatchObject({ role: "leader", term: 1 });
    expect(c.raft(1).propose(enc("stale")).ok).toBe(true);
    c.stabilize();

    c.heal();
    c.tick(leader); // a heartbeat of the new term
    c.stabilize();
    expect(c.raft(1).status()).toMatchObject({ role: "follower", term: newTerm, leaderId: leader });

    c.propose(leader, "fresh");
    for (const id of c.ids) {
      expect(c.appliedData(id)).not.toContain("stale");
      expect(c.logTerms(id)).toEqual(c.logTerms(leader));
    }
    expect(c.appliedData(leader)).toEqual(["fresh"]);
  });

  it("a leader steps down on a higher-term AppendEntriesResponse too", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    const readies = stepAndDrain(c, {
      type: "AppendEntriesResponse",
      from: 2,
      to: 1,
      term: 7,
      success: false,
      matchIndex: 0,
      rejectedIndex: 1,
      conflictTerm: 0,
      conflictIndex: 1,
    });
    expect(c.raft(1).status()).toMatchObject({ role: "follower", term: 7, leaderId: 0 });
    expect(readies.some((r) => r.softState?.role === "follower")).toBe(true);
    expect(readies.some((r) => r.hardState?.term === 7)).toBe(true);
  });
});

describe("proposals", () => {
  it("a proposal to a follower fails with NotLeader naming the known leader", () => {
    const c = new TestCluster(3);
    expect(c.raft(2).propose(enc("too early"))).toEqual({ ok: false, error: { type: "NotLeader", leaderId: undefined } });
    expect(c.elect(1)).toBe(true);
    for (const id of [2, 3]) {
      expect(c.raft(id).propose(enc("x"))).toEqual({ ok: false, error: { type: "NotLeader", leaderId: 1 } });
    }
    c.stabilize();
    // Nothing was appended anywhere by the refused proposals.
    for (const id of c.ids) expect(c.raft(id).status().lastIndex).toBe(1);
  });

  it("a single-node cluster elects itself and commits proposals alone", () => {
    const c = new TestCluster(1);
    expect(c.elect(1)).toBe(true);
    expect(c.raft(1).status()).toMatchObject({ role: "leader", term: 1, leaderId: 1 });
    expect(c.propose(1, "a")).toBe(2);
    expect(c.propose(1, "b")).toBe(3);
    expect(c.appliedData(1)).toEqual(["a", "b"]);
    expect(c.raft(1).status()).toMatchObject({ commit: 3, applied: 3 });
    expect(c.logTerms(1)).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });
});
