import { describe, expect, it } from "vitest";
import { expectedFailoverMs, runElectionBench, SETTINGS } from "../src/election.js";
import { percentile, summarize } from "../src/stats.js";

describe("stats", () => {
  it("takes nearest-rank percentiles", () => {
    const s = summarize([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
    expect([s.min, s.p50, s.p90, s.p99, s.max, s.mean]).toEqual([1, 5, 9, 10, 10, 5.5]);
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile([], 50)).toThrow(RangeError);
  });
});

describe("the failover model", () => {
  const paper = SETTINGS[0]!;
  it("stays within what the timeouts allow: [T - H, 2T + a tick] plus the round trips", () => {
    const samples = expectedFailoverMs(paper, 2, 2, 5000);
    const low = paper.electionMs - paper.heartbeatMs + 5;
    const high = 2 * paper.electionMs + paper.tickMs + 5;
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(low);
    expect(Math.max(...samples)).toBeLessThanOrEqual(high);
  });

  it("predicts faster elections with more survivors (more timers racing)", () => {
    const three = summarize(expectedFailoverMs(paper, 2, 2)).p50;
    const five = summarize(expectedFailoverMs(paper, 4, 2)).p50;
    expect(five).toBeLessThan(three);
  });
});

describe("pnpm bench election, on real processes", () => {
  it("measures a cold start and a failover to a new leader", async () => {
    const fast = SETTINGS[1]!;
    const r = await runElectionBench(fast, 3, 2);
    expect(r.failover).toHaveLength(2);
    for (const t of r.failover) {
      expect(t.ms).toBeGreaterThan(0);
      expect(t.voteRounds).toBeGreaterThanOrEqual(1);
    }
    expect(r.coldStartMs).toBeGreaterThan(0);
    expect(r.measured.count).toBe(2);
    expect(r.ratioP50).toBeCloseTo(r.measured.p50 / r.expected.p50, 10);
  });
});
