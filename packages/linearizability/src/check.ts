/** The entry point: split by key, search each key, report the first failure or out-of-budget. */
import { defaultClock } from "./clock.js";
import { explainFailure } from "./explain.js";
import { partitionByKey, prepareKey, type KeyProblem } from "./prepare.js";
import { searchKeyBreadthFirst } from "./bfs.js";
import { searchKey, type Budget, type SearchOutcome } from "./search.js";
import type { CheckOptions, CheckResult, CheckStats, KvOperation } from "./types.js";

/**
 * The default step allowance (about 2 to 5 seconds of searching): enough for tens of
 * thousands of operations per key with up to ten or so overlapping.
 */
export const DEFAULT_MAX_STEPS = 50_000_000;

/**
 * Searches one key. "auto": depth-first (fast when the history is linearizable) with a
 * small allowance, then breadth-first (whose cost does not blow up when it is not) with the
 * rest of the budget.
 */
function searchWith(strategy: NonNullable<CheckOptions["strategy"]>, problem: KeyProblem, budget: Budget): SearchOutcome {
  switch (strategy) {
    case "depth-first":
      return searchKey(problem, budget);
    case "breadth-first":
      return searchKeyBreadthFirst(problem, budget);
    case "auto": {
      const allowance = 20_000 + 20 * problem.searched.length;
      const first: Budget = { ...budget, maxSteps: Math.min(budget.maxSteps, budget.steps + allowance) };
      const outcome = searchKey(problem, first);
      budget.steps = first.steps;
      if (outcome.kind !== "budget" || outcome.why === "time" || first.maxSteps === budget.maxSteps) return outcome;
      return searchKeyBreadthFirst(problem, budget);
    }
  }
}

/**
 * Checks that a key-value history is linearizable: that there is one total order of its
 * operations, consistent with real time (an operation that returned before another was called
 * comes first), in which every get reads the latest put (or nothing, after a delete or before
 * any put). Keys are independent registers, so each key's sub-history is checked on its own,
 * smallest first.
 *
 * Returns `{ ok: true }`, `{ ok: false, key, explanation }` for the first key found not
 * linearizable, or `{ ok: "unknown", reason }` when the step or time budget ran out first.
 * Throws `InvalidHistoryError` on a malformed history.
 */
export function checkHistory(history: readonly KvOperation[], options: CheckOptions = {}): CheckResult {
  const now = options.now ?? defaultClock;
  const started = now();
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!(maxSteps >= 0)) throw new RangeError(`maxSteps must be >= 0, got ${maxSteps}`);
  if (options.timeoutMs !== undefined && !(options.timeoutMs >= 0)) {
    throw new RangeError(`timeoutMs must be >= 0, got ${options.timeoutMs}`);
  }
  const budget: Budget = {
    maxSteps,
    deadline: options.timeoutMs === undefined ? Infinity : started + options.timeoutMs,
    now,
    steps: 0,
  };
  const reduce = options.reduceIndeterminate ?? true;
  const strategy = options.strategy ?? "auto";

  const problems: KeyProblem[] = [];
  for (const [key, refs] of partitionByKey(history)) problems.push(prepareKey(key, refs, reduce));
  problems.sort((a, b) => a.searched.length - b.searched.length);
  const operations = problems.reduce((sum, p) => sum + p.searched.length, 0);
  const dropped = problems.reduce((sum, p) => sum + p.dropped, 0);

  let keysChecked = 0;
  const stats = (): CheckStats => ({
    keys: problems.length,
    keysChecked,
    operations,
    dropped,
    steps: budget.steps,
    elapsedMs: now() - started,
  });

  for (const problem of problems) {
    const outcome = searchWith(strategy, problem, budget);
    switch (outcome.kind) {
      case "linearizable":
        keysChecked++;
        break;
      case "not-linearizable":
        keysChecked++;
        return {
          ok: false,
          key: problem.key,
          explanation: explainFailure(problem, outcome.prefix, outcome.statesAfter),
          stats: stats(),
        };
      case "budget": {
        const limit =
          outcome.why === "steps"
            ? `the step budget (${maxSteps} steps) ran out`
            : `the time budget (${String(options.timeoutMs)} ms) ran out`;
        return {
          ok: "unknown",
          key: problem.key,
          reason:
            `${limit} while checking key ${JSON.stringify(problem.key)} (${problem.searched.length} operations); ` +
            `${keysChecked} of ${problems.length} keys were checked and found linearizable, the rest were not checked`,
          stats: stats(),
        };
      }
    }
  }
  return { ok: true, stats: stats() };
}
