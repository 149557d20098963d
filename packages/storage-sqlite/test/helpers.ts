import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry } from "@raft-ts/core";
import { afterEach } from "vitest";
import { SqliteStorage, type SqliteStorageOptions } from "../src/index.js";

/** Temporary directories made by a test file, removed by cleanup(). */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix = "raft-sqlite-"): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export function entry(index: number, term: number, text = `e${index}t${term}`): Entry {
  return { index, term, type: "normal", data: new TextEncoder().encode(text) };
}

export function entries(first: number, count: number, term: number, tag = ""): Entry[] {
  return Array.from({ length: count }, (_, i) => entry(first + i, term, `${tag}e${first + i}t${term}`));
}

export function text(e: Entry): string {
  return new TextDecoder().decode(e.data);
}

/**
 * For a test file: temporary directories, and storages opened in them (through openAt, or
 * pushed onto `open`), all closed and removed after each test.
 */
export function perTestStorage(): { temp: TempDirs; open: SqliteStorage[]; openAt(dir: string, options?: SqliteStorageOptions): SqliteStorage } {
  const temp = new TempDirs();
  const open: SqliteStorage[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    temp.cleanup();
  });
  return {
    temp,
    open,
    openAt(dir, options = {}) {
      const s = SqliteStorage.open(dir, options);
      open.push(s);
      return s;
    },
  };
}
