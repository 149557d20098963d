import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PersistStats } from "../src/index.js";
import { entries, perTestStorage, text } from "./helpers.js";

const { temp, openAt } = perTestStorage();

describe("SqliteStorage durability across reopen", () => {
  it("keeps hard state, log, snapshot and compaction point", () => {
    const dir = temp.make();
    const a = openAt(dir);
    a.persist({ term: 4, vote: 2, commit: 30 }, entries(1, 40, 1));
    a.persist(undefined, entries(35, 10, 4, "x")); // overwrite a suffix: 35..44 of term 4
    a.saveSnapshot({ meta: { index: 20, term: 1 }, data: new Uint8Array([9, 8, 7]) });
    a.compact(15);
    a.close();

    const b = openAt(dir);
    expect(b.hardState()).toEqual({ term: 4, vote: 2, commit: 30 });
    expect(b.firstIndex()).toBe(16);
    expect(b.lastIndex()).toBe(44);
    expect(b.term(15)).toBe(1);
    expect(b.term(14)).toBeUndefined();
    expect(b.term(34)).toBe(1);
    expect(b.term(35)).toBe(4);
    expect(b.snapshotMeta()).toEqual({ index: 20, term: 1 });
    expect([...b.snapshot()!.data]).toEqual([9, 8, 7]);
    const log = b.entries(16, 45, Number.MAX_SAFE_INTEGER);
    expect(log.map((e) => e.index)).toEqual(Array.from({ length: 29 }, (_, i) => 16 + i));
    expect(text(log[log.length - 1]!)).toBe("xe44t4");
    expect(text(log[0]!)).toBe("e16t1");
  });

  it("reads old entries from SQLite once they leave the bounded cache", () => {
    const dir = temp.make();
    const s = openAt(dir, { cacheEntries: 8, cacheBytes: 1024 });
    for (let i = 0; i < 20; i++) s.persist(undefined, entries(1 + i * 50, 50, 1 + i));
    expect(s.lastIndex()).toBe(1000);
    const all = s.entries(1, 1001, Number.MAX_SAFE_INTEGER);
    expect(all.map((e) => e.index)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(all.map((e) => e.term)).toEqual(Array.from({ length: 1000 }, (_, i) => 1 + Math.floor(i / 50)));
    for (const i of [1, 50, 51, 500, 992, 993, 1000]) expect(s.term(i)).toBe(1 + Math.floor((i - 1) / 50));
  });

  it("uses WAL with synchronous=FULL by default, NORMAL when asked, with an exclusive lock", () => {
    expect(openAt(temp.make()).settings()).toEqual({ journalMode: "wal", synchronous: "full", lockingMode: "exclusive" });
    expect(openAt(temp.make(), { synchronous: "normal" }).settings()).toEqual({
      journalMode: "wal",
      synchronous: "normal",
      lockingMode: "exclusive",
    });
  });

  it("reports each durable write to onPersist, and none for an empty one", () => {
    const stats: PersistStats[] = [];
    const s = openAt(temp.make(), { onPersist: (st: PersistStats) => stats.push(st) });
    s.persist(undefined, entries(1, 3, 1));
    s.persist({ term: 1, vote: 1, commit: 0 }, []);
    s.persist(undefined, []);
    expect(stats.map((st) => [st.entries, st.bytes])).toEqual([
      [3, 12],
      [0, 0],
    ]);
    expect(stats.every((st) => st.seconds >= 0)).toBe(true);
  });

  it("writes entries, term and vote at once, and a change of the commit index alone with the next write", () => {
    const stats: PersistStats[] = [];
    const dir = temp.make();
    const crashCopy = temp.make();
    const s = openAt(dir, { onPersist: (st: PersistStats) => stats.push(st) });
    s.persist({ term: 1, vote: 2, commit: 0 }, []); // a vote: written
    s.persist(undefined, entries(1, 2, 1)); // entries: written
    s.persist({ term: 1, vote: 2, commit: 2 }, []); // the commit index alone: not yet
    expect(stats).toHaveLength(2);
    expect(s.hardState()).toEqual({ term: 1, vote: 2, commit: 2 });
    // What a crash now would leave: copy the files as they are on disk (with cp, another
    // process: an fd of ours on the file would drop this process's lock when closed).
    execFileSync("cp", [join(dir, "raft.db"), join(dir, "raft.db-wal"), crashCopy]);
    s.persist(undefined, entries(3, 1, 1)); // the next write carries the commit index along
    expect(stats).toHaveLength(3);
    s.persist({ term: 1, vote: 2, commit: 3 }, []); // written by close()
    s.close();

    const crashed = openAt(crashCopy);
    expect(crashed.hardState()).toEqual({ term: 1, vote: 2, commit: 0 });
    expect(crashed.lastIndex()).toBe(2);
    const reopened = openAt(dir);
    expect(reopened.hardState()).toEqual({ term: 1, vote: 2, commit: 3 });
    expect(reopened.lastIndex()).toBe(3);
  });
});
