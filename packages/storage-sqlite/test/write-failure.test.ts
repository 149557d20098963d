import { describe, expect, it } from "vitest";
import { SqliteStorage, StorageWriteError } from "../src/index.js";
import { perTestStorage } from "./helpers.js";
import type { Entry } from "@raft-ts/core";

const { temp, open } = perTestStorage();

function bigEntries(first: number, count: number, term: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({
    index: first + i,
    term,
    type: "normal" as const,
    data: new Uint8Array(4096).fill((first + i) & 0xff),
  }));
}

describe("a full disk", () => {
  it("fails the write with a StorageWriteError, keeps what was durable, and recovers when space returns", () => {
    const dir = temp.make();
    // A 256 KiB cap behaves like a disk that fills up.
    const s = SqliteStorage.open(dir, { maxDatabaseBytes: 256 * 1024 });
    open.push(s);
    let next = 1;
    let failure: unknown;
    for (let batch = 0; batch < 100 && failure === undefined; batch++) {
      try {
        s.persist({ term: 1, vote: 1, commit: next - 1 }, bigEntries(next, 8, 1));
        next += 8;
      } catch (e) {
        failure = e;
      }
    }
    expect(failure).toBeInstanceOf(StorageWriteError);
    const err = failure as StorageWriteError;
    expect(err.sqliteCode).toBe("SQLITE_FULL");
    expect(err.file).toBe(s.file);
    expect(err.operation).toBe("persist");
    // Nothing of the failed batch is visible, in memory or on disk.
    const durable = next - 1;
    expect(durable).toBeGreaterThan(0);
    expect(s.lastIndex()).toBe(durable);
    expect(s.hardState().commit).toBe(durable - 8);
    s.close();

    const reopened = SqliteStorage.open(dir, { maxDatabaseBytes: 64 * 1024 * 1024 });
    open.push(reopened);
    expect(reopened.lastIndex()).toBe(durable);
    expect(reopened.hardState()).toEqual({ term: 1, vote: 1, commit: durable - 8 });
    const last = reopened.entries(durable, durable + 1, Number.MAX_SAFE_INTEGER)[0]!;
    expect(last.data[0]).toBe(durable & 0xff);
    // Space is back: the same write now succeeds.
    reopened.persist({ term: 1, vote: 1, commit: durable }, bigEntries(durable + 1, 8, 1));
    expect(reopened.lastIndex()).toBe(durable + 8);
  });

  it("fails a snapshot that does not fit without touching the log", () => {
    const s = SqliteStorage.open(temp.make(), { maxDatabaseBytes: 128 * 1024 });
    open.push(s);
    s.persist(undefined, bigEntries(1, 4, 1));
    const huge = { meta: { index: 4, term: 1 }, data: new Uint8Array(512 * 1024) };
    expect(() => s.saveSnapshot(huge)).toThrow(StorageWriteError);
    expect(s.snapshotMeta()).toBeUndefined();
    expect(s.lastIndex()).toBe(4);
    expect(s.entries(1, 5, Number.MAX_SAFE_INTEGER)).toHaveLength(4);
  });
});
