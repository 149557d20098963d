import { describe, expect, it } from "vitest";
import type { RaftObserver } from "../src/index.js";
import { TestCluster } from "./harness.js";

function recorder(): { events: string[]; observer: RaftObserver } {
  const events: string[] = [];
  return {
    events,
    observer: {
      electionStarted: (kind, term) => events.push(`start:${kind}:${term}`),
      electionWon: (term) => events.push(`won:${term}`),
      steppedDown: (reason, term) => events.push(`down:${reason}:${term}`),
      appendSent: (peer, n) => events.push(`append:${peer}:${n}`),
      appendRejected: (peer) => events.push(`rejected:${peer}`),
      heartbeatSent: (peer) => events.push(`hb:${peer}`),
      heartbeatAnswered: (peer) => events.push(`hb-ok:${peer}`),
      readIndexRequested: () => events.push("read"),
    },
  };
}

describe("the observer sees protocol events", () => {
  it("an election: a pre-vote, a vote, a win, then appends of the no-op", () => {
    const { events, observer } = recorder();
    const c = new TestCluster(3, { observer });
    expect(c.elect(1)).toBe(true);
    expect(events.slice(0, 3)).toEqual(["start:pre-vote:1", "start:vote:1", "won:1"]);
    expect(events).toContain("append:2:1");
    expect(events).toContain("append:3:1");
  });

  it("heartbeats and their answers, reads, and a leader losing its quorum", () => {
    const { events, observer } = recorder();
    const c = new TestCluster(3, { observer, heartbeatTicks: 1 });
    c.elect(1);
    c.raft(1).readIndex("x");
    c.tick(1);
    c.stabilize();
    expect(events).toContain("read");
    expect(events).toContain("hb:2");
    expect(events).toContain("hb-ok:2");
    c.isolate(1);
    events.length = 0;
    c.tick(1, 25);
    expect(events).toContain("down:lost_quorum:1");
  });

  it("a rejected append", () => {
    const { events, observer } = recorder();
    const c = new TestCluster(3, { observer });
    c.elect(1);
    c.isolate(3);
    for (let i = 0; i < 3; i++) c.propose(1, `v${i}`);
    c.heal();
    // Node 3 restarts with an empty log and rejects the leader's next append.
    c.restart(3);
    c.propose(1, "after");
    expect(events).toContain("rejected:3");
  });
});
