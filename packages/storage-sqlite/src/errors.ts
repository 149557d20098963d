/** Why a data directory could not be opened. */
export type OpenFailure =
  /** The file is not a SQLite database, is truncated, or SQLite reports it malformed. */
  | "corrupt"
  /** A SQLite database, but not one raft-ts wrote (its application id differs). */
  | "foreign"
  /** Written by a newer raft-ts whose schema this version does not know. */
  | "newer-schema"
  /** Another live process (or connection) holds it open. */
  | "locked"
  /** Any other I/O failure (permissions, missing directory, ...). */
  | "io";

/**
 * Opening storage failed. Nothing was overwritten or reset: the caller decides (usually: stop
 * and tell the operator, with `file` and `problem`).
 */
export class StorageOpenError extends Error {
  constructor(
    readonly reason: OpenFailure,
    readonly file: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot open raft storage ${file}: ${reason}: ${problem}`, options);
    this.name = "StorageOpenError";
  }
}

/**
 * A write did not become durable (disk full, I/O error). Nothing of it was applied; the node
 * must not acknowledge anything that depended on it.
 */
export class StorageWriteError extends Error {
  constructor(
    readonly file: string,
    readonly operation: string,
    readonly sqliteCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    const detail = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(`raft storage ${file}: ${operation} failed (${sqliteCode ?? "error"}): ${detail}`, options);
    this.name = "StorageWriteError";
  }
}

/** The SQLite result code of an error from better-sqlite3, if it is one. */
export function sqliteCode(e: unknown): string | undefined {
  if (typeof e === "object" && e !== null && "code" in e && typeof e.code === "string") return e.code;
  return undefined;
}
