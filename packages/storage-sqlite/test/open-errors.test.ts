import { createHash } from "node:crypto";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DATABASE_FILE, SqliteStorage, StorageOpenError, type OpenFailure } from "../src/index.js";
import { killHard, spawnFixture, waitForLine } from "./child.js";
import { entries, perTestStorage } from "./helpers.js";

const { temp, open } = perTestStorage();

function digest(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** A data directory holding a real, cleanly closed database with some entries. */
function populated(): { dir: string; file: string } {
  const dir = temp.make();
  const s = SqliteStorage.open(dir);
  s.persist({ term: 2, vote: 1, commit: 100 }, entries(1, 2000, 2));
  s.close();
  return { dir, file: join(dir, DATABASE_FILE) };
}

function openError(dir: string): StorageOpenError {
  try {
    open.push(SqliteStorage.open(dir));
  } catch (e) {
    expect(e).toBeInstanceOf(StorageOpenError);
    return e as StorageOpenError;
  }
  throw new Error("open succeeded where it should have failed");
}

function expectRefused(dir: string, file: string, reason: OpenFailure, problem: RegExp): void {
  const before = digest(file);
  const e = openError(dir);
  expect(e.reason).toBe(reason);
  expect(e.file).toBe(file);
  expect(e.problem).toMatch(problem);
  expect(e.message).toContain(file);
  // Nothing overwritten, nothing reset.
  expect(digest(file)).toBe(before);
}

describe("opening a data directory that cannot be trusted", () => {
  it("refuses a garbage file", () => {
    const dir = temp.make();
    const file = join(dir, DATABASE_FILE);
    writeFileSync(file, Buffer.from("this is not a database, just some text that is long enough ".repeat(40)));
    expectRefused(dir, file, "corrupt", /not a SQLite database/);
  });

  it("refuses a truncated database", () => {
    const { dir, file } = populated();
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    expectRefused(dir, file, "corrupt", /truncated/);
  });

  it("refuses an empty database file instead of starting a new log over it", () => {
    const dir = temp.make();
    const file = join(dir, DATABASE_FILE);
    writeFileSync(file, "");
    expectRefused(dir, file, "corrupt", /0 bytes/);
  });

  it("refuses a SQLite database that raft-ts did not write", () => {
    const dir = temp.make();
    const file = join(dir, DATABASE_FILE);
    const db = new Database(file);
    db.exec("CREATE TABLE something_else (x INTEGER)");
    db.close();
    expectRefused(dir, file, "foreign", /application_id is 0/);
  });

  it("refuses a database from a newer schema version", () => {
    const { dir, file } = populated();
    const db = new Database(file);
    db.pragma("user_version = 99");
    db.close();
    expectRefused(dir, file, "newer-schema", /schema version 99 is newer/);
  });

  it("refuses a directory already open in this process", () => {
    const { dir, file } = populated();
    open.push(SqliteStorage.open(dir));
    const e = openError(dir);
    expect(e.reason).toBe("locked");
    expect(e.file).toBe(file);
  });

  it("refuses a directory held open by another live process, and opens once it is gone", async () => {
    const { dir, file } = populated();
    const child = spawnFixture("hold-open.ts", [dir]);
    try {
      await waitForLine(child, /^open$/);
      const e = openError(dir);
      expect(e.reason).toBe("locked");
      expect(e.file).toBe(file);
      expect(e.problem).toMatch(/another process/);
    } finally {
      await killHard(child);
    }
    const s = SqliteStorage.open(dir);
    open.push(s);
    expect(s.lastIndex()).toBe(2000);
    expect(s.hardState()).toEqual({ term: 2, vote: 1, commit: 100 });
  });

  it("keeps its lock while the process opens the file again, so other processes stay out", async () => {
    // POSIX record locks belong to the process and go when ANY descriptor of the file closes:
    // a second open attempt in this process must not release the first one's lock.
    const { dir } = populated();
    const held = SqliteStorage.open(dir);
    open.push(held);
    expect(openError(dir).reason).toBe("locked");
    const child = spawnFixture("try-open.ts", [dir]);
    try {
      expect(await waitForLine(child, /^(opened|refused .*)$/)).toBe("refused locked");
    } finally {
      await killHard(child);
    }
  });

  it("cleans up an interrupted creation and creates the database afresh", () => {
    const dir = temp.make();
    writeFileSync(join(dir, `${DATABASE_FILE}.creating`), "half-made");
    const s = SqliteStorage.open(dir);
    open.push(s);
    expect(s.lastIndex()).toBe(0);
    s.persist(undefined, entries(1, 3, 1));
    expect(s.lastIndex()).toBe(3);
  });
});
