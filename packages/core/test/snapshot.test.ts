import { describe, expect, it } from "vitest";
import { MemoryStorage, RaftNode, SeededRng, type InstallSnapshot, type Message } from "../src/index.js";
import { TestCluster } from "./harness.js";

const SNAPSHOT_BYTES = 100;
const CHUNK = 16;

/** The leader snapshots its state at its applied index and compacts its whole log behind it. */
function snapshotAndCompact(c: TestCluster, id: number): { index: number; data: Uint8Array } {
  const st = c.raft(id).status();
  const storage = c.node(id).storage;
  const data = Uint8Array.from({ length: SNAPSHOT_BYTES }, (_, i) => (i * 7 + st.applied) % 251);
  storage.saveSnapshot({ meta: { index: st.applied, term: storage.term(st.applied)! }, data });
  storage.compact(st.applied);
  return { index: st.applied, data };
}

const chunks = (c: TestCluster): InstallSnapshot[] => c.sent.filter((m): m is InstallSnapshot => m.type === "InstallSnapshot");

/** A 3-node cluster where node 3 missed five writes that the leader then compacted away. */
function laggingFollower(): { c: TestCluster; snap: { index: number; data: Uint8Array } } {
  const c = new TestCluster(3, { maxBytesPerMessage: CHUNK });
  expect(c.elect(1)).toBe(true);
  c.isolate(3);
  for (let i = 0; i < 5; i++) c.propose(1, `w${i}`);
  const snap = snapshotAndCompact(c, 1);
  expect(c.node(1).storage.firstIndex()).toBe(snap.index + 1);
  c.heal();
  c.sent.length = 0;
  return { c, snap };
}

describe("snapshots", () => {
  it("a follower behind the compacted log gets the snapshot in bounded chunks, installs it, then the entries after it", () => {
    const { c, snap } = laggingFollower();
    c.propose(1, "after"); // an append node 3 cannot take: the leader finds it needs the snapshot
    for (let i = 0; i < 20 && c.node(3).installed.length === 0; i++) {
      c.tick(1);
      c.stabilize();
    }
    c.propose(1, "later");
    const sentChunks = chunks(c);
    expect(sentChunks.length).toBe(Math.ceil(SNAPSHOT_BYTES / CHUNK));
    expect(sentChunks.every((m) => m.data.length <= CHUNK)).toBe(true);
    expect(c.node(3).installed.map((s) => s.meta.index)).toEqual([snap.index]);
    expect([...c.node(3).installed[0]!.data]).toEqual([...snap.data]);
    // Node 3's log now starts after the snapshot and holds what came later.
    expect(c.node(3).storage.firstIndex()).toBe(snap.index + 1);
    expect(c.logTerms(3)).toEqual(c.logTerms(1));
    expect(c.appliedData(3)).toEqual(["after", "later"]);
    expect(c.raft(3).status().applied).toBe(c.raft(1).status().applied);
  });

  it("resumes from where the follower is after a lost chunk, instead of starting over", () => {
    const { c, snap } = laggingFollower();
    expect(c.raft(1).propose(new TextEncoder().encode("after")).ok).toBe(true); // delivered below
    let dropped = false;
    for (let i = 0; i < 40 && c.node(3).installed.length === 0; i++) {
      c.tick(1);
      c.drainAll();
      while (c.queue.length > 0) {
        c.deliverAll((m: Message) => {
          if (!dropped && m.type === "InstallSnapshot" && m.offset === 3 * CHUNK) {
            dropped = true;
            return false;
          }
          return true;
        });
      }
    }
    expect(dropped).toBe(true);
    expect([...c.node(3).installed[0]!.data]).toEqual([...snap.data]);
    // Only the lost chunk went twice; nothing before it was sent again.
    const offsets = chunks(c).map((m) => m.offset);
    expect(offsets.filter((o) => o === 3 * CHUNK)).toHaveLength(2);
    expect(offsets.filter((o) => o === 0)).toHaveLength(1);
  });

  it("a follower whose log already holds the snapshot's last entry commits up to it instead of replacing its log", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.propose(1, "a");
    const st = c.raft(2).status();
    const before = c.node(2).storage.lastIndex();
    c.raft(2).step({ type: "InstallSnapshot", from: 1, to: 2, term: st.term, meta: { index: st.lastIndex, term: st.lastTerm }, offset: 0, data: new Uint8Array([1]), done: true });
    c.drain(2);
    expect(c.node(2).installed).toEqual([]);
    expect(c.node(2).storage.lastIndex()).toBe(before);
    const answers = c.queue.filter((m) => m.type === "InstallSnapshotResponse");
    expect(answers).toEqual([{ type: "InstallSnapshotResponse", from: 2, to: 1, term: st.term, index: st.lastIndex, offset: 0, done: true }]);
  });

  it("restarts from the snapshot: the state machine must start from it", () => {
    const storage = new MemoryStorage();
    storage.persist({ term: 1, vote: 1, commit: 3 }, [1, 2, 3].map((index) => ({ index, term: 1, type: "normal" as const, data: new Uint8Array([index]) })));
    storage.saveSnapshot({ meta: { index: 3, term: 1 }, data: new Uint8Array([9]) });
    storage.compact(3);
    const config = { id: 1, voters: [1, 2, 3], electionTicks: 10, heartbeatTicks: 1, rng: new SeededRng(1) };
    expect(() => new RaftNode(config, storage)).toThrow(/restore the state machine from storage.snapshot\(\)/);
    const node = new RaftNode({ ...config, applied: 3 }, storage);
    expect(node.status()).toMatchObject({ commit: 3, applied: 3, lastIndex: 3 });
  });

  it("restarts from a snapshot newer than the commit index on disk, with the log not yet compacted behind it", () => {
    // The chaos suite's case: the commit index is written lazily, the snapshot at once, and
    // entries are kept behind the snapshot; a crash leaves commit 5, a snapshot at 8, log 1..10.
    const storage = new MemoryStorage();
    storage.persist({ term: 1, vote: 1, commit: 5 }, Array.from({ length: 10 }, (_, i) => ({ index: i + 1, term: 1, type: "normal" as const, data: new Uint8Array([i]) })));
    storage.saveSnapshot({ meta: { index: 8, term: 1 }, data: new Uint8Array([9]) });
    expect(storage.firstIndex()).toBe(1);
    const config = { id: 1, voters: [1, 2, 3], electionTicks: 10, heartbeatTicks: 1, rng: new SeededRng(1) };
    expect(() => new RaftNode({ ...config, applied: 5 }, storage)).toThrow(/restore the state machine from storage.snapshot\(\)/);
    const node = new RaftNode({ ...config, applied: 8 }, storage);
    expect(node.status()).toMatchObject({ commit: 8, applied: 8, lastIndex: 10 });
    // Nothing at or below the snapshot is handed out to apply again.
    expect(node.hasReady()).toBe(true);
    expect(node.ready().committedEntries).toEqual([]);
  });
});
