import type { Entry } from "@raft-ts/core";
import { SqliteStorage } from "@raft-ts/storage-sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { logsAgree, nodeDataDir } from "../src/chaos/log-check.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function entry(index: number, term: number, text = `v${index}`): Entry {
  return { index, term, type: "normal", data: new TextEncoder().encode(text) };
}

/** A run directory with one SQLite log per node, as the chaos cluster lays them out. */
function runDirWith(logs: Record<number, Entry[]>): string {
  const dir = mkdtempSync(join(tmpdir(), "raft-log-check-"));
  dirs.push(dir);
  for (const [id, entries] of Object.entries(logs)) {
    const s = SqliteStorage.open(nodeDataDir(dir, Number(id)));
    s.persist({ term: 3, vote: 0, commit: entries.length }, entries);
    s.close();
  }
  return dir;
}

const log = (n: number, termAt: (i: number) => number = () => 1) => Array.from({ length: n }, (_, k) => entry(k + 1, termAt(k + 1)));

describe("logsAgree (the chaos suite's on-disk log check)", () => {
  it("passes identical committed logs and counts what it compared", () => {
    const dir = runDirWith({ 1: log(50), 2: log(50), 3: log(50) });
    const r = logsAgree(dir, [1, 2, 3], 50);
    expect(r.ok).toBe(true);
    expect(r.detail).toContain("150 committed entries compared across 3 of 3 node pairs");
  });

  it("ignores differences past the commit index (an uncommitted tail may differ)", () => {
    const dir = runDirWith({ 1: log(50), 2: log(50, (i) => (i > 45 ? 2 : 1)) });
    expect(logsAgree(dir, [1, 2], 45).ok).toBe(true);
    expect(logsAgree(dir, [1, 2], 50).ok).toBe(false);
  });

  it("fails on a committed entry with another term, naming the index and nodes", () => {
    const dir = runDirWith({ 1: log(20), 2: log(20, (i) => (i === 7 ? 2 : 1)) });
    const r = logsAgree(dir, [1, 2], 20);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("index 7: node 1 has term 1");
  });

  it("fails on a committed entry with other bytes in the same term", () => {
    const other = log(20);
    other[11] = entry(12, 1, "not-v12");
    const dir = runDirWith({ 1: log(20), 2: other });
    expect(logsAgree(dir, [1, 2], 20).detail).toContain("index 12");
  });

  it("fails when a node's log stops short of the converged commit", () => {
    const dir = runDirWith({ 1: log(20), 2: log(15) });
    const r = logsAgree(dir, [1, 2], 20);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("node 2: last index 15 is below the converged commit 20");
  });
});
