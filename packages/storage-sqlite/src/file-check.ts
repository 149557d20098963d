import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type Database from "better-sqlite3";

const MAGIC = "SQLite format 3\u0000";
const HEADER_BYTES = 100;

/**
 * Look at a database file outside SQLite: is it shorter than its header says (truncated)?
 *
 * It opens and closes a file descriptor, so it must never run while a connection of this
 * process has the file open: POSIX record locks belong to the process, and closing ANY
 * descriptor of the file drops them all, SQLite's exclusive lock included. Use it only before
 * opening or after closing; while open, use checkTruncatedWhileOpen.
 * Returns a description of the problem, or undefined when the file looks whole.
 */
export function checkDatabaseFile(file: string): string | undefined {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < HEADER_BYTES) return `the file is ${size} bytes, shorter than a SQLite header (${HEADER_BYTES} bytes)`;
    const header = Buffer.alloc(HEADER_BYTES);
    readSync(fd, header, 0, HEADER_BYTES, 0);
    if (header.toString("latin1", 0, 16) !== MAGIC) return "the file does not start with the SQLite header (not a SQLite database)";
    const rawPageSize = header.readUInt16BE(16);
    const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      return `the header names an impossible page size ${rawPageSize}`;
    }
    // The in-header page count is valid when the version-valid-for number matches the change counter.
    const changeCounter = header.readUInt32BE(24);
    const pageCount = header.readUInt32BE(28);
    const validFor = header.readUInt32BE(92);
    if (validFor === changeCounter && pageCount > 0 && size < pageCount * pageSize) {
      return `the file is truncated: its header says ${pageCount} pages of ${pageSize} bytes (${pageCount * pageSize} bytes), but it has ${size}`;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Before SQLite opens the file (stat only, no descriptor): an empty or stub file is not a database. */
export function checkFileSize(file: string): string | undefined {
  const size = statSync(file).size;
  if (size < HEADER_BYTES) return `the file is ${size} bytes, shorter than a SQLite header (${HEADER_BYTES} bytes)`;
  return undefined;
}

/**
 * With the connection open and the WAL checkpointed into the file: does the file hold every
 * page SQLite says the database has? (A process killed in the middle of a checkpoint leaves a
 * header that already counts pages the file does not have yet; the WAL still holds them, so
 * this is checked only after the checkpoint.) Stat only: no descriptor is opened.
 */
export function checkTruncatedWhileOpen(db: Database.Database, file: string): string | undefined {
  const pages = db.pragma("page_count", { simple: true }) as number;
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  const size = statSync(file).size;
  if (size < pages * pageSize) {
    return `the file is truncated: it should hold ${pages} pages of ${pageSize} bytes (${pages * pageSize} bytes), but it has ${size}`;
  }
  return undefined;
}
