import { join } from "node:path";
import { encodeMembership, type Entry, type Membership, type Snapshot } from "@raft-ts/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DATABASE_FILE, SqliteStorage, StorageOpenError } from "../src/index.js";
import { entries, perTestStorage } from "./helpers.js";

const { temp, openAt } = perTestStorage();

const MEMBERSHIP: Membership = {
  members: [
    { id: 1, role: "voter", address: "10.0.0.1:7000" },
    { id: 2, role: "voter", address: "10.0.0.2:7000" },
    { id: 9, role: "learner", address: "n\u00f8de-9:7000" },
  ],
};

function configEntry(index: number, term: number, ids: number[]): Entry {
  const m: Membership = { members: ids.map((id) => ({ id, role: "voter", address: `10.0.0.${id}:7000` })) };
  return { index, term, type: "config", data: encodeMembership(m) };
}

/** An entry as plain values (SQLite hands data back as a Buffer, the tests build Uint8Arrays). */
function plain(e: Entry): [number, number, string, number[]] {
  return [e.index, e.term, e.type, [...e.data]];
}

/** A closed database with a snapshot carrying MEMBERSHIP, and the directory it is in. */
function withSnapshotMembership(): { dir: string; file: string } {
  const dir = temp.make();
  const s = SqliteStorage.open(dir);
  s.persist(undefined, entries(1, 5, 1));
  s.saveSnapshot({ meta: { index: 3, term: 1, membership: MEMBERSHIP }, data: new Uint8Array([7]) });
  s.close();
  return { dir, file: join(dir, DATABASE_FILE) };
}

/** Edit the closed database behind the storage's back, as damage or tampering would. */
function tamper(file: string, fn: (db: Database.Database) => void): void {
  const db = new Database(file);
  fn(db);
  db.close();
}

function openError(dir: string): StorageOpenError {
  try {
    openAt(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(StorageOpenError);
    return e as StorageOpenError;
  }
  throw new Error("open succeeded where it should have failed");
}

describe("config entries", () => {
  it.each([
    ["with the default cache", {}],
    ["with a 2-entry cache", { cacheEntries: 2, cacheBytes: 64 }],
  ])("survive a reopen, overwritten and compacted ones gone (%s)", (_, options) => {
    const dir = temp.make();
    const a = openAt(dir, options);
    const c3 = configEntry(3, 1, [1, 2]);
    const c7 = configEntry(7, 1, [1, 2, 3]);
    const c12 = configEntry(12, 2, [1, 2, 3, 4]);
    a.persist(undefined, [...entries(1, 2, 1), c3, ...entries(4, 3, 1), c7, ...entries(8, 6, 1)]);
    a.persist(undefined, [...entries(10, 2, 2, "x"), c12]); // 10..13 replaced: c12 arrives, 13 goes
    a.saveSnapshot({ meta: { index: 5, term: 1 }, data: new Uint8Array(0) });
    a.compact(5); // c3 goes
    expect(a.configEntries().map(plain)).toEqual([c7, c12].map(plain));
    a.close();
    expect(openAt(dir, options).configEntries().map(plain)).toEqual([c7, c12].map(plain));
  });

  it("are gone when a snapshot the log disagrees with discards the log", () => {
    const dir = temp.make();
    const s = openAt(dir);
    s.persist(undefined, [...entries(1, 2, 1), configEntry(3, 1, [1, 2]), ...entries(4, 2, 1)]);
    s.saveSnapshot({ meta: { index: 4, term: 2, membership: MEMBERSHIP }, data: new Uint8Array(0) });
    expect(s.configEntries()).toEqual([]);
    s.close();
    expect(openAt(dir).configEntries()).toEqual([]);
  });

  it("are read through the partial index, not by scanning the log", () => {
    const s = openAt(temp.make());
    const { db, stmts } = s as unknown as { db: Database.Database; stmts: { configEntries: Database.Statement } };
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${stmts.configEntries.source}`).all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join("; ")).toMatch(/USING (COVERING )?INDEX log_config/);
  });
});

describe("snapshot membership", () => {
  it("survives a reopen, in snapshot() and snapshotMeta()", () => {
    const { dir } = withSnapshotMembership();
    const s = openAt(dir);
    expect(s.snapshotMeta()).toEqual({ index: 3, term: 1, membership: MEMBERSHIP });
    expect(s.snapshot()?.meta).toEqual({ index: 3, term: 1, membership: MEMBERSHIP });
  });

  it("is absent (no property at all) for a snapshot saved without one", () => {
    const dir = temp.make();
    const a = openAt(dir);
    a.saveSnapshot({ meta: { index: 2, term: 1, membership: MEMBERSHIP }, data: new Uint8Array(0) });
    a.saveSnapshot({ meta: { index: 4, term: 1 }, data: new Uint8Array(0) }); // replaces it
    expect(a.snapshotMeta()).toStrictEqual({ index: 4, term: 1 });
    a.close();
    const b = openAt(dir);
    expect(b.snapshotMeta()).toStrictEqual({ index: 4, term: 1 });
    expect(b.snapshot()?.meta).toStrictEqual({ index: 4, term: 1 });
  });

  it("an invalid membership is refused before anything is written", () => {
    const s = openAt(temp.make());
    s.persist(undefined, entries(1, 3, 1));
    const before: Snapshot = { meta: { index: 1, term: 1 }, data: new Uint8Array([1]) };
    s.saveSnapshot(before);
    const twice: Membership = { members: [MEMBERSHIP.members[0]!, MEMBERSHIP.members[0]!] };
    expect(() => s.saveSnapshot({ meta: { index: 3, term: 1, membership: twice }, data: new Uint8Array(0) })).toThrow(
      /saveSnapshot: invalid membership: .*node 1 twice/,
    );
    expect(s.snapshotMeta()).toStrictEqual(before.meta);
    expect(s.snapshot()?.meta).toStrictEqual(before.meta);
    expect([...s.snapshot()!.data]).toEqual([1]);
  });

  it.each<[string, string | Buffer | number]>([
    ["not JSON", "{not json"],
    ["JSON of another shape", '{"v":1,"members":"all"}'],
    ["an unknown version", '{"v":7,"members":[]}'],
    ["an unknown role", '{"v":1,"members":[{"id":1,"role":"observer","address":""}]}'],
    ["an id that is not a positive integer", '{"v":1,"members":[{"id":-1,"role":"voter","address":""}]}'],
    ["a BLOB", Buffer.from("{}")],
    ["a number", 42],
  ])("a stored membership that is %s is reported as corrupt at open", (_, value) => {
    const { dir, file } = withSnapshotMembership();
    tamper(file, (db) => db.prepare("UPDATE snapshot SET membership = ?").run(value));
    const e = openError(dir);
    expect(e.reason).toBe("corrupt");
    expect(e.file).toBe(file);
    expect(e.problem).toMatch(/the snapshot's membership is/);
  });
});

describe("entry type codes", () => {
  it("a log row with an unknown type code is reported as corrupt, naming the entry and code", () => {
    const dir = temp.make();
    const a = openAt(dir);
    a.persist(undefined, entries(1, 20, 1));
    a.close();
    tamper(join(dir, DATABASE_FILE), (db) => db.prepare("UPDATE log SET type = 3 WHERE idx = 2").run());

    // Outside the cache: read when asked for.
    const b = openAt(dir, { cacheEntries: 4 });
    expect(() => b.entries(1, 5, Number.MAX_SAFE_INTEGER)).toThrow(StorageOpenError);
    expect(() => b.entries(1, 5, Number.MAX_SAFE_INTEGER)).toThrow(/entry 2 has an unknown type code 3/);
    b.close();
    // Inside the cache: reported at open, when the cache is warmed.
    const e = openError(dir);
    expect(e.reason).toBe("corrupt");
    expect(e.problem).toMatch(/entry 2 has an unknown type code 3/);
  });

  it("stores config as type code 2", () => {
    const dir = temp.make();
    const a = openAt(dir);
    a.persist(undefined, [{ index: 1, term: 1, type: "noop", data: new Uint8Array(0) }, configEntry(2, 1, [1]), ...entries(3, 1, 1)]);
    a.close();
    const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect(db.prepare("SELECT idx, type FROM log ORDER BY idx").all()).toEqual([
      { idx: 1, type: 1 },
      { idx: 2, type: 2 },
      { idx: 3, type: 0 },
    ]);
    db.close();
  });
});
