import { defineStorageConformanceSuite } from "@raft-ts/core/testing";
import { afterAll, describe, it } from "vitest";
import { SqliteStorage } from "../src/index.js";
import { TempDirs } from "./helpers.js";

const temp = new TempDirs();
const opened: SqliteStorage[] = [];
afterAll(() => {
  for (const s of opened) s.close();
  temp.cleanup();
});

// The same suite MemoryStorage passes, on a fresh database file for every case.
defineStorageConformanceSuite(
  "SqliteStorage conformance",
  () => {
    const s = SqliteStorage.open(temp.make());
    opened.push(s);
    return s;
  },
  { describe, it },
);

// And again with a tiny cache, so reads go through SQLite rather than memory.
defineStorageConformanceSuite(
  "SqliteStorage conformance (cache of 2 entries)",
  () => {
    const s = SqliteStorage.open(temp.make(), { cacheEntries: 2, cacheBytes: 64 });
    opened.push(s);
    return s;
  },
  { describe, it },
);
