import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const MAGIC = "SQLite format 3\u0000";
const HEADER_BYTES = 100;

/**
 * Look at a database file before SQLite does: SQLite reads pages lazily, so a truncated file
 * may open fine and fail only when the missing pages are needed, long after the node has
 * started. The header says how many pages the file should hold; a shorter file is truncated.
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
