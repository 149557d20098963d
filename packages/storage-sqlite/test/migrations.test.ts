import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { APPLICATION_ID, DATABASE_FILE, LATEST_VERSION, migrate, SqliteStorage, type Migration } from "../src/index.js";
import { TempDirs } from "./helpers.js";

const temp = new TempDirs();
afterEach(() => temp.cleanup());

describe("schema versions", () => {
  it("a new database is at the latest version and marked as raft-ts's", () => {
    const dir = temp.make();
    SqliteStorage.open(dir).close();
    const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
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
