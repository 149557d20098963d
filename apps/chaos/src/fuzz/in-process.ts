import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { onInterrupt } from "../../../node/test/interrupt-cleanup.js";
import { crashReport } from "./property.js";
import { inProcessTarget, loadExtraTargets } from "./targets/index.js";
import { FuzzFailure, fromData, newStats, type TargetStats } from "./types.js";
import type { WorkerJob, WorkerMessage } from "./worker.js";

export interface InProcessPlan {
  readonly name: string;
  readonly fcSeed: number;
  readonly budgetMs: number;
}

export interface SupervisorOptions {
  readonly path?: string;
  /** No new input started for this long: the decoder is stuck (default 10 s). */
  readonly hangMs?: number;
  /** The worker's heap (default 512 MiB): beyond it, the input being decoded is reported. */
  readonly heapLimitMb?: number;
  /** Modules exporting one more target each (see WorkerJob.extraModules). */
  readonly extraModules?: readonly string[];
}

const tsxApi = import.meta.resolve("tsx/esm/api");
const workerEntry = new URL("./worker.ts", import.meta.url).href;
/** The worker runs TypeScript: it registers tsx's loader first, then imports its entry. */
const BOOT = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(workerEntry)}); });`;

/**
 * Fuzzes the in-process targets in a worker thread and watches it. A target whose decoder
 * never returns (no progress for hangMs), or exhausts the worker's heap, is reported as a
 * crash with the input it was on, regenerated from fast-check's seed and path; the remaining
 * targets continue in a new worker.
 */
export async function runInProcess(plan: readonly InProcessPlan[], o: SupervisorOptions = {}): Promise<TargetStats[]> {
  // Scratch files (config files written per input) in memory where the system has it: a
  // write to disk costs thirty times more. Removed here, whatever happens to the worker.
  const scratchDir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "raft-fuzz-"));
  const unregister = onInterrupt(() => rmSync(scratchDir, { recursive: true, force: true }));
  try {
    const results: TargetStats[] = [];
    let rest = [...plan];
    while (rest.length > 0) {
      const { done, stuck } = await runWorker(rest, o, scratchDir);
      results.push(...done);
      if (stuck === undefined) break;
      results.push(stuck);
      rest = rest.slice(done.length + 1);
    }
    return results;
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
    unregister();
  }
}

/**
 * Before its first input a fresh worker is loading the targets' modules through tsx, which on a
 * loaded machine takes seconds: that is not a decoder hanging, so it gets this long instead.
 */
const BOOT_GRACE_MS = 60_000;

async function runWorker(plan: readonly InProcessPlan[], o: SupervisorOptions, scratchDir: string): Promise<{ done: TargetStats[]; stuck?: TargetStats }> {
  const hangMs = o.hangMs ?? 10_000;
  const progress = new SharedArrayBuffer(8);
  const view = new Int32Array(progress);
  const extra = await loadExtraTargets(o.extraModules ?? []);
  const job: WorkerJob = { targets: plan, progress, scratchDir, extraModules: o.extraModules ?? [], ...(o.path === undefined ? {} : { path: o.path }) };
  const worker = new Worker(BOOT, { eval: true, workerData: job, resourceLimits: { maxOldGenerationSizeMb: o.heapLimitMb ?? 512 } });
  const done: TargetStats[] = [];
  return new Promise((resolve) => {
    let lastSeen = -1;
    let lastChange = performance.now();
    let settled = false;
    const finish = (stuck?: TargetStats) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve(stuck === undefined ? { done } : { done, stuck });
    };
    /** The target the worker was on, with the input it had started, as a crash. */
    const crashed = (error: FuzzFailure): TargetStats => {
      const index = Atomics.load(view, 0);
      const p = plan[index]!;
      const target = (inProcessTarget(p.name) ?? extra.find((x) => x.name === p.name))!;
      const started = Atomics.load(view, 1);
      const stats = newStats(p.name);
      stats.tried = started;
      stats.crashes = 1;
      stats.notes.push("the counts of accepted and rejected inputs were lost with the worker");
      // Input n (1-based) of a fast-check run is the one at path n - 1.
      const path = o.path ?? String(Math.max(0, started - 1));
      const [input] = fc.sample(target.arbitrary, { seed: p.fcSeed, path, numRuns: 1 });
      stats.crashReports.push(crashReport(target, p.fcSeed, input, path, error));
      return stats;
    };
    const watchdog = setInterval(() => {
      const seen = Atomics.load(view, 1) + Atomics.load(view, 0) * 2 ** 31;
      if (seen !== lastSeen) {
        lastSeen = seen;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > (seen === 0 ? Math.max(hangMs, BOOT_GRACE_MS) : hangMs)) {
        finish(crashed(new FuzzFailure("hang", `no input finished for ${hangMs} ms: the decoder does not return`)));
      }
    }, 100);
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "stats") done.push(fromData(m.stats));
      else finish();
    });
    worker.on("error", (e: Error & { code?: string }) => {
      const outOfMemory = e.code === "ERR_WORKER_OUT_OF_MEMORY";
      finish(crashed(new FuzzFailure(outOfMemory ? "memory" : "exit", `the worker died: ${outOfMemory ? "its heap limit was reached" : (e.stack ?? e.message)}`)));
    });
    // Exiting before "done" without an error event: something called process.exit.
    worker.on("exit", (code) => finish(crashed(new FuzzFailure("exit", `the worker exited with status ${code} before finishing`))));
  });
}
