import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { APPLICATION_ID, DATABASE_FILE, LATEST_VERSION, migrate, MIGRATIONS, SqliteStorage, type Migration } from "../src/index.js";
import { perTestStorage, text } from "./helpers.js";

const { temp, open } = perTestStorage();

/**
 * A data directory as raft-ts wrote it at schema version 1: hard state, a compacted log
 * (6..10, a noop at 8) and the snapshot at 5 it was compacted behind. Built with version 1's
 * own migration and plain SQL, so it does not depend on what the current code writes.
 */
function versionOneDirectory(): string {
  const dir = temp.make();
  const db = new Database(join(dir, DATABASE_FILE));
  db.pragma(`application_id = ${APPLICATION_ID}`);
  expect(migrate(db, 0, MIGRATIONS.filter((m) => m.version === 1))).toEqual([1]);
  db.exec(`
    UPDATE hard_state SET term = 3, vote = 2, commit_index = 9 WHERE id = 0;
    UPDATE log_anchor SET idx = 5, term = 2 WHERE id = 0;
    INSERT INTO snapshot (id, idx, term, data) VALUES (0, 5, 2, x'010203');
  `);
  const insert = db.prepare("INSERT INTO log (idx, term, type, data) VALUES (?, ?, ?, ?)");
  for (let i = 6; i <= 10; i++) insert.run(i, i < 8 ? 2 : 3, i === 8 ? 1 : 0, Buffer.from(`v1-${i}`));
  db.close();
  return dir;
}

describe("schema versions", () => {
  it("a new database is at the latest version and marked as raft-ts's", () => {
    const dir = temp.make();
    SqliteStorage.open(dir).close();
    const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
    db.close();
  });

  it("opens a version 1 database and migrates it to 2: data intact, no snapshot membership", () => {
    const dir = versionOneDirectory();
    const s = SqliteStorage.open(dir);
    open.push(s);
    expect(s.hardState()).toEqual({ term: 3, vote: 2, commit: 9 });
    expect(s.firstIndex()).toBe(6);
    expect(s.lastIndex()).toBe(10);
    expect(s.term(5)).toBe(2);
    const log = s.entries(6, 11, Number.MAX_SAFE_INTEGER);
    expect(log.map((e) => [e.index, e.term, e.type, text(e)])).toEqual([
      [6, 2, "normal", "v1-6"],
      [7, 2, "normal", "v1-7"],
      [8, 3, "noop", "v1-8"],
      [9, 3, "normal", "v1-9"],
      [10, 3, "normal", "v1-10"],
    ]);
    // Absent, not `membership: undefined`.
    expect(s.snapshotMeta()).toStrictEqual({ index: 5, term: 2 });
    const snap = s.snapshot()!;
    expect(snap.meta).toStrictEqual({ index: 5, term: 2 });
    expect([...snap.data]).toEqual([1, 2, 3]);
    expect(s.configEntries()).toEqual([]);

    // The migrated file works as a version 2 one: a config entry and a membership persist.
    const config = { index: 11, term: 3, type: "config" as const, data: new TextEncoder().encode("{}") };
    s.persist(undefined, [config]);
    expect(s.configEntries().map((e) => e.index)).toEqual([11]);
    s.close();

    const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(2);
    expect(db.prepare("SELECT membership FROM snapshot").all()).toEqual([{ membership: null }]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'log'").all()).toEqual([{ name: "log_config" }]);
    db.close();
  });

  it("migrate applies only the versions after the current one, in order", () => {
    const db = new Database(":memory:");
    const ran: number[] = [];
    const steps: Migration[] = [1, 2, 3].map((version) => ({
      version,
      description: `v${version}`,
      up: (d) => {
        ran.push(version);
        d.exec(`CREATE TABLE t${version} (x INTEGER)`);
      },
    }));
    expect(migrate(db, 1, steps)).toEqual([2, 3]);
    expect(ran).toEqual([2, 3]);
    expect(db.pragma("user_version", { simple: true })).toBe(3);
    expect(migrate(db, 3, steps)).toEqual([]);
    db.close();
  });

  it("a failing migration leaves the database at the last version that completed", () => {
    const db = new Database(":memory:");
    const steps: Migration[] = [
      { version: 1, description: "ok", up: (d) => d.exec("CREATE TABLE a (x INTEGER)") },
      {
        version: 2,
        description: "fails halfway",
        up: (d) => {
          d.exec("CREATE TABLE b (x INTEGER)");
          throw new Error("boom");
        },
      },
    ];
    expect(() => migrate(db, 0, steps)).toThrow("boom");
    expect(db.pragma("user_version", { simple: true })).toBe(1);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    expect(tables).toEqual([{ name: "a" }]);
    db.close();
  });
});
