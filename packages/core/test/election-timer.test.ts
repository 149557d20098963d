import { describe, expect, it } from "vitest";
import { TestCluster } from "./harness.js";

const T = 10; // the harness's default electionTicks

describe("the election timer in status()", () => {
  it("counts the ticks without a leader up to the randomized timeout, which is when the node campaigns", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const c = new TestCluster(3, { seed });
      const first = c.raft(1).status();
      expect(first.electionElapsed).toBe(0);
      expect(first.electionTimeout).toBeGreaterThanOrEqual(T);
      expect(first.electionTimeout).toBeLessThan(2 * T);
      // Ticked alone, the node reports every tick until it campaigns at exactly its timeout.
      for (let tick = 1; tick < first.electionTimeout; tick++) {
        c.tick(1);
        expect(c.raft(1).status()).toMatchObject({ role: "follower", electionElapsed: tick, electionTimeout: first.electionTimeout });
      }
      c.tick(1);
      const campaigning = c.raft(1).status();
      expect(campaigning.role).toBe("pre-candidate");
      // The campaign restarts the timer, with a new randomized timeout in range.
      expect(campaigning.electionElapsed).toBe(0);
      expect(campaigning.electionTimeout).toBeGreaterThanOrEqual(T);
      expect(campaigning.electionTimeout).toBeLessThan(2 * T);
      c.tick(1);
      expect(c.raft(1).status().electionElapsed).toBe(1);
    }
  });

  it("restarts on hearing from the leader; a leader reports its check-quorum interval", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.tick(2, 3);
    expect(c.raft(2).status()).toMatchObject({ role: "follower", leaderId: 1, electionElapsed: 3 });
    // The leader's heartbeat (every tick in the harness) resets the follower's timer.
    c.tick(1);
    c.stabilize();
    expect(c.raft(2).status().electionElapsed).toBe(0);
    const leader = c.raft(1).status();
    expect(leader.role).toBe("leader");
    expect(leader.electionTimeout).toBe(T);
    expect(leader.electionElapsed).toBeLessThan(T);
  });

  it("is a pure read: asking for status changes nothing", () => {
    const c = new TestCluster(3, { seed: 7 });
    c.tick(1, 4);
    const a = c.raft(1).status();
    const b = c.raft(1).status();
    expect(b.electionElapsed).toBe(a.electionElapsed);
    expect(b.electionTimeout).toBe(a.electionTimeout);
    expect(c.raft(1).hasReady()).toBe(false);
  });
});
