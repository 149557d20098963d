import { describe, expect, it } from "vitest";
import {
  applyHello,
  applyMessages,
  applyState,
  busyLinks,
  clusterLeader,
  createModel,
  dotsInFlight,
  electionTimer,
  formatClock,
  leaderTarget,
  logGrid,
  messageKind,
  parseHello,
  parseMessages,
  parseState,
  pruneDots,
  streamClosed,
  streamOpened,
  votesSeen,
} from "../ui/model.js";

// The live view's pure model (apps/node/ui/model.js): the events of docs/ui.md folded into
// what the page draws. Times are page-clock milliseconds; T is an arbitrary epoch.
const T = 1_795_770_000_000;

const members = [1, 2, 3].map((id) => ({ id, role: "voter", http: `http://127.0.0.1:800${id}` }));

function hello(id: number, launcher: string | null = null) {
  const h = parseHello({ v: 1, id, clusterId: "local", tickMs: 10, electionTimeoutMs: [150, 300], heartbeatMs: 50, launcher });
  if (h === null) throw new Error("bad hello");
  return h;
}

type StateOverrides = Record<string, unknown>;

function state(id: number, over: StateOverrides = {}) {
  const st = parseState({
    id,
    at: T,
    role: "follower",
    term: 3,
    vote: 2,
    leader: 2,
    commit: 10,
    applied: 10,
    firstIndex: 1,
    lastIndex: 12,
    lastTerm: 3,
    election: { elapsedMs: 40, timeoutMs: 230 },
    peers: [],
    members,
    storageFull: false,
    log: [10, 11, 12].map((index) => ({ index, term: 3, type: "normal", text: `put k${index} = v` })),
    ...over,
  });
  if (st === null) throw new Error("bad state");
  return st;
}

function leaderState(over: StateOverrides = {}) {
  return state(2, {
    role: "leader",
    vote: 2,
    leader: 2,
    election: null,
    peers: [
      { id: 1, voter: true, match: 12, next: 13, state: "replicate", active: true },
      { id: 3, voter: true, match: 11, next: 12, state: "replicate", active: true },
    ],
    ...over,
  });
}

function messages(id: number, over: Record<string, unknown> = {}) {
  const ev = parseMessages({ id, at: T + 100, windowMs: 100, sample: [], counts: [], ...over });
  if (ev === null) throw new Error("bad messages");
  return ev;
}

/** The page after the origin (node 1) said hello and reported its state. */
function origin() {
  const model = createModel();
  applyHello(model, hello(1, "http://127.0.0.1:8000"), true, T);
  applyState(model, state(1), T);
  return model;
}

describe("parsing", () => {
  it("takes well-formed events and refuses the rest", () => {
    expect(parseHello({ id: "1" })).toBeNull();
    expect(parseHello({ id: 1 })?.launcher).toBeNull();
    expect(parseState({ id: 1, at: T, term: 1, role: "boss" })).toBeNull();
    expect(parseState(null)).toBeNull();
    expect(parseMessages({ at: T })).toBeNull();
    const st = parseState({ id: 1, at: T, term: 2, role: "leader", vote: "x", log: [{ index: 5, term: 2 }, { index: 4, term: 1 }, { bad: 1 }] });
    expect(st?.vote).toBeNull();
    expect(st?.log.map((e) => e.index)).toEqual([4, 5]);
    expect(st?.lastIndex).toBe(5);
    expect(st?.election).toBeNull();
  });

  it("classifies message types, telling prevotes apart", () => {
    const m = (type: string, prevote: boolean | null = null) =>
      messageKind({ to: 2, type, term: 1, at: T, entries: null, prevote, granted: null, success: null });
    expect(m("VoteRequest")).toBe("vote-request");
    expect(m("VoteRequest", true)).toBe("prevote-request");
    expect(m("VoteResponse", true)).toBe("prevote-response");
    expect(m("AppendEntries")).toBe("append");
    expect(m("HeartbeatResponse")).toBe("heartbeat-response");
    expect(m("InstallSnapshot")).toBe("snapshot");
    expect(m("TimeoutNow")).toBe("timeout-now");
    expect(m("Gossip")).toBe("other");
  });
});

describe("folding hello, state and messages", () => {
  it("learns the origin, the launcher and the members from the first stream", () => {
    const model = origin();
    expect(model.originId).toBe(1);
    expect(model.launcher).toBe("http://127.0.0.1:8000");
    expect(model.clusterId).toBe("local");
    expect([...model.nodes.keys()].sort()).toEqual([1, 2, 3]);
    expect(model.nodes.get(2)?.http).toBe("http://127.0.0.1:8002");
    expect(model.nodes.get(1)?.origin).toBe(true);
    expect(model.nodes.get(1)?.up).toBe(true);
    expect(model.maxTerm).toBe(3);
    // Members are known from the origin's report only; nothing is said about their state.
    expect(model.nodes.get(2)?.state).toBeNull();
  });

  it("shows a member with no open stream as down, with its last report", () => {
    const model = origin();
    // Node 2 was never reached: down, never reported.
    expect(model.nodes.get(2)?.up).toBe(false);
    streamClosed(model, 2, T + 5);
    expect(model.nodes.get(2)?.up).toBe(false);
    expect(model.feed.filter((f) => f.kind === "down" && f.node === 2)).toHaveLength(1);
    streamClosed(model, 2, T + 10); // a retry failing again says nothing new
    expect(model.feed.filter((f) => f.kind === "down" && f.node === 2)).toHaveLength(1);

    applyHello(model, hello(2), false, T + 20);
    applyState(model, leaderState({ at: T + 20 }), T + 20);
    expect(model.nodes.get(2)?.up).toBe(true);

    streamClosed(model, 2, T + 500);
    const n2 = model.nodes.get(2);
    expect(n2?.up).toBe(false);
    expect(n2?.lastReportAt).toBe(T + 20);
    expect(n2?.state?.role).toBe("leader"); // the last report is kept, never invented
    expect(clusterLeader(model)).toBeNull(); // but a down node is not the leader
    const down = model.feed.at(-1);
    expect(down?.kind).toBe("down");
    expect(down?.ref).toBe(T + 20);

    streamOpened(model, 2, T + 2000);
    expect(model.nodes.get(2)?.up).toBe(true);
    expect(model.feed.at(-1)?.text).toMatch(/node 2 up: stream open again after 1\.5 s/);
  });

  it("feeds leader changes, term changes and elections", () => {
    const model = origin();
    applyHello(model, hello(2), false, T);
    applyState(model, leaderState(), T);
    applyHello(model, hello(3), false, T);
    applyState(model, state(3), T);
    expect(clusterLeader(model)).toBe(2);
    applyState(model, state(3, { role: "candidate", term: 4, vote: 3, leader: null, at: T + 300 }), T + 300);
    applyState(model, state(1, { term: 4, vote: 3, leader: null, at: T + 310 }), T + 310);
    applyState(model, state(3, { role: "leader", term: 4, vote: 3, leader: 3, election: null, at: T + 320 }), T + 320);
    applyState(model, state(2, { role: "follower", term: 4, vote: null, leader: 3, at: T + 330 }), T + 330);
    const texts = model.feed.filter((f) => f.kind !== "up").map((f) => f.text);
    expect(texts).toEqual([
      "term 3, first seen at node 1 (follower)",
      "node 2 is leader in term 3",
      "term 4 (was 3), first seen at node 3 (candidate)",
      "node 3 campaigns in term 4",
      "node 3 became leader in term 4",
      "node 2 stepped down (term 4, now follower)",
    ]);
    expect(clusterLeader(model)).toBe(3);
    expect(votesSeen(model, model.nodes.get(3)!)).toBe(2);
  });

  it("follows members added and removed by the leader", () => {
    const model = origin();
    applyHello(model, hello(2), false, T);
    const four = { id: 4, role: "learner", http: "http://127.0.0.1:8004" };
    applyState(model, leaderState({ members: [...members, four] }), T + 10);
    expect(model.nodes.get(4)?.memberRole).toBe("learner");
    expect(model.feed.at(-1)?.text).toBe("node 4 joined the configuration (learner)");

    applyState(model, leaderState({ members: members.filter((m) => m.id !== 3), at: T + 20 }), T + 20);
    expect(model.nodes.has(3)).toBe(false);
    expect(model.nodes.has(4)).toBe(false);
    expect(model.feed.slice(-2).map((f) => f.text).sort()).toEqual(["node 3 left the configuration", "node 4 left the configuration"]);

    // The origin stays, marked as no longer a member.
    applyState(model, leaderState({ members: members.filter((m) => m.id !== 1), at: T + 30 }), T + 30);
    expect(model.nodes.get(1)?.member).toBe(false);
    expect(model.nodes.has(3)).toBe(true);
  });

  it("ignores a follower's stale configuration while a live leader is known", () => {
    const model = origin();
    applyHello(model, hello(2), false, T);
    applyState(model, leaderState(), T);
    applyState(model, state(1, { members: members.slice(0, 2) }), T + 10);
    expect(model.nodes.has(3)).toBe(true);
  });
});

describe("the election timer", () => {
  it("counts down from the report's `at`, then freezes and says stale", () => {
    const model = origin(); // node 1: elapsed 40 of 230 at T
    const n1 = model.nodes.get(1)!;
    expect(electionTimer(n1, T)).toMatchObject({ remainingMs: 190, timeoutMs: 230, stale: false });
    expect(electionTimer(n1, T + 100)).toMatchObject({ remainingMs: 90, stale: false });
    expect(electionTimer(n1, T + 300)).toMatchObject({ remainingMs: 0, fraction: 0, stale: false });
    // No report for more than 1 s: frozen at the reported value, marked stale.
    expect(electionTimer(n1, T + 1001)).toMatchObject({ remainingMs: 190, stale: true, ageMs: 1001 });
    // Stream closed: stale too.
    streamClosed(model, 1, T + 50);
    expect(electionTimer(n1, T + 50)).toMatchObject({ remainingMs: 190, stale: true });
  });

  it("counts from the report's arrival when the node's clock is far off", () => {
    const model = origin();
    applyState(model, state(1, { at: T - 60_000 }), T); // the node's clock is a minute behind
    const n1 = model.nodes.get(1)!;
    expect(electionTimer(n1, T + 100)).toMatchObject({ remainingMs: 90, stale: false });
  });

  it("has none on a leader", () => {
    const model = origin();
    applyHello(model, hello(2), false, T);
    applyState(model, leaderState(), T);
    expect(electionTimer(model.nodes.get(2)!, T)).toBeNull();
  });
});

describe("the logs side by side", () => {
  it("marks entries committed up to each node's own commit index", () => {
    const model = origin(); // node 1: entries 10..12, commit 10
    applyHello(model, hello(2), false, T);
    applyState(model, leaderState({ commit: 12, lastIndex: 13, log: [10, 11, 12, 13].map((index) => ({ index, term: index === 13 ? 4 : 3, type: "normal", text: `e${index}` })) }), T);
    const grid = logGrid(model);
    expect(grid.columns).toEqual([10, 11, 12, 13].map((index) => ({ gap: false, index })));
    const row = (id: number) => grid.rows.find((r) => r.id === id)!;
    expect(row(1).cells.map((c) => c && [c.state, c.committed])).toEqual([
      ["entry", true], ["entry", false], ["entry", false], ["missing", false],
    ]);
    expect(row(2).cells.map((c) => c && [c.term, c.committed])).toEqual([[3, true], [3, true], [3, true], [4, false]]);
    expect(row(2).cells[3]?.text).toBe("e13");
    expect(row(3).cells.every((c) => c?.state === "unknown")).toBe(true);
  });

  it("puts the leader's match and next index on each follower's row", () => {
    const model = origin();
    applyHello(model, hello(2), false, T);
    applyState(model, leaderState(), T);
    const grid = logGrid(model);
    const row = (id: number) => grid.rows.find((r) => r.id === id)!;
    expect(row(1).progress).toMatchObject({ match: 12, next: 13 });
    expect(row(1).cells.find((c) => c?.match)?.index).toBe(12);
    expect(row(3).cells.find((c) => c?.match)?.index).toBe(11);
    expect(row(3).cells.find((c) => c?.next)?.index).toBe(12);
    expect(row(2).leader).toBe(true);
    expect(row(2).progress).toBeNull();
    // The leader's stream closes: its view of the followers is no longer shown.
    streamClosed(model, 2, T + 10);
    expect(logGrid(model).rows.every((r) => r.progress === null)).toBe(true);
  });

  it("marks compacted entries, held entries older than the tail, and gaps", () => {
    const model = origin();
    applyHello(model, hello(2), false, T);
    // The leader compacted up to 40 and reports 41..44; node 1 lags at 10..12.
    applyState(model, leaderState({ firstIndex: 41, commit: 44, lastIndex: 44, log: [41, 42, 43, 44].map((index) => ({ index, term: 3, type: "normal", text: "" })) }), T);
    applyHello(model, hello(3), false, T);
    applyState(model, state(3, { firstIndex: 1, commit: 44, lastIndex: 44, log: [43, 44].map((index) => ({ index, term: 3, type: "normal", text: "" })) }), T);
    const grid = logGrid(model);
    expect(grid.columns[3]).toEqual({ gap: true, from: 13, to: 40 });
    const row = (id: number) => grid.rows.find((r) => r.id === id)!;
    const at = (id: number, index: number) => row(id).cells.find((c) => c?.index === index);
    expect(at(2, 10)?.state).toBe("compacted");
    expect(at(3, 41)).toMatchObject({ state: "unreported", committed: true });
    expect(at(1, 41)?.state).toBe("missing");
    expect(row(1).cells[3]).toBeNull();
  });

  it("keeps at most maxLogColumns indexes, the newest", () => {
    const model = createModel({ maxLogColumns: 5 });
    applyHello(model, hello(1), true, T);
    applyState(model, state(1, { lastIndex: 30, log: Array.from({ length: 24 }, (_, i) => ({ index: 7 + i, term: 3, type: "normal", text: "" })) }), T);
    const grid = logGrid(model);
    expect(grid.columns.map((c) => (c.gap ? null : c.index))).toEqual([26, 27, 28, 29, 30]);
  });
});

describe("messages and bounds", () => {
  const sample = (to: number, i: number, type = "AppendEntries") => ({ to, type, term: 3, entries: 1, at: T + i });

  it("turns sampled messages into dots that travel and arrive", () => {
    const model = origin();
    applyHello(model, hello(2), false, T);
    applyState(model, leaderState(), T);
    applyMessages(model, messages(2, {
      sample: [sample(1, 50), { to: 3, type: "VoteResponse", term: 3, prevote: true, granted: false, at: T + 100 }, sample(9, 60)],
      counts: [{ to: 1, type: "AppendEntries", n: 1 }, { to: 3, type: "VoteResponse", n: 1 }],
    }), T + 200);
    // Node 9 is not a member: no dot.
    expect(model.dots.map((d) => [d.from, d.to, d.kind, d.rejected])).toEqual([
      [2, 1, "append", false],
      [2, 3, "prevote-response", true],
    ]);
    // The window is replayed at its pace: the first left 50 ms into it, the second at its end.
    expect(model.dots[0]?.start).toBe(T + 250);
    expect(model.dots[1]?.start).toBe(T + 300);
    expect(dotsInFlight(model, T + 240)).toHaveLength(0);
    expect(dotsInFlight(model, T + 250 + model.limits.dotMs / 2)[0]?.progress).toBeCloseTo(0.5);
    pruneDots(model, T + 300 + model.limits.dotMs);
    expect(model.dots).toHaveLength(0);
  });

  it("caps dots per link and in all, and counts what it did not draw", () => {
    const model = origin();
    const many = Array.from({ length: 16 }, (_, i) => sample(1 + (i % 2) * 2, i));
    applyHello(model, hello(2), false, T);
    applyMessages(model, messages(2, { sample: many }), T);
    expect(model.dots).toHaveLength(2 * model.limits.maxDotsPerLink);
    const small = createModel({ maxDots: 5 });
    applyHello(small, hello(1), true, T);
    applyState(small, state(1), T);
    applyHello(small, hello(2), false, T);
    for (let w = 0; w < 10; w++) applyMessages(small, messages(2, { sample: many }), T + w * 100);
    expect(small.dots).toHaveLength(5);
    expect(small.droppedDots).toBe(10 * 2 * small.limits.maxDotsPerLink - 5);
  });

  it("aggregates counts per link into a rate shown while recent and busy", () => {
    const model = origin();
    applyHello(model, hello(2), false, T);
    applyMessages(model, messages(2, {
      counts: [{ to: 1, type: "AppendEntries", n: 100 }, { to: 1, type: "Heartbeat", n: 2 }, { to: 3, type: "Heartbeat", n: 2 }],
    }), T);
    expect(busyLinks(model, T).map((l) => [l.from, l.to, l.perSec])).toEqual([[2, 1, 1020]]);
    expect(model.links.get("2>1")?.byType).toEqual({ AppendEntries: 100, Heartbeat: 2 });
    expect(busyLinks(model, T + model.limits.linkRateMs + 1)).toEqual([]);
    // The next window without messages to node 1 drops that link.
    applyMessages(model, messages(2, { counts: [{ to: 3, type: "Heartbeat", n: 2 }] }), T + 100);
    expect(model.links.has("2>1")).toBe(false);
  });

  it("keeps the feed bounded", () => {
    const model = createModel({ maxFeed: 10 });
    applyHello(model, hello(1), true, T);
    for (let i = 0; i < 50; i++) {
      streamClosed(model, 1, T + i * 10);
      streamOpened(model, 1, T + i * 10 + 5);
    }
    expect(model.feed).toHaveLength(10);
    expect(model.feed.at(-1)?.seq).toBe(model.feedSeq);
  });
});

describe("targets for the controls", () => {
  it("sends to the leader's own report, else to the leader a follower names", () => {
    const model = origin(); // node 1 says node 2 leads; node 2 has not reported
    expect(leaderTarget(model)).toEqual({ id: 2, http: "http://127.0.0.1:8002" });
    applyHello(model, hello(3), false, T);
    applyState(model, state(3, { role: "leader", term: 5, leader: 3, vote: 3, election: null }), T);
    expect(leaderTarget(model)).toEqual({ id: 3, http: "http://127.0.0.1:8003" });
  });

  it("formats clock times as hh:mm:ss.mmm", () => {
    expect(formatClock(T)).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(formatClock(null)).toBe("never");
  });
});
