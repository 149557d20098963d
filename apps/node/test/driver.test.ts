import { MemoryStorage, RaftNode, SeededRng, type Entry, type HardState, type Message } from "@raft-ts/core";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { KvStateMachine } from "../src/kv/state-machine.js";
import { RaftDriver } from "../src/raft-driver.js";

/** A disk that fills up: every persist after `fail` is set throws. */
class FailingStorage extends MemoryStorage {
  fail = false;
  override persist(hs: HardState | undefined, entries: readonly Entry[]): void {
    if (this.fail) throw new Error("SQLITE_FULL: database or disk is full");
    super.persist(hs, entries);
  }
}

function follower(storage: MemoryStorage) {
  const sent: Message[] = [];
  const fatal: unknown[] = [];
  const driver = new RaftDriver({
    node: new RaftNode({ id: 1, voters: [1, 2, 3], electionTicks: 10, heartbeatTicks: 2, rng: new SeededRng(3) }, storage),
    storage,
    transport: { send: (m) => sent.push(m) },
    kv: new KvStateMachine(),
    tickMs: 1000,
    logger: pino({ level: "silent" }),
    maxPending: 10,
    requestTimeoutMs: 1000,
    onFatal: (e) => fatal.push(e),
  });
  return { driver, sent, fatal };
}

describe("the driver", () => {
  it("sends no vote when the vote could not be persisted, and stops the node", () => {
    const storage = new FailingStorage();
    const { driver, sent, fatal } = follower(storage);
    storage.fail = true;
    driver.receive({ type: "VoteRequest", from: 2, to: 1, term: 5, preVote: false, lastLogIndex: 0, lastLogTerm: 0 });
    expect(sent).toEqual([]);
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0])).toMatch(/disk is full/);
    expect(storage.hardState().term).toBe(0);
    // Stopped: later input is ignored, nothing more is sent.
    storage.fail = false;
    driver.receive({ type: "VoteRequest", from: 3, to: 1, term: 6, preVote: false, lastLogIndex: 0, lastLogTerm: 0 });
    expect(sent).toEqual([]);
  });

  it("grants and sends the vote once it is persisted", () => {
    const storage = new FailingStorage();
    const { driver, sent, fatal } = follower(storage);
    driver.receive({ type: "VoteRequest", from: 2, to: 1, term: 5, preVote: false, lastLogIndex: 0, lastLogTerm: 0 });
    expect(fatal).toEqual([]);
    expect(storage.hardState()).toMatchObject({ term: 5, vote: 2 });
    expect(sent).toEqual([{ type: "VoteResponse", from: 1, to: 2, term: 5, preVote: false, granted: true }]);
  });

  it("stops on a broken invariant instead of going on: a leader claiming commits past this node's log", () => {
    const { driver, sent, fatal } = follower(new MemoryStorage());
    driver.receive({ type: "Heartbeat", from: 2, to: 1, term: 1, commit: 50, readSeq: 0 });
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0])).toMatch(/commit 50 is past the last index 0/);
    expect(sent).toEqual([]);
  });
});
