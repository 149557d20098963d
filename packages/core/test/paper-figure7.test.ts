import { describe, expect, it } from "vitest";
import type { AppendEntriesResponse, Entry, Message, NodeId, VoteResponse } from "../src/index.js";
import { storageWithTerms, TestCluster } from "./harness.js";

/**
 * Raft paper, figure 7: the logs a new leader of term 8 may find on its followers. Each
 * follower is missing entries (a, b), has extra uncommitted entries (c, d), or both (e, f).
 * The leader must bring every one of them to its own log by AppendEntries alone.
 */
const LEADER: NodeId = 1;
const A: NodeId = 2;
const B: NodeId = 3;
const C: NodeId = 4;
const D: NodeId = 5;
const E: NodeId = 6;
const F: NodeId = 7;

const LEADER_LOG = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
const FOLLOWER_LOGS = new Map<NodeId, number[]>([
  [A, [1, 1, 1, 4, 4, 5, 5, 6, 6]],
  [B, [1, 1, 1, 4]],
  [C, [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]],
  [D, [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]],
  [E, [1, 1, 1, 4, 4, 4, 4]],
  [F, [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]],
]);

/**
 * Current terms: the leader-to-be has seen term 7 (it becomes leader of term 8); d holds
 * entries of term 7 so it has seen term 7 too; the others' terms are those of their last entry.
 */
function figure7Cluster(): TestCluster {
  const storages = new Map([[LEADER, storageWithTerms(LEADER_LOG, 7)]]);
  for (const [id, terms] of FOLLOWER_LOGS) storages.set(id, storageWithTerms(terms));
  return new TestCluster([LEADER, A, B, C, D, E, F], {}, storages);
}

/** A node's persisted log, entry by entry. */
function entriesOf(c: TestCluster, id: NodeId): Entry[] {
  const s = c.node(id).storage;
  return s.lastIndex() < s.firstIndex() ? [] : s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity);
}

function termsOf(c: TestCluster, id: NodeId): number[] {
  return c.logTerms(id).map(([, term]) => term);
}

function isRejection(m: Message, from: NodeId, to: NodeId): m is AppendEntriesResponse {
  return m.type === "AppendEntriesResponse" && m.from === from && m.to === to && !m.success;
}

/**
 * The distinct terms of the follower's entries that the leader's log does not hold at the same
 * index: the part of its log the leader has to find and overwrite.
 */
function conflictingTerms(follower: readonly number[], leader: readonly number[]): Set<number> {
  const out = new Set<number>();
  follower.forEach((term, i) => {
    if (leader[i] !== term) out.add(term);
  });
  return out;
}

describe("Raft paper figure 7: a new leader repairs every follower's log", () => {
  it("elects the leader of term 8 with the votes of a, b, e and f (c and d refuse: their logs are more up to date)", () => {
    const c = figure7Cluster();
    expect(c.elect(LEADER)).toBe(true);
    const st = c.raft(LEADER).status();
    expect(st.role).toBe("leader");
    expect(st.term).toBe(8);

    const votes = c.sent.filter(
      (m): m is VoteResponse => m.type === "VoteResponse" && !m.preVote && m.to === LEADER,
    );
    const grantedBy = new Set(votes.filter((m) => m.granted).map((m) => m.from));
    const refusedBy = new Set(votes.filter((m) => !m.granted).map((m) => m.from));
    // Everyone answers the real vote (delivered in one round); c and d must refuse it.
    expect(refusedBy).toEqual(new Set([C, D]));
    expect(grantedBy).toEqual(new Set([A, B, E, F]));
  });

  it("after a new entry and stabilization every follower's log equals the leader's, conflicting suffixes gone", () => {
    const c = figure7Cluster();
    expect(c.elect(LEADER)).toBe(true);
    const idx = c.propose(LEADER, "new entry of term 8");
    c.stabilize();

    // The leader's log: figure 7's ten entries, its first entry of term 8 (11), the new entry (12).
    const expectedTerms = [...LEADER_LOG, 8, 8];
    expect(idx).toBe(12);
    expect(termsOf(c, LEADER)).toEqual(expectedTerms);
    const leaderEntries = entriesOf(c, LEADER);
    expect(leaderEntries[10]!.type).toBe("config"); // the first leader records the bootstrap membership
    expect(new TextDecoder().decode(leaderEntries[11]!.data)).toBe("new entry of term 8");

    for (const id of FOLLOWER_LOGS.keys()) {
      // Same terms and same contents at every index (Log Matching), nothing more.
      expect(termsOf(c, id), `follower ${id} terms`).toEqual(expectedTerms);
      expect(entriesOf(c, id), `follower ${id} entries`).toEqual(leaderEntries);
      expect(c.raft(id).status().commit, `follower ${id} commit`).toBe(12);
      expect(c.raft(id).status().term).toBe(8);
    }
    // The conflicting suffixes are gone: d's term-7 entries, e's extra term-4 entries (6, 7)
    // and all of f's term-2 and term-3 entries.
    expect(termsOf(c, D)).not.toContain(7);
    expect(termsOf(c, E).slice(5, 7)).toEqual([5, 5]);
    expect(termsOf(c, F)).not.toContain(2);
    expect(termsOf(c, F)).not.toContain(3);
    // c's and d's extra entries beyond the leader's log were cut, not kept: 12 entries each.
    expect(c.raft(C).status().lastIndex).toBe(12);
    expect(c.raft(D).status().lastIndex).toBe(12);
    // Everything committed was applied on every node, in the same order.
    for (const id of c.ids) {
      expect(c.node(id).applied.map((e) => e.term)).toEqual(expectedTerms);
    }
  });

  it("repairs follower f in O(terms) round trips using the conflict hint, not O(entries)", () => {
    const c = figure7Cluster();
    expect(c.elect(LEADER)).toBe(true);
    c.propose(LEADER, "new entry of term 8");
    c.stabilize();
    expect(termsOf(c, F)).toEqual([...LEADER_LOG, 8, 8]);

    const rejections = c.sent.filter((m) => isRejection(m, F, LEADER));
    const fLog = FOLLOWER_LOGS.get(F)!;
    const conflicting = conflictingTerms(fLog, LEADER_LOG);
    const divergentEntries = fLog.filter((term, i) => LEADER_LOG[i] !== term).length;
    expect(conflicting).toEqual(new Set([2, 3]));
    expect(divergentEntries).toBe(8);

    // f's log does not hold the leader's entry at index 10, so the leader must hear at least
    // one rejection.
    expect(rejections.length).toBeGreaterThanOrEqual(1);
    // Why the bound: every rejection carries (conflictTerm, conflictIndex), the follower's term
    // at the rejected index and the first index of that term's run. The leader then jumps over
    // that whole run (or over its own run of that term), so each round trip eliminates at least
    // one of the follower's conflicting terms; one more round trip may be needed to land on the
    // matching prefix. Backing off one index per rejection would take up to one round trip per
    // divergent entry (8 here, indexes 10 down to 3).
    expect(rejections.length).toBeLessThanOrEqual(conflicting.size + 1);
    expect(rejections.length).toBeLessThan(divergentEntries);
    // Each hint names a term f really holds at the rejected index and where that run starts.
    for (const r of rejections) {
      if (r.conflictTerm === 0) continue; // f's log was shorter than the probe
      expect(conflicting.has(r.conflictTerm)).toBe(true);
      expect(fLog[r.conflictIndex - 1]).toBe(r.conflictTerm);
      expect(fLog[r.conflictIndex - 2]).not.toBe(r.conflictTerm);
    }
  });

  it("repairs every figure 7 follower within a bound set by its conflicting terms", () => {
    const c = figure7Cluster();
    expect(c.elect(LEADER)).toBe(true);
    c.propose(LEADER, "new entry of term 8");
    c.stabilize();
    for (const [id, terms] of FOLLOWER_LOGS) {
      const rejections = c.sent.filter((m) => isRejection(m, id, LEADER)).length;
      // Same reasoning as for f: one round trip per conflicting term of the follower, plus one
      // to find the end of a log that is merely short (a, b) or to land on the match point.
      const bound = conflictingTerms(terms, LEADER_LOG).size + 1;
      expect(rejections, `follower ${id}`).toBeLessThanOrEqual(bound);
    }
  });
});
