import { describe, expect, it } from "vitest";
import { replayCommand, runJob, type SeedJob } from "./seeds.js";
import { runSimulation } from "./simulation.js";

// The fixed seed set `pnpm test` runs; `pnpm sim` runs many more.
const SEEDS = 200;

function failuresOf(nodes: number, bug?: string, seeds = SEEDS) {
  const failed = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const r = runJob({ seed, nodes }, bug === undefined ? {} : { bug });
    if (!r.ok) failed.push(r);
  }
  return failed;
}

describe("deterministic simulation", () => {
  for (const nodes of [3, 5]) {
    it(`keeps every safety property and recovers after faults: ${SEEDS} seeds, ${nodes} nodes`, () => {
      const failed = failuresOf(nodes);
      const report = failed.map((r) => `${r.failure!.message}\n  replay: ${replayCommand(r, {})}`);
      expect(report).toEqual([]);
    });
  }

  it("exercises the faults it claims (crashes, partitions, loss, leadership transfers, membership changes, elections, client traffic)", () => {
    // Over a few runs, since not every run draws every fault (a membership change, say, needs
    // a leader that has committed in its term at the moment one is asked for).
    const runs = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => runSimulation({ seed, nodes: 5 }));
    expect(runs.filter((r) => !r.ok)).toEqual([]);
    const total = (f: (s: (typeof runs)[number]["stats"]) => number) => runs.reduce((sum, r) => sum + f(r.stats), 0);
    expect(total((s) => s.crashes)).toBeGreaterThan(0);
    expect(total((s) => s.partitions)).toBeGreaterThan(0);
    expect(total((s) => s.transfers)).toBeGreaterThan(0);
    expect(total((s) => s.membershipChanges)).toBeGreaterThan(0);
    expect(total((s) => s.messagesDropped)).toBeGreaterThan(0);
    expect(total((s) => s.messagesDuplicated)).toBeGreaterThan(0);
    expect(total((s) => s.writesAcked)).toBeGreaterThan(0);
    expect(total((s) => s.readsChecked)).toBeGreaterThan(0);
    for (const r of runs) expect(r.stats.leaderTerms).toBeGreaterThan(1);
  });

  it("replays a seed exactly: the same seed gives the same trace", () => {
    const traceOf = (seed: number) => {
      const lines: string[] = [];
      runSimulation({ seed, nodes: 3, verbose: true, trace: (l) => lines.push(l) });
      return lines;
    };
    const a = traceOf(42);
    expect(a.length).toBeGreaterThan(500);
    expect(traceOf(42)).toEqual(a);
    expect(traceOf(43)).not.toEqual(a);
  });
});

describe("the simulator catches deliberately broken rules", () => {
  const cases: { bug: string; property: RegExp; nodes?: number; seeds?: number }[] = [
    // Granting a second vote in one term: caught as a changed persisted vote or as two leaders.
    { bug: "vote-twice", property: /one vote per term|election safety/ },
    // Committing an earlier term's entry by counting replicas (the paper's figure 8).
    { bug: "commit-old-term", property: /leader commits only its own term|leader completeness|committed log agreement/ },
    // Membership changes without waiting for the last to commit: two configurations can then
    // differ by two voters, and their majorities need not overlap (two leaders in one term, or
    // a leader without committed entries), or neither can elect anyone (liveness). Rarer: a
    // change, a leader change and a second change must line up, which 5 nodes give more room for.
    { bug: "concurrent-conf-changes", property: /election safety|leader completeness|committed log agreement|liveness/, nodes: 5, seeds: 100 },
  ];
  for (const { bug, property, nodes = 3, seeds = 50 } of cases) {
    it(`${bug}: fails with a seed whose replay command reproduces the same failure`, () => {
      const failed = failuresOf(nodes, bug, seeds);
      expect(failed.length).toBeGreaterThan(0);
      const first = failed[0]!;
      expect(first.failure!.property).toMatch(property);
      const job: SeedJob = { seed: first.seed, nodes: first.nodes };
      expect(replayCommand(job, { bug })).toBe(`pnpm sim --seed ${first.seed} --nodes ${nodes} --inject-bug ${bug}`);
      const replay = runJob(job, { bug });
      expect(replay.failure).toEqual(first.failure);
      // Without the bug, the same seed passes: the failure is the bug's, not the seed's.
      expect(runJob(job, {}).ok).toBe(true);
    });
  }
});
