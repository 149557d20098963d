import type { Entry } from "@raft-ts/core";
import { SqliteStorage } from "@raft-ts/storage-sqlite";
import { join } from "node:path";
import type { CheckOutcome } from "./checks.js";

/** Where node `id` of a chaos run keeps its data (the config's `dataDir` pattern). */
export function nodeDataDir(runDir: string, id: number): string {
  return join(runDir, `node-${id}`);
}

interface DiskLog {
  readonly id: number;
  readonly storage: SqliteStorage;
}

const BATCH = 2000;
const BATCH_BYTES = 64 * 1024 * 1024;

function sameEntry(a: Entry, b: Entry): boolean {
  if (a.term !== b.term || a.type !== b.type || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/**
 * Raft's Log Matching and State Machine Safety, read from the nodes' own SQLite files once
 * every node is stopped: for every pair of nodes, every index up to `committed` (the commit
 * index every node reported when the cluster converged) that both logs still hold must be the
 * same entry (term, type and bytes), and a snapshot's term must match the other node's entry
 * at that index. Each node compacts on its own schedule, so the pairs overlap over different
 * ranges; the detail says how many entries were compared.
 */
export function logsAgree(runDir: string, ids: readonly number[], committed: number): CheckOutcome {
  const logs: DiskLog[] = [];
  const problems: string[] = [];
  let compared = 0;
  let pairsWithOverlap = 0;
  try {
    for (const id of ids) logs.push({ id, storage: SqliteStorage.open(nodeDataDir(runDir, id)) });
    for (const l of logs) {
      if (l.storage.lastIndex() < committed) problems.push(`node ${l.id}: last index ${l.storage.lastIndex()} is below the converged commit ${committed}`);
    }
    for (let i = 0; i < logs.length; i++) {
      for (let j = i + 1; j < logs.length; j++) {
        const a = logs[i]!;
        const b = logs[j]!;
        compared += comparePair(a, b, committed, problems);
        if (Math.max(a.storage.firstIndex(), b.storage.firstIndex()) <= committed) pairsWithOverlap++;
        if (problems.length > 10) break;
      }
    }
  } catch (e) {
    problems.push(`reading the logs failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    for (const l of logs) l.storage.close();
  }
  const pairs = (ids.length * (ids.length - 1)) / 2;
  return {
    name: "logs agree",
    ok: problems.length === 0 && pairsWithOverlap > 0,
    detail:
      problems.length > 0
        ? problems.slice(0, 10).join("; ")
        : pairsWithOverlap === 0
          ? `no two nodes still hold a common committed entry (commit ${committed}): nothing could be compared`
          : `${compared} committed entries compared across ${pairsWithOverlap} of ${pairs} node pairs (up to index ${committed}, from the nodes' SQLite files): identical`,
  };
}

/** Compares the committed entries both logs hold; returns how many were compared. */
function comparePair(a: DiskLog, b: DiskLog, committed: number, problems: string[]): number {
  const lo = Math.max(a.storage.firstIndex(), b.storage.firstIndex());
  const hi = Math.min(committed, a.storage.lastIndex(), b.storage.lastIndex());
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const snap = x.storage.snapshotMeta();
    if (snap === undefined || snap.index > committed) continue;
    const t = y.storage.term(snap.index);
    if (t !== undefined && t !== snap.term) {
      problems.push(`node ${x.id}'s snapshot at index ${snap.index} has term ${snap.term}, node ${y.id}'s entry there has term ${t}`);
    }
  }
  let count = 0;
  for (let from = lo; from <= hi; ) {
    const to = Math.min(hi + 1, from + BATCH);
    const ea = a.storage.entries(from, to, BATCH_BYTES);
    const eb = b.storage.entries(from, from + ea.length, BATCH_BYTES);
    for (let k = 0; k < ea.length && k < eb.length; k++) {
      if (!sameEntry(ea[k]!, eb[k]!)) {
        problems.push(`index ${ea[k]!.index}: node ${a.id} has term ${ea[k]!.term} (${ea[k]!.data.length} bytes), node ${b.id} has term ${eb[k]!.term} (${eb[k]!.data.length} bytes)`);
        return count;
      }
      count++;
    }
    if (eb.length === 0) break;
    from += eb.length;
  }
  return count;
}
