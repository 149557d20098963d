// Storage benchmarks: append throughput with fsync beside raw better-sqlite3 doing the same
// writes, and the restart time and memory of a node whose log holds 1,000,000 entries.
// Figures, not assertions: this machine is shared and noisy, so compare ratios within one run.
//
//   pnpm --filter @raft-ts/storage-sqlite bench [--quick] [--json FILE]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Entry } from "@raft-ts/core";
import Database from "better-sqlite3";
import { DATABASE_FILE, SqliteStorage } from "../src/index.js";

const { values: args } = parseArgs({ options: { quick: { type: "boolean" }, json: { type: "string" } } });
const quick = args.quick ?? false;
const PAYLOAD = 128;
const BATCHES = [1, 16, 256];
const SECONDS_PER_RUN = quick ? 0.5 : 2;
const ROUNDS = quick ? 1 : 3;
const RESTART_ENTRIES = quick ? 100_000 : 1_000_000;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "raft-bench-"));
  dirs.push(d);
  return d;
}

function makeBatch(first: number, n: number): Entry[] {
  const data = new Uint8Array(PAYLOAD).fill(7);
  return Array.from({ length: n }, (_, i) => ({ index: first + i, term: 1, type: "normal" as const, data }));
}

/** Entries per second through SqliteStorage.persist, one transaction (and fsync) per batch. */
function runStorage(batch: number): number {
  const s = SqliteStorage.open(tempDir());
  let next = 1;
  const deadline = performance.now() + SECONDS_PER_RUN * 1000;
  const start = performance.now();
  while (performance.now() < deadline) {
    s.persist({ term: 1, vote: 1, commit: next - 1 }, makeBatch(next, batch));
    next += batch;
  }
  const rate = (next - 1) / ((performance.now() - start) / 1000);
  s.close();
  return rate;
}

/** The same rows and hard-state update through better-sqlite3 directly, same pragmas. */
function runRaw(batch: number): number {
  const db = new Database(join(tempDir(), "raw.db"));
  db.pragma("locking_mode = EXCLUSIVE");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(`CREATE TABLE log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, type INTEGER NOT NULL, data BLOB NOT NULL);
           CREATE TABLE hard_state (id INTEGER PRIMARY KEY, term INTEGER, vote INTEGER, commit_index INTEGER);
           INSERT INTO hard_state VALUES (0, 0, 0, 0);`);
  const insert = db.prepare("INSERT INTO log (idx, term, type, data) VALUES (?, ?, ?, ?)");
  const hs = db.prepare("UPDATE hard_state SET term = ?, vote = ?, commit_index = ? WHERE id = 0");
  const tx = db.transaction((entries: Entry[], commit: number) => {
    for (const e of entries) insert.run(e.index, e.term, 0, e.data);
    hs.run(1, 1, commit);
  });
  let next = 1;
  const deadline = performance.now() + SECONDS_PER_RUN * 1000;
  const start = performance.now();
  while (performance.now() < deadline) {
    tx(makeBatch(next, batch), next - 1);
    next += batch;
  }
  const rate = (next - 1) / ((performance.now() - start) / 1000);
  db.close();
  return rate;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const results: Record<string, unknown> = { payloadBytes: PAYLOAD, append: [] as unknown[] };
console.log(`append throughput, fsync on every transaction (synchronous=FULL), ${PAYLOAD}-byte entries, median of ${ROUNDS} alternating ${SECONDS_PER_RUN}s runs`);
console.log("batch | raft-ts entries/s | raw better-sqlite3 entries/s | ratio (target >= 0.60)");
for (const batch of BATCHES) {
  const ours: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    raw.push(runRaw(batch));
    ours.push(runStorage(batch));
  }
  const o = median(ours);
  const w = median(raw);
  (results.append as unknown[]).push({ batch, entriesPerSecond: o, rawEntriesPerSecond: w, ratio: o / w });
  console.log(`${String(batch).padStart(5)} | ${o.toFixed(0).padStart(17)} | ${w.toFixed(0).padStart(28)} | ${(o / w).toFixed(2)}`);
}

// ---- restart with a large log -------------------------------------------------------------
const bigDir = tempDir();
{
  const build = SqliteStorage.open(bigDir, { synchronous: "normal" });
  const chunk = 10_000;
  for (let first = 1; first <= RESTART_ENTRIES; first += chunk) {
    build.persist({ term: 1, vote: 1, commit: first + chunk - 1 }, makeBatch(first, chunk));
  }
  build.close();
}
// Measure in a fresh process, so the memory figure is the reopened node's alone.
const probe = fileURLToPath(new URL("./reopen-probe.ts", import.meta.url));
const out = execFileSync(process.execPath, ["--import", "tsx", probe, bigDir], {
  cwd: fileURLToPath(new URL("..", import.meta.url)),
  encoding: "utf8",
});
const restart = JSON.parse(out.trim().split("\n").pop()!) as {
  openMs: number;
  lastIndex: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  heapUsedMb: number;
};
results.restart = { entries: RESTART_ENTRIES, file: DATABASE_FILE, ...restart };
console.log(`\nrestart with ${RESTART_ENTRIES.toLocaleString("en")} entries: open and ready in ${restart.openMs.toFixed(1)} ms (target < 1000 ms)`);
console.log(
  `  process RSS ${restart.rssAfterMb.toFixed(0)} MB after open (${restart.rssBeforeMb.toFixed(0)} MB before, target < 150 MB), JS heap ${restart.heapUsedMb.toFixed(0)} MB`,
);

if (args.json !== undefined) writeFileSync(args.json, JSON.stringify(results, null, 2));
for (const d of dirs) rmSync(d, { recursive: true, force: true });
