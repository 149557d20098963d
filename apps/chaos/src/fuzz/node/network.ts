import fc from "fast-check";
import { describeError } from "../property.js";
import { newStats, record, type Outcome, type TargetStats } from "../types.js";

/** A target reached over the network: a real node process, one request or connection per input. */
export interface NetworkTarget<T> {
  readonly name: string;
  readonly description: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Inputs sent at the same time (1: one after the other). */
  readonly concurrency: number;
  run(input: T): Promise<Outcome>;
  show(input: T): string;
}

/** The first input that failed, how, and its place in the run (fast-check's path to it). */
class CaseFailure<T> extends Error {
  constructor(
    readonly failure: unknown,
    readonly input: T,
    readonly index: number,
  ) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

/**
 * Fuzzes a network target until the budget is spent, with up to `concurrency` inputs in
 * flight: each fast-check run starts one input and returns as soon as there is room for the
 * next, so one slow exchange does not hold the others up. The first failure ends the run
 * without shrinking: the node may be gone or changed by then, so smaller inputs would prove
 * nothing. Its index is fast-check's path, so `--path` replays it alone.
 */
export async function fuzzNetwork<T>(target: NetworkTarget<T>, o: { fcSeed: number; budgetMs: number; path?: string }): Promise<TargetStats> {
  const stats = newStats(target.name);
  const t0 = performance.now();
  const inFlight = new Set<Promise<void>>();
  let failure: CaseFailure<T> | undefined;
  let started = o.path === undefined ? 0 : Number(o.path.split(":")[0]);
  await fc.check(
    fc.asyncProperty(target.arbitrary, async (input) => {
      while (failure === undefined && inFlight.size >= target.concurrency) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
      const index = started++;
      const run: Promise<void> = target.run(input).then(
        (outcome) => record(stats, outcome),
        (e: unknown) => {
          stats.tried++;
          stats.crashes++;
          failure ??= new CaseFailure(e, input, index);
        },
      );
      const tracked = run.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }),
    {
      seed: o.fcSeed,
      numRuns: o.path === undefined ? 2_000_000_000 : 1,
      interruptAfterTimeLimit: o.budgetMs,
      markInterruptAsFailure: false,
      endOnFailure: true,
      ...(o.path === undefined ? {} : { path: o.path }),
    },
  );
  await Promise.all(inFlight);
  stats.elapsedMs = performance.now() - t0;
  if (failure !== undefined) {
    const { kind, message } = describeError(failure.failure);
    stats.crashReports.push({ target: target.name, kind, message, input: target.show(failure.input), fcSeed: o.fcSeed, path: String(failure.index) });
  }
  return stats;
}
