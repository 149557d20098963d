import { describe, expect, it } from "vitest";
import { checkHistory } from "../src/index.js";
import { breakReadNear, randomLinearizableHistory } from "./generate.js";


// Verdicts within the default step budget are deterministic, and a search that goes badly
// wrong runs out of that budget and answers "could not decide", which fails these tests. No
// wall-clock bound is asserted (a shared machine's load decides those); the checker's speed
// is measured by packages/linearizability/bench.
const shapes = {
  "~4 overlapping, unique values": { clients: 5, maxHalfWidth: 20, indeterminateShare: 0 },
  "~10 overlapping, unique values": { clients: 10, maxHalfWidth: 50, indeterminateShare: 0 },
  "~4 overlapping, 2% indeterminate and 1% failed": { clients: 5, maxHalfWidth: 20, indeterminateShare: 0.02 },
  "~10 overlapping, 2% indeterminate, 3 distinct values": {
    clients: 10,
    maxHalfWidth: 50,
    indeterminateShare: 0.02,
    distinctValues: 3,
  },
  "~4 overlapping, 10% indeterminate and 5% failed": { clients: 5, maxHalfWidth: 20, indeterminateShare: 0.1 },
} as const;

describe("verdicts within the step budget on 20,000 operations on one key", () => {
  for (const [name, shape] of Object.entries(shapes)) {
    it(`${name}: passes as made, fails with one read broken near the end`, () => {
      const history = randomLinearizableHistory({ seed: 11, count: 20_000, keys: 1, ...shape });
      const good = checkHistory(history);
      expect(good.ok).toBe(true);

      const bad = checkHistory(breakReadNear(history, 0.99));
      expect(bad.ok).toBe(false);
      if (bad.ok === false) expect(bad.explanation.prefix.length).toBeGreaterThan(15_000);
    });
  }

  it("checks 100 keys x 1,000 operations", () => {
    const history = randomLinearizableHistory({
      seed: 12,
      count: 100_000,
      keys: 100,
      clients: 10,
      maxHalfWidth: 50,
      indeterminateShare: 0.02,
    });
    const result = checkHistory(history);
    expect(result).toMatchObject({ ok: true, stats: { keys: 100, keysChecked: 100 } });
  });
});
