/**
 * How fast the checker is: `pnpm --filter @raft-ts/linearizability bench`.
 *
 * Histories are generated linearizable (test/generate.ts): a sequential run of a real map,
 * each operation wrapped in a random interval around its point, handed to clients. The
 * "broken" variants change one read near the end (at 99%) to a value never written, which
 * forces the search to rule out every order before that point: the expensive case.
 */
import { checkHistory, type CheckOptions } from "../src/index.js";
import { breakReadNear, randomLinearizableHistory } from "../test/generate.js";


const base = { seed: 7, count: 20_000, keys: 1, clients: 5, maxHalfWidth: 20, indeterminateShare: 0 };
const shapes: [string, Parameters<typeof randomLinearizableHistory>[0]][] = [
  ["1 key, 20k ops, ~4 overlapping, unique values", base],
  ["1 key, 20k ops, ~10 overlapping, unique values", { ...base, clients: 10, maxHalfWidth: 50 }],
  ["1 key, 20k ops, ~4 overlapping, 2% indeterminate, 2% failed", { ...base, indeterminateShare: 0.02 }],
  ["1 key, 20k ops, ~10 overlapping, 2% indeterminate, 3 values", { ...base, clients: 10, maxHalfWidth: 50, indeterminateShare: 0.02, distinctValues: 3 }],
  ["1 key, 20k ops, ~4 overlapping, 10% indeterminate, 5% failed", { ...base, indeterminateShare: 0.1 }],
  ["100 keys, 200k ops, ~10 overlapping, 2% indeterminate", { ...base, count: 200_000, keys: 100, clients: 10, maxHalfWidth: 50, indeterminateShare: 0.02 }],
];
const strategies: NonNullable<CheckOptions["strategy"]>[] = ["auto", "depth-first", "breadth-first"];
const only = process.argv[2] as CheckOptions["strategy"] | undefined;

for (const [name, shape] of shapes) {
  const history = randomLinearizableHistory(shape);
  for (const broken of [false, true]) {
    const input = broken ? breakReadNear(history, 0.99) : history;
    for (const strategy of strategies) {
      if (only !== undefined && strategy !== only) continue;
      const started = performance.now();
      const result = checkHistory(input, { strategy });
      const ms = performance.now() - started;
      const rate = Math.round((input.length / ms) * 1000).toLocaleString("en-US");
      console.log(
        `${(broken ? "broken  " : "as made ") + name} [${strategy}]: ${String(result.ok)} in ${ms.toFixed(0)} ms ` +
          `(${rate} ops/s, ${result.stats.steps.toLocaleString("en-US")} steps)`,
      );
    }
  }
}
