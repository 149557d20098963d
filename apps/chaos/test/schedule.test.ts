import { describe, expect, it } from "vitest";
import { downAt, drawSchedule, GAP_MS, LENGTH_MS, maxDown, PAUSE_SHORT_MS } from "../src/chaos/schedule.js";

describe("the chaos fault schedule", () => {
  it("is the same for the same seed, and differs for another", () => {
    const a = drawSchedule({ seed: 42, nodes: 3, durationMs: 90_000 });
    expect(drawSchedule({ seed: 42, nodes: 3, durationMs: 90_000 })).toEqual(a);
    expect(drawSchedule({ seed: 43, nodes: 3, durationMs: 90_000 })).not.toEqual(a);
  });

  it("never has more than a minority of nodes killed or paused at once", () => {
    for (const nodes of [3, 5]) {
      for (let seed = 0; seed < 200; seed++) {
        const schedule = drawSchedule({ seed, nodes, durationMs: 60_000 });
        // The count can only rise when a fault starts, so checking every start suffices.
        for (const f of schedule) {
          const down = downAt(schedule, f.atMs);
          expect(down.length).toBeLessThanOrEqual(maxDown(nodes));
          expect(new Set(down).size).toBe(down.length);
        }
      }
    }
  });

  it("spaces faults 0.5-2 s apart, reverts each in time, and draws every kind", () => {
    const schedule = drawSchedule({ seed: 7, nodes: 5, durationMs: 300_000 });
    const kinds = new Set(schedule.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(["conditions", "cut-one-way", "isolate", "isolate-leader", "kill", "pause", "split"]);
    for (let i = 0; i < schedule.length; i++) {
      const f = schedule[i]!;
      const length = f.revertAtMs - f.atMs;
      if (f.revertAtMs < 300_000) {
        const short = f.kind === "pause" && length <= PAUSE_SHORT_MS[1];
        expect(length).toBeGreaterThanOrEqual(short ? PAUSE_SHORT_MS[0] : LENGTH_MS[0]);
        expect(length).toBeLessThanOrEqual(LENGTH_MS[1]);
      }
      if (i > 0) expect(f.atMs - schedule[i - 1]!.atMs).toBeGreaterThanOrEqual(GAP_MS[0]);
      if (f.kind === "split") expect(f.groups!.flat().sort()).toEqual([1, 2, 3, 4, 5]);
      if (f.kind === "cut-one-way") expect(f.from).not.toBe(f.to);
      if (f.kind === "conditions") {
        const c = f.conditions!;
        expect(c.minDelayMs).toBeGreaterThanOrEqual(1);
        expect(c.maxDelayMs).toBeLessThanOrEqual(20);
        expect(c.drop).toBeLessThanOrEqual(0.2);
        expect(c.duplicate).toBeLessThanOrEqual(0.05);
      }
    }
  });

  it("the end-to-end test's seed has a kill, a pause and a partition", () => {
    const kinds = new Set(drawSchedule({ seed: 42, nodes: 3, durationMs: 90_000 }).map((f) => f.kind));
    expect(kinds).toContain("kill");
    expect(kinds).toContain("pause");
    expect(["isolate-leader", "isolate", "split"].some((k) => kinds.has(k as never))).toBe(true);
  });
});
