import { parentPort, workerData } from "node:worker_threads";
import { fuzzInProcess } from "./property.js";
import { inProcessTarget, loadExtraTargets } from "./targets/index.js";
import { toData } from "./types.js";

/**
 * Runs in a worker thread: fuzzes the in-process targets one after the other and posts each
 * one's stats. Before every input it writes its progress into shared memory, so the thread
 * that started it can tell a decoder stuck in a loop (it stops advancing) and which input it
 * was on, and terminate it; the worker's heap limit turns a runaway allocation into an error
 * the supervisor sees, instead of the whole fuzzer dying.
 */
export interface WorkerJob {
  readonly targets: readonly { readonly name: string; readonly fcSeed: number; readonly budgetMs: number }[];
  readonly path?: string;
  /** Modules whose export `target` is one more in-process target (the fuzzer's own tests use it). */
  readonly extraModules?: readonly string[];
  /** Int32Array over it: [index of the target running, inputs it has started]. */
  readonly progress: SharedArrayBuffer;
  /** Scratch files go here; the supervisor removes it. */
  readonly scratchDir: string;
}

export type WorkerMessage = { readonly type: "stats"; readonly index: number; readonly stats: ReturnType<typeof toData> } | { readonly type: "done" };

const job = workerData as WorkerJob;
const progress = new Int32Array(job.progress);
const extra = await loadExtraTargets(job.extraModules ?? []);
job.targets.forEach((t, index) => {
  const target = inProcessTarget(t.name) ?? extra.find((x) => x.name === t.name);
  if (target === undefined) throw new Error(`no in-process target "${t.name}"`);
  Atomics.store(progress, 0, index);
  Atomics.store(progress, 1, 0);
  const stats = fuzzInProcess(target, {
    fcSeed: t.fcSeed,
    budgetMs: t.budgetMs,
    scratchDir: job.scratchDir,
    ...(job.path === undefined ? {} : { path: job.path }),
    onInput: (started) => Atomics.store(progress, 1, started),
  });
  parentPort!.postMessage({ type: "stats", index, stats: toData(stats) } satisfies WorkerMessage);
});
parentPort!.postMessage({ type: "done" } satisfies WorkerMessage);
