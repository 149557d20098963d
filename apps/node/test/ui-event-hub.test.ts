import { bootstrapMembership, encodeMembership, MemoryStorage, type Entry, type Message, type NodeStatus } from "@raft-ts/core";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseClusterConfig } from "../src/config.js";
import { encodeCommand } from "../src/kv/commands.js";
import { AddressBook, encodeMemberAddress } from "../src/membership/address-book.js";
import { entryText } from "../src/ui/entry-text.js";
import { UiEventHub } from "../src/ui/event-hub.js";
import { MessageWindow } from "../src/ui/message-window.js";

const config = parseClusterConfig({
  clusterId: "hub",
  nodes: [1, 2, 3].map((id) => ({ id, raft: `127.0.0.1:${15000 + id}`, http: `127.0.0.1:${18000 + id}` })),
});

const put = (index: number, key: string, value: string, term = 1): Entry => ({
  index,
  term,
  type: "normal",
  data: encodeCommand({ op: "put", key, value: new TextEncoder().encode(value), clientId: "c", seq: index }),
});

function follower(over: Partial<NodeStatus> = {}): NodeStatus {
  return {
    id: 1,
    role: "follower",
    term: 1,
    vote: 2,
    leaderId: 2,
    commit: 0,
    applied: 0,
    lastIndex: 0,
    lastTerm: 0,
    peers: [],
    membership: bootstrapMembership(
      [1, 2, 3],
      Object.fromEntries(config.nodes.map((n) => [n.id, encodeMemberAddress(n)])),
    ),
    membershipIndex: 0,
    transferringTo: 0,
    electionElapsed: 0,
    electionTimeout: 20,
    ...over,
  };
}

/** A hub over a fake node whose status the test sets, with the clock under the test's control. */
function hub() {
  const storage = new MemoryStorage();
  const book = new AddressBook(config.nodes);
  let status = follower();
  const h = new UiEventHub({
    id: 1,
    config,
    launcher: null,
    status: () => status,
    storageFull: () => false,
    storage,
    book,
    logger: pino({ level: "silent" }),
  });
  const frames: { event: string; data: Record<string, unknown> }[] = [];
  const send = (frame: string) => {
    const [eventLine, dataLine] = frame.split("\n");
    frames.push({ event: eventLine!.slice(7), data: JSON.parse(dataLine!.slice(6)) as Record<string, unknown> });
  };
  return {
    h,
    storage,
    frames,
    send,
    set: (s: NodeStatus) => (status = s),
    of: (event: string) => frames.filter((f) => f.event === event).map((f) => f.data),
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the live view's event hub", () => {
  it("does nothing while nobody watches, and greets a client with hello and state", () => {
    const t = hub();
    expect(t.h.watching).toBe(false);
    vi.advanceTimersByTime(1000);
    const stop = t.h.subscribe(t.send);
    expect(t.h.watching).toBe(true);
    expect(t.frames.map((f) => f.event)).toEqual(["hello", "state"]);
    expect(t.frames[0]!.data).toEqual({ v: 1, id: 1, clusterId: "hub", tickMs: 10, electionTimeoutMs: [150, 300], heartbeatMs: 50, launcher: null });
    expect(t.frames[1]!.data).toMatchObject({ role: "follower", leader: 2, vote: 2, election: { elapsedMs: 0, timeoutMs: 200 }, peers: [], log: [] });
    stop();
    expect(t.h.watching).toBe(false);
  });

  it("sends a state only when something changed, at most every 100 ms, and not for a timer that runs on", () => {
    const t = hub();
    t.h.subscribe(t.send);
    const states = () => t.of("state").length;
    // The timer runs as the page would count it: nothing to say.
    for (let i = 1; i <= 5; i++) {
      t.set(follower({ electionElapsed: i * 10 }));
      vi.advanceTimersByTime(100);
    }
    expect(states()).toBe(1);
    // It restarted (a heartbeat): news.
    t.set(follower({ electionElapsed: 1 }));
    vi.advanceTimersByTime(100);
    expect(states()).toBe(2);
    // Many changes within one interval make one event, with the latest values.
    t.storage.persist({ term: 1, vote: 2, commit: 0 }, [put(1, "a", "1"), put(2, "b", "2"), put(3, "c", "3")]);
    t.h.readyHandled();
    t.set(follower({ electionElapsed: 11, lastIndex: 1, lastTerm: 1 }));
    t.set(follower({ electionElapsed: 11, lastIndex: 3, lastTerm: 1, commit: 2, applied: 2 }));
    vi.advanceTimersByTime(100);
    expect(states()).toBe(3);
    const last = t.of("state").at(-1)!;
    expect(last).toMatchObject({ lastIndex: 3, commit: 2, applied: 2 });
    expect(last.log).toEqual([
      { index: 1, term: 1, type: "normal", text: "put a = 1" },
      { index: 2, term: 1, type: "normal", text: "put b = 2" },
      { index: 3, term: 1, type: "normal", text: "put c = 3" },
    ]);
    // A leader: no timer, its peers.
    t.set(
      follower({
        role: "leader",
        leaderId: 1,
        vote: 1,
        term: 2,
        peers: [{ id: 2, voter: true, match: 3, next: 4, state: "replicate", recentActive: true }],
      }),
    );
    vi.advanceTimersByTime(100);
    expect(t.of("state").at(-1)).toMatchObject({ role: "leader", election: null, peers: [{ id: 2, voter: true, match: 3, next: 4, state: "replicate", active: true }] });
    const count = states();
    vi.advanceTimersByTime(1000);
    expect(states()).toBe(count);
  });

  it("shows the last 24 entries, reading only new ones", () => {
    const t = hub();
    const entries = Array.from({ length: 30 }, (_, i) => put(i + 1, `k${i + 1}`, "v"));
    t.storage.persist(undefined, entries);
    t.set(follower({ lastIndex: 30, lastTerm: 1, commit: 30 }));
    t.h.subscribe(t.send);
    const log = t.of("state")[0]!.log as { index: number }[];
    expect(log.map((e) => e.index)).toEqual(Array.from({ length: 24 }, (_, i) => i + 7));
    const reads = vi.spyOn(t.storage, "entries");
    t.storage.persist(undefined, [put(31, "k31", "v")]);
    t.h.readyHandled();
    t.set(follower({ lastIndex: 31, lastTerm: 1, commit: 31 }));
    vi.advanceTimersByTime(100);
    expect(reads).toHaveBeenCalledTimes(1); // only entry 31
    expect((t.of("state").at(-1)!.log as { index: number }[]).at(-1)!.index).toBe(31);
  });

  it("counts messages by destination and type while watched, samples the first 16", () => {
    const t = hub();
    const hb = (to: number): Message => ({ type: "Heartbeat", from: 1, to, term: 2, commit: 0, readSeq: 0 });
    t.h.subscribe(t.send);
    for (let i = 0; i < 20; i++) t.h.messageSent(hb(2 + (i % 2)));
    t.h.messageSent({ type: "VoteResponse", from: 1, to: 3, term: 2, preVote: true, granted: false });
    vi.advanceTimersByTime(100);
    const [m] = t.of("messages");
    expect(m).toMatchObject({ id: 1, windowMs: 100 });
    // By destination, then in the core's order of message types.
    expect(m!.counts).toEqual([
      { to: 2, type: "Heartbeat", n: 10 },
      { to: 3, type: "VoteResponse", n: 1 },
      { to: 3, type: "Heartbeat", n: 10 },
    ]);
    expect(m!.sample).toHaveLength(16);
    // Nothing sent, no event.
    vi.advanceTimersByTime(500);
    expect(t.of("messages")).toHaveLength(1);
  });
});

describe("entry texts", () => {
  it("are short views of every kind of entry", () => {
    const members = bootstrapMembership([1, 2, 3]);
    expect(entryText({ index: 1, term: 1, type: "config", data: encodeMembership(members) })).toBe("config: voters 1,2,3");
    expect(
      entryText({ index: 1, term: 1, type: "config", data: encodeMembership({ members: [...members.members, { id: 4, role: "learner", address: "" }] }) }),
    ).toBe("config: voters 1,2,3 learners 4");
    expect(entryText({ index: 2, term: 1, type: "noop", data: new Uint8Array(0) })).toBe("noop");
    expect(entryText(put(3, "hello", "world"))).toBe("put hello = world");
    expect(entryText({ index: 4, term: 1, type: "normal", data: encodeCommand({ op: "delete", key: "hello", clientId: "c", seq: 9 }) })).toBe("delete hello");
    const long = entryText(put(5, "k", "x".repeat(1000)));
    expect(Array.from(long)).toHaveLength(48);
    expect(long.endsWith("…")).toBe(true);
    const binary = { index: 6, term: 1, type: "normal" as const, data: encodeCommand({ op: "put", key: "b", value: new Uint8Array([0, 1, 2, 255]), clientId: "c", seq: 1 }) };
    expect(entryText(binary)).toBe("put b = (4 bytes)");
    expect(entryText(put(7, "line\nbreak", "v"))).toBe("put line\ufffdbreak = v");
    expect(entryText({ index: 8, term: 1, type: "normal", data: new Uint8Array([9, 9, 9]) })).toBe("(not a command: 3 bytes)");
    expect(entryText({ index: 9, term: 1, type: "config", data: new Uint8Array([1]) })).toBe("config: (unreadable)");
    // A cut through a multi-byte character is not mistaken for binary.
    expect(entryText(put(10, "k", "é".repeat(200)))).toBe(`put k = ${"é".repeat(39)}…`);
  });
});

describe("a message window", () => {
  it("holds at most one count per destination and type, whatever the rate", () => {
    const w = new MessageWindow(0);
    for (let i = 0; i < 100_000; i++) w.add({ type: "AppendEntries", from: 1, to: 2 + (i % 3), term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 }, () => i);
    const { counts, sample, windowMs } = w.take(100);
    expect(counts).toEqual([2, 3, 4].map((to) => ({ to, type: "AppendEntries", n: to === 2 ? 33_334 : 33_333 })));
    expect(sample).toHaveLength(16);
    expect(sample[0]).toEqual({ to: 2, type: "AppendEntries", term: 1, entries: 0, at: 0 });
    expect(windowMs).toBe(100);
    expect(w.size).toBe(0);
  });
});
