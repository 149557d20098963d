import { describe, expect, it } from "vitest";
import { MemoryStorage, type Entry, type Message, type NodeId } from "../src/index.js";
import { TestCluster, type HarnessOptions } from "./harness.js";

/**
 * Raft paper, figure 8: why a leader may not conclude that an entry of an earlier term is
 * committed just because it is stored on a majority.
 *
 *  (a) S1 leads term 2 and replicates its entries (index 2, 3) to S2 only.
 *  (b) S1 crashes; S5 is elected for term 3 by S3, S4, S5 and appends different entries at
 *      index 2, 3, which reach nobody.
 *  (c) S5 crashes; S1 restarts, is elected for term 4 and continues replication: its term-2
 *      entries are now on S1, S2, S3 (a majority), its term-4 entry is not on a majority.
 *  (d) S1 crashes; S5 restarts and, its last term (3) beating the term-2 entries, is elected for
 *      term 5 by S3, S4, S5 and overwrites index 2, 3 everywhere. Had S1 committed index 3 in
 *      (c), a committed entry would now be lost.
 *  (e) Instead, once S1's term-4 entry reaches a majority, index 2..4 commit, and S5 can never
 *      be elected again.
 *
 * Messages travel only as each phase allows: crashed nodes are isolated (and restarted when
 * they come back), and the replication in (a)-(c) is cut short by a message filter.
 */
const S1: NodeId = 1;
const S2: NodeId = 2;
const S3: NodeId = 3;
const S4: NodeId = 4;
const S5: NodeId = 5;
const ALL: NodeId[] = [S1, S2, S3, S4, S5];

/** The old-term entry the figure is about: S1's proposal of term 2, at index 3. */
const OLD_INDEX = 3;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (e: Entry): string => new TextDecoder().decode(e.data);

/** Every node starts with index 1 of term 1, committed (as in the figure). */
function figure8Cluster(opts: HarnessOptions = {}): TestCluster {
  const storages = new Map<NodeId, MemoryStorage>();
  for (const id of ALL) {
    const s = new MemoryStorage();
    s.persist({ term: 1, vote: 0, commit: 1 }, [{ index: 1, term: 1, type: "normal", data: enc("init") }]);
    storages.set(id, s);
  }
  // One entry per AppendEntries, so the filter can let an old-term entry through and hold the
  // new-term entry behind it back.
  return new TestCluster(ALL, { maxEntriesPerMessage: 1, ...opts }, storages);
}

/** Deliver until nothing is queued, dropping (losing) the messages `allow` refuses. */
function settle(c: TestCluster, allow: (m: Message) => boolean = () => true): void {
  c.drainAll();
  for (let round = 0; c.queue.length > 0; round++) {
    if (round > 1000) throw new Error("no quiescence");
    c.deliverAll(allow);
  }
}

/** Deliver at most `rounds` rounds of messages, whether or not the cluster goes quiet. */
function deliverRounds(c: TestCluster, rounds: number): void {
  c.drainAll();
  for (let round = 0; round < rounds && c.queue.length > 0; round++) c.deliverAll();
}

/**
 * Tick `id` alone (the only node whose clock runs), settling after each tick, until it leads.
 * A campaign may fail first (a rejection teaches it a newer term); later ones may then win.
 */
function campaignUntilLeader(
  c: TestCluster,
  id: NodeId,
  allow: (m: Message) => boolean = () => true,
  maxTicks = 200,
): boolean {
  for (let i = 0; i < maxTicks; i++) {
    if (c.raft(id).status().role === "leader") return true;
    c.tick(id);
    settle(c, allow);
  }
  return c.raft(id).status().role === "leader";
}

function termsOf(c: TestCluster, id: NodeId): number[] {
  return c.logTerms(id).map(([, term]) => term);
}

function entryAt(c: TestCluster, id: NodeId, index: number): Entry | undefined {
  const s = c.node(id).storage;
  return index > s.lastIndex() ? undefined : s.entries(index, index + 1, Infinity)[0];
}

/** The term of `id`'s entry at `index`, or undefined if its log is shorter. */
function termAt(c: TestCluster, id: NodeId, index: number): number | undefined {
  return c.node(id).storage.term(index);
}

/** Whether `m` is an append its receiver would accept (its log holds prevLogIndex/prevLogTerm). */
function wouldAccept(c: TestCluster, m: Message): boolean {
  return m.type === "AppendEntries" && termAt(c, m.to, m.prevLogIndex) === m.prevLogTerm;
}

const isAppendFrom = (m: Message, from: NodeId): boolean => m.type === "AppendEntries" && m.from === from;

/** Run phases (a)-(c): afterwards S1 leads term 4 and S5 is crashed (isolated). */
function runToFigure8c(c: TestCluster): void {
  // (a) S5 is down. S1 is elected for term 2 by S2, S3, S4, appends its no-op (index 2) and a
  // client entry "x" (index 3); only S2 receives them.
  c.isolate(S5);
  const phaseA = (m: Message): boolean => !(isAppendFrom(m, S1) && (m.to === S3 || m.to === S4));
  expect(campaignUntilLeader(c, S1, phaseA)).toBe(true);
  expect(c.raft(S1).status().term).toBe(2);
  const x = c.raft(S1).propose(enc("x"));
  expect(x).toEqual({ ok: true, value: { index: OLD_INDEX, term: 2 } });
  settle(c, phaseA);
  expect(termsOf(c, S1)).toEqual([1, 2, 2]);
  expect(termsOf(c, S2)).toEqual([1, 2, 2]);
  expect(termsOf(c, S3)).toEqual([1]);
  expect(c.raft(S1).status().commit).toBe(1);

  // (b) S1 crashes. S5 comes up, is elected for term 3 by S3 and S4 (S2 still honours S1's
  // lease), appends its no-op and "y" at index 2, 3; none of its appends get out.
  c.heal();
  c.isolate(S1);
  const phaseB = (m: Message): boolean => !isAppendFrom(m, S5);
  expect(campaignUntilLeader(c, S5, phaseB)).toBe(true);
  expect(c.raft(S5).status().term).toBe(3);
  expect(c.raft(S5).propose(enc("y"))).toEqual({ ok: true, value: { index: OLD_INDEX, term: 3 } });
  settle(c, phaseB);
  expect(termsOf(c, S5)).toEqual([1, 3, 3]);
  for (const id of [S2, S3, S4]) expect(termAt(c, id, 2), `S${id}`).not.toBe(3);

  // (c) S5 crashes; S1 restarts and is elected for term 4 by S3 and S4. It appends its term-4
  // no-op (index 4) and replicates: S2 takes everything, S3 takes index 2 and 3 but loses
  // every append that would give it the term-4 entry, S4 receives no appends.
  c.heal();
  c.isolate(S5);
  c.restart(S1);
  const phaseC = (m: Message): boolean => {
    if (!isAppendFrom(m, S1)) return true;
    if (m.to === S4) return false;
    if (m.to === S3 && m.type === "AppendEntries" && m.entries.some((e) => e.term === 4)) {
      return !wouldAccept(c, m); // a rejected probe is harmless and teaches S1 where S3 is
    }
    return true;
  };
  expect(campaignUntilLeader(c, S1, phaseC)).toBe(true);
  expect(c.raft(S1).status().term).toBe(4);
  settle(c, phaseC);
}

describe("Raft paper figure 8: only entries of the leader's own term commit by counting replicas", () => {
  it("does not commit a term-2 entry stored on a majority; S5 can still win and overwrite it", () => {
    const c = figure8Cluster();
    runToFigure8c(c);

    // Figure 8 (c): the term-2 entries are on S1, S2, S3 and the leader knows it...
    for (const id of [S1, S2, S3]) expect(termsOf(c, id).slice(0, OLD_INDEX), `S${id}`).toEqual([1, 2, 2]);
    expect(termsOf(c, S4)).toEqual([1]);
    const peers = new Map(c.raft(S1).status().peers.map((p) => [p.id, p]));
    expect(peers.get(S2)!.match).toBeGreaterThanOrEqual(OLD_INDEX);
    expect(peers.get(S3)!.match).toBe(OLD_INDEX);
    // ...while its term-4 entry is only on S1 and S2, not a majority.
    expect(ALL.filter((id) => termAt(c, id, 4) === 4)).toEqual([S1, S2]);
    // So nothing past index 1 is committed, on the leader or anywhere, and "x" is applied nowhere.
    for (const id of ALL) expect(c.raft(id).status().commit, `S${id} commit`).toBeLessThan(2);
    for (const id of ALL) expect(c.appliedData(id)).not.toContain("x");

    // Figure 8 (d): S1 crashes. S5 restarts; its last log term 3 is newer than the term 2 (or 1)
    // that S3 and S4 end with, so they vote for it. S2 and S3 heard from S1 just now: restart
    // them so they forget S1's lease, as an election timeout without S1 would.
    c.heal();
    c.isolate(S1);
    c.restart(S5);
    c.restart(S2);
    c.restart(S3);
    expect(campaignUntilLeader(c, S5)).toBe(true);
    settle(c);
    const s5 = c.raft(S5).status();
    expect(s5.term).toBe(5);
    // S5's entries, not S1's, are at index 2 and 3 on a majority now, and they are committed.
    expect(termsOf(c, S5)).toEqual([1, 3, 3, 5]);
    for (const id of [S3, S4, S5]) expect(termsOf(c, id), `S${id}`).toEqual([1, 3, 3, 5]);
    expect(s5.commit).toBe(4);
    expect(dec(entryAt(c, S3, OLD_INDEX)!)).toBe("y");

    // S1 comes back: the leader overwrites its term-2 and term-4 entries too. Had S1 committed
    // "x" at index 3 in (c), this would have replaced a committed entry.
    c.heal();
    c.restart(S1);
    c.tick(S5); // a heartbeat reaches S1
    settle(c);
    for (const id of ALL) {
      expect(termsOf(c, id), `S${id}`).toEqual([1, 3, 3, 5]);
      expect(dec(entryAt(c, id, OLD_INDEX)!), `S${id}`).toBe("y");
      expect(c.raft(id).status().commit, `S${id}`).toBe(4);
      expect(c.appliedData(id)).not.toContain("x");
    }
    expect(c.appliedData(S5)).toEqual(["init", "y"]);
  });

  it("commits the term-2 entries once the leader's term-4 entry is on a majority; S5 can no longer win", () => {
    const c = figure8Cluster();
    runToFigure8c(c);
    expect(c.raft(S1).status().commit).toBe(1);

    // Figure 8 (e): the term-4 entry reaches S3 too. A heartbeat makes S1 resend what S3 lacks.
    c.tick(S1);
    settle(c, (m) => !(isAppendFrom(m, S1) && m.to === S4));
    expect(ALL.filter((id) => termAt(c, id, 4) === 4)).toEqual([S1, S2, S3]);
    // Everything up to and including the term-4 entry commits, "x" among it.
    expect(c.raft(S1).status().commit).toBe(4);
    expect(c.appliedData(S1)).toEqual(["init", "x"]);
    for (const id of [S2, S3]) expect(c.raft(id).status().commit, `S${id}`).toBe(4);

    // S1 crashes and S5 restarts as in (d): S2 and S3 end with term 4, newer than S5's 3, so it
    // gets at most S4's vote and its own, never a majority.
    c.heal();
    c.isolate(S1);
    c.restart(S5);
    c.restart(S2);
    c.restart(S3);
    expect(campaignUntilLeader(c, S5, () => true, 300)).toBe(false);
    for (const id of [S2, S3]) expect(dec(entryAt(c, id, OLD_INDEX)!)).toBe("x");
    // Someone else (S2 or S3) can win, and keeps the committed entries. (S1, crashed, does not
    // take part.)
    const live = [S2, S3, S4, S5];
    const liveLeaders = (): NodeId[] => live.filter((id) => c.raft(id).status().role === "leader");
    for (let i = 0; i < 200 && liveLeaders().length === 0; i++) {
      for (const id of live) c.tick(id);
      settle(c);
    }
    const leaders = liveLeaders();
    expect(leaders).toHaveLength(1);
    expect([S2, S3]).toContain(leaders[0]);
    for (const id of [S2, S3, S4, S5]) expect(dec(entryAt(c, id, OLD_INDEX)!), `S${id}`).toBe("x");
  });

  it("with testingBugs.commitOldTermByCount the same schedule commits the term-2 entry early, and S5 later commits a different entry at its index", () => {
    const c = figure8Cluster({ testingBugs: { commitOldTermByCount: true } });
    runToFigure8c(c);

    // Same state as figure 8 (c): the term-4 entry is on S1 and S2 only...
    expect(ALL.filter((id) => termAt(c, id, 4) === 4)).toEqual([S1, S2]);
    // ...yet the buggy leader committed and applied "x" by counting its term-2 replicas.
    expect(c.raft(S1).status().commit).toBeGreaterThanOrEqual(OLD_INDEX);
    const appliedByS1 = c.node(S1).applied.find((e) => e.index === OLD_INDEX);
    expect(appliedByS1 && dec(appliedByS1)).toBe("x");

    // (d) exactly as before: S5 still wins, and commits "y" at the index where S1 applied "x".
    c.heal();
    c.isolate(S1);
    c.restart(S5);
    c.restart(S2);
    c.restart(S3);
    // The logs can no longer be reconciled (S2 and S3 hold committed entries that S5's log
    // contradicts, so the leader and they argue forever): deliver a bounded number of rounds.
    for (let i = 0; i < 200 && c.raft(S5).status().commit < OLD_INDEX; i++) {
      c.tick(S5);
      deliverRounds(c, 20);
    }
    expect(c.raft(S5).status()).toMatchObject({ role: "leader", term: 5 });
    expect(c.raft(S5).status().commit).toBeGreaterThanOrEqual(OLD_INDEX);
    const appliedByS5 = c.node(S5).applied.find((e) => e.index === OLD_INDEX);
    expect(appliedByS5 && dec(appliedByS5)).toBe("y");
    // Two state machines applied different commands at index 3: the safety violation the
    // current-term rule prevents.
  });
});
