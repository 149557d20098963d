import fc from "fast-check";
import { hexPreview } from "./mutate.js";
import { FuzzFailure, newStats, record, type CrashReport, type InProcessTarget, type Outcome, type TargetStats } from "./types.js";

export interface InProcessRunOptions {
  readonly fcSeed: number;
  readonly budgetMs: number;
  /** Replay one counterexample (fast-check's path) instead of fuzzing. */
  readonly path?: string;
  /** One input taking longer than this is a failure ("slow"). */
  readonly slowMs?: number;
  /** Memory (heap + array buffers) above this is a failure, checked every 256 inputs. */
  readonly memoryLimitBytes?: number;
  /** Called before each input with the number of inputs started so far (the watchdog's progress). */
  readonly onInput?: (started: number) => void;
  /** Where the target may write scratch files (the caller removes it). */
  readonly scratchDir?: string;
}

const DEFAULT_SLOW_MS = 2000;
const DEFAULT_MEMORY_LIMIT = 512 * 1024 * 1024;
/** As many runs as time allows: interruptAfterTimeLimit ends the run. */
const UNBOUNDED_RUNS = 2_000_000_000;

/** How an exception reads in a crash report. */
export function describeError(e: unknown): { kind: string; message: string } {
  if (e instanceof FuzzFailure) return { kind: e.kind, message: e.message };
  if (e instanceof Error) return { kind: `throw ${e.name}`, message: (e.stack ?? e.message).split("\n").slice(0, 6).join("\n") };
  return { kind: "throw", message: String(e) };
}

/**
 * Fuzzes one synchronous decoder with fast-check until the budget is spent: every input
 * classified (accepted, rejected by kind), the first crash shrunk by fast-check and reported
 * with the seed and path that replay it. Inputs tried while shrinking are not counted.
 */
export function fuzzInProcess<T>(target: InProcessTarget<T>, o: InProcessRunOptions): TargetStats {
  const stats = newStats(target.name);
  const slowMs = o.slowMs ?? DEFAULT_SLOW_MS;
  const memoryLimit = o.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT;
  let failed = false;
  let started = 0;
  const property = fc.property(target.arbitrary, (input) => {
    o.onInput?.(++started);
    let outcome: Outcome;
    try {
      const t0 = performance.now();
      outcome = target.run(input);
      const took = performance.now() - t0;
      if (took > slowMs) throw new FuzzFailure("slow", `one input took ${took.toFixed(0)} ms (limit ${slowMs} ms)`);
      if ((started & 255) === 0) {
        const m = process.memoryUsage();
        const used = m.heapUsed + m.arrayBuffers;
        if (used > memoryLimit) throw new FuzzFailure("memory", `memory use reached ${(used / 2 ** 20).toFixed(0)} MiB within the last 256 inputs`);
      }
    } catch (e) {
      if (!failed) {
        failed = true;
        stats.tried++;
        stats.crashes++;
      }
      throw e;
    }
    if (!failed) record(stats, outcome);
  });
  const t0 = performance.now();
  if (target.setup !== undefined) {
    if (o.scratchDir === undefined) throw new Error(`target ${target.name} needs a scratch directory`);
    target.setup(o.scratchDir);
  }
  let details: fc.RunDetails<[T]>;
  try {
    details = fc.check(property, {
      seed: o.fcSeed,
      numRuns: o.path === undefined ? UNBOUNDED_RUNS : 1,
      interruptAfterTimeLimit: o.budgetMs,
      markInterruptAsFailure: false,
      ...(o.path === undefined ? {} : { path: o.path }),
    });
  } catch (e) {
    // fast-check throws (rather than reporting a counterexample) when generating an input fails.
    stats.elapsedMs = performance.now() - t0;
    stats.crashes++;
    const { message } = describeError(e);
    stats.crashReports.push({
      target: target.name,
      kind: "fuzzer bug",
      message: `generating input ${started + 1} threw: a bug in the fuzzer's generator, not in the target\n${message}`,
      input: "(none: it was being generated)",
      fcSeed: o.fcSeed,
      path: String(started),
    });
    return stats;
  }
  stats.elapsedMs = performance.now() - t0;
  if (details.failed && details.counterexample !== null) {
    stats.crashReports.push(crashReport(target, o.fcSeed, details.counterexample[0], details.counterexamplePath ?? undefined, details.errorInstance));
  } else if (stats.crashes > 0 || details.failed) {
    // fast-check ended on the failure without a counterexample to show (say, interrupted while shrinking).
    const { kind, message } = describeError(details.errorInstance);
    stats.crashes = Math.max(stats.crashes, 1);
    stats.crashReports.push({ target: target.name, kind, message, input: "(not kept)", fcSeed: o.fcSeed, path: undefined });
  }
  return stats;
}

export function crashReport<T>(target: InProcessTarget<T>, fcSeed: number, input: T, path: string | undefined, error: unknown): CrashReport {
  const { kind, message } = describeError(error);
  return { target: target.name, kind, message, input: hexPreview(target.show(input)), fcSeed, path };
}
