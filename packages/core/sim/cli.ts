import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { INJECTABLE_BUGS, replayCommand, runJob, type RunSettings, type SeedJob } from "./seeds.js";
import { runSimulation, type SimResult } from "./simulation.js";

const USAGE = `pnpm sim [options]

Runs the deterministic Raft simulation: clusters under message loss, duplication, delay and
reordering, partitions, crashes and restarts, with every safety property checked after every
step and liveness checked once the faults heal.

  --seeds N          seeds per cluster size (default 1000)
  --start S          first seed (default 1)
  --nodes LIST       cluster sizes, comma-separated (default 3,5)
  --seed S           replay one seed with a readable trace (use with --nodes)
  --verbose          with --seed: also trace every message and debug logs
  --chaos-ms MS      simulated milliseconds of faults before healing (default 10000)
  --workers N        worker threads (default: the number of cores)
  --inject-bug NAME  run with a deliberate protocol bug (${Object.keys(INJECTABLE_BUGS).join(", ")})
  -h, --help         this text`;

function fail(message: string): never {
  console.error(`pnpm sim: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      seeds: { type: "string" },
      start: { type: "string" },
      nodes: { type: "string" },
      seed: { type: "string" },
      verbose: { type: "boolean" },
      "chaos-ms": { type: "string" },
      workers: { type: "string" },
      "inject-bug": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const sizes = (args.nodes ?? "3,5").split(",").map((s) => int("nodes", s.trim(), 3));
for (const n of sizes) if (n < 1 || n > 9) fail(`--nodes: cluster sizes must be 1..9, got ${n}`);
const bug = args["inject-bug"];
if (bug !== undefined && !(bug in INJECTABLE_BUGS)) fail(`--inject-bug: unknown bug "${bug}"`);
const chaosMs = args["chaos-ms"] === undefined ? undefined : int("chaos-ms", args["chaos-ms"], 4000);
const settings: RunSettings = {
  ...(chaosMs === undefined ? {} : { chaosMs }),
  ...(bug === undefined ? {} : { bug }),
};

function summary(r: SimResult): string {
  const s = r.stats;
  return (
    `${s.ms} ms simulated, ${s.messagesSent} messages (${s.messagesDropped} dropped, ${s.messagesDuplicated} duplicated), ` +
    `${s.crashes} crashes, ${s.partitions} partitions, ${s.transfers} leadership transfers, ${s.membershipChanges} membership changes (${s.wipes} wiped), ${s.snapshotsTaken} snapshots taken, ${s.snapshotsInstalled} installed, ${s.leaderTerms} leader terms, ${s.writesAcked} writes acked, ` +
    `${s.readsChecked} reads checked, commit ${s.finalCommit}, ${s.checks} checks`
  );
}

function reportFailure(r: SimResult): void {
  const job = { seed: r.seed, nodes: r.nodes };
  console.error(`\nFAIL seed=${r.seed} nodes=${r.nodes} at ${r.failure!.atMs} ms: ${r.failure!.message}`);
  console.error(`  replay: ${replayCommand(job, settings)}`);
}

if (args.seed !== undefined) {
  // Replay: one seed per cluster size, traced.
  const seed = int("seed", args.seed, 1);
  let failed = false;
  for (const nodes of sizes) {
    console.log(`== seed ${seed}, ${nodes} nodes ==`);
    const testingBugs = bug === undefined ? undefined : INJECTABLE_BUGS[bug];
    const r = runSimulation({
      seed,
      nodes,
      ...(chaosMs === undefined ? {} : { chaosMs }),
      ...(testingBugs === undefined ? {} : { testingBugs }),
      verbose: args.verbose ?? false,
      trace: (line) => console.log(line),
    });
    console.log(`${r.ok ? "PASS" : "FAIL"} seed=${seed} nodes=${nodes}: ${summary(r)}`);
    if (!r.ok) {
      failed = true;
      reportFailure(r);
    }
  }
  process.exit(failed ? 1 : 0);
}

const count = int("seeds", args.seeds, 1000);
const start = int("start", args.start, 1);
const jobs: SeedJob[] = [];
for (const nodes of sizes) for (let s = start; s < start + count; s++) jobs.push({ seed: s, nodes });
const workers = Math.max(1, Math.min(int("workers", args.workers, availableParallelism()), jobs.length));

const began = performance.now();
const results: SimResult[] = [];
let lastPrint = 0;
const tty = process.stdout.isTTY;

function progress(final: boolean): void {
  const now = performance.now();
  if (!final && now - lastPrint < (tty ? 200 : 5000)) return;
  lastPrint = now;
  const failures = results.filter((r) => !r.ok).length;
  const line = `sim: ${results.length}/${jobs.length} runs, ${failures} failed, ${((now - began) / 1000).toFixed(1)} s`;
  if (tty) process.stdout.write(`\r${line}${final ? "\n" : ""}`);
  else console.log(line);
}

function finish(): void {
  progress(true);
  const failed = results.filter((r) => !r.ok).sort((a, b) => a.nodes - b.nodes || a.seed - b.seed);
  const total = results.reduce(
    (t, r) => ({
      messages: t.messages + r.stats.messagesSent,
      crashes: t.crashes + r.stats.crashes,
      partitions: t.partitions + r.stats.partitions,
      transfers: t.transfers + r.stats.transfers,
      membershipChanges: t.membershipChanges + r.stats.membershipChanges,
      wipes: t.wipes + r.stats.wipes,
      snapshotsTaken: t.snapshotsTaken + r.stats.snapshotsTaken,
      snapshotsInstalled: t.snapshotsInstalled + r.stats.snapshotsInstalled,
      writes: t.writes + r.stats.writesAcked,
      reads: t.reads + r.stats.readsChecked,
      checks: t.checks + r.stats.checks,
    }),
    { messages: 0, crashes: 0, partitions: 0, transfers: 0, membershipChanges: 0, wipes: 0, snapshotsTaken: 0, snapshotsInstalled: 0, writes: 0, reads: 0, checks: 0 },
  );
  console.log(
    `sim: ${results.length} runs (seeds ${start}..${start + count - 1}, nodes ${sizes.join(",")}): ` +
      `${total.messages} messages, ${total.crashes} crashes, ${total.partitions} partitions, ${total.transfers} leadership transfers, ` +
      `${total.membershipChanges} membership changes (${total.wipes} nodes wiped and re-added), ` +
      `${total.snapshotsTaken} snapshots taken and ${total.snapshotsInstalled} installed by lagging followers, ` +
      `${total.writes} writes acked, ${total.reads} linearizable reads checked, ${total.checks} safety checks`,
  );
  for (const r of failed.slice(0, 20)) reportFailure(r);
  if (failed.length > 20) console.error(`... and ${failed.length - 20} more failures`);
  console.log(failed.length === 0 ? `sim: all ${results.length} runs passed` : `sim: ${failed.length} of ${results.length} runs FAILED`);
  process.exit(failed.length === 0 ? 0 : 1);
}

if (workers === 1) {
  for (const job of jobs) {
    results.push(runJob(job, settings));
    progress(false);
  }
  finish();
} else {
  let running = workers;
  for (let w = 0; w < workers; w++) {
    const mine = jobs.filter((_, i) => i % workers === w);
    const worker = new Worker(new URL("./worker-entry.mjs", import.meta.url), {
      workerData: { jobs: mine, settings },
    });
    worker.on("message", (r: SimResult) => {
      results.push(r);
      progress(false);
    });
    worker.on("error", (e) => {
      console.error(`sim: worker failed: ${e.stack ?? e.message}`);
      process.exit(1);
    });
    worker.on("exit", () => {
      if (--running === 0) finish();
    });
  }
}
