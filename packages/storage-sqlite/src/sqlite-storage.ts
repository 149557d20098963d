import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  decodeMembership,
  encodeMembership,
  entrySize,
  limitSize,
  type Entry,
  type EntryType,
  type HardState,
  type Membership,
  type Snapshot,
  type SnapshotMeta,
  type Storage,
} from "@raft-ts/core";
import Database from "better-sqlite3";
import { EntryCache } from "./entry-cache.js";
import { sqliteCode, StorageOpenError, StorageWriteError } from "./errors.js";
import { checkDatabaseFile, checkFileSize, checkTruncatedWhileOpen } from "./file-check.js";
import { APPLICATION_ID, LATEST_VERSION, migrate } from "./schema.js";

export interface SqliteStorageOptions {
  /**
   * "full" (default): every persist is fsynced before it returns; nothing acknowledged is lost
   * even on power failure. "normal": in WAL mode SQLite syncs only at checkpoints, so a process
   * crash loses nothing but a power failure or kernel crash may lose the latest writes, which a
   * Raft node may already have acknowledged (votes, entries): use only where that is accepted.
   */
  readonly synchronous?: "full" | "normal";
  /** Recent entries kept in memory for hot reads. Default 4096 entries and 16 MiB. */
  readonly cacheEntries?: number;
  readonly cacheBytes?: number;
  /**
   * Cap the database file's size: writes that would grow it further fail with a
   * StorageWriteError (SQLITE_FULL), exactly as a full disk does. Default: no cap.
   */
  readonly maxDatabaseBytes?: number;
  /** Called after each durable write, for metrics (no prom-client here). */
  readonly onPersist?: (stats: PersistStats) => void;
}

export interface PersistStats {
  readonly entries: number;
  readonly bytes: number;
  /** Wall time of the transaction including its fsync. */
  readonly seconds: number;
}

/** The database file inside a data directory. */
export const DATABASE_FILE = "raft.db";

/**
 * The log's `type` column. Codes are on disk: never renumber one. Migration 2's partial index
 * (log_config) is on `type = 2`, so config must stay 2.
 */
const TYPE_CODE: Record<EntryType, number> = { normal: 0, noop: 1, config: 2 };
const CODE_TYPE: readonly EntryType[] = ["normal", "noop", "config"];

interface LogRow {
  idx: number;
  term: number;
  type: number;
  data: Buffer;
}

interface SnapshotMetaRow {
  idx: number;
  term: number;
  /** JSON text (see migration 2); a BLOB or number only in a damaged or tampered file. */
  membership: unknown;
}

/**
 * Raft storage in one SQLite file (better-sqlite3): hard state, log, snapshot. WAL mode with
 * synchronous=FULL by default, one transaction per persist, and an exclusive lock held for the
 * life of the process so two nodes can never share a data directory.
 *
 * Reads on the hot path (terms, recent entries, first/last index) come from memory or prepared
 * statements; the log is never loaded whole.
 */
export class SqliteStorage implements Storage {
  private hard: HardState;
  private anchor: SnapshotMeta;
  /** hard.commit is newer than the one on disk (see persist). */
  private commitUnwritten = false;
  private last: number;
  private snapMeta: SnapshotMeta | undefined;
  private readonly cache: EntryCache;
  private readonly stmts;
  private readonly persistTx;
  private readonly snapshotTx;
  private readonly compactTx;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
    private readonly options: SqliteStorageOptions,
  ) {
    this.cache = new EntryCache(options.cacheEntries ?? 4096, options.cacheBytes ?? 16 * 1024 * 1024);
    this.stmts = {
      hardState: db.prepare<[], { term: number; vote: number; commit_index: number }>(
        "SELECT term, vote, commit_index FROM hard_state WHERE id = 0",
      ),
      setHardState: db.prepare<[number, number, number]>(
        "UPDATE hard_state SET term = ?, vote = ?, commit_index = ? WHERE id = 0",
      ),
      anchor: db.prepare<[], { idx: number; term: number }>("SELECT idx, term FROM log_anchor WHERE id = 0"),
      setAnchor: db.prepare<[number, number]>("UPDATE log_anchor SET idx = ?, term = ? WHERE id = 0"),
      lastIndex: db.prepare<[], { last: number | null }>("SELECT max(idx) AS last FROM log"),
      term: db.prepare<[number], { term: number }>("SELECT term FROM log WHERE idx = ?"),
      range: db.prepare<[number, number], LogRow>(
        "SELECT idx, term, type, data FROM log WHERE idx >= ? AND idx < ? ORDER BY idx",
      ),
      insert: db.prepare<[number, number, number, Uint8Array]>(
        "INSERT INTO log (idx, term, type, data) VALUES (?, ?, ?, ?)",
      ),
      deleteFrom: db.prepare<[number]>("DELETE FROM log WHERE idx >= ?"),
      deleteUpTo: db.prepare<[number]>("DELETE FROM log WHERE idx <= ?"),
      // `type = 2` spelled as in the partial index's WHERE (not a bound parameter), so that
      // SQLite can prove the query only wants rows the index holds and walks it instead of the log.
      configEntries: db.prepare<[], LogRow>(
        `SELECT idx, term, type, data FROM log WHERE type = ${TYPE_CODE.config} ORDER BY idx`,
      ),
      snapshotMeta: db.prepare<[], SnapshotMetaRow>("SELECT idx, term, membership FROM snapshot WHERE id = 0"),
      snapshot: db.prepare<[], SnapshotMetaRow & { data: Buffer }>(
        "SELECT idx, term, membership, data FROM snapshot WHERE id = 0",
      ),
      setSnapshot: db.prepare<[number, number, Uint8Array, string | null]>(
        "INSERT OR REPLACE INTO snapshot (id, idx, term, data, membership) VALUES (0, ?, ?, ?, ?)",
      ),
    };
    this.persistTx = db.transaction((hs: HardState | undefined, entries: readonly Entry[]) => {
      const first = entries[0];
      if (first !== undefined && first.index <= this.last) this.stmts.deleteFrom.run(first.index);
      for (const e of entries) this.stmts.insert.run(e.index, e.term, TYPE_CODE[e.type], e.data);
      if (hs !== undefined) this.stmts.setHardState.run(hs.term, hs.vote, hs.commit);
    });
    this.snapshotTx = db.transaction((snapshot: Snapshot, membership: string | null, discardLog: boolean) => {
      if (discardLog) {
        this.stmts.deleteFrom.run(0);
        this.stmts.setAnchor.run(snapshot.meta.index, snapshot.meta.term);
      }
      this.stmts.setSnapshot.run(snapshot.meta.index, snapshot.meta.term, snapshot.data, membership);
    });
    this.compactTx = db.transaction((index: number, term: number) => {
      this.stmts.deleteUpTo.run(index);
      this.stmts.setAnchor.run(index, term);
    });

    const hs = this.stmts.hardState.get();
    const anchor = this.stmts.anchor.get();
    if (hs === undefined || anchor === undefined) {
      throw new StorageOpenError("corrupt", file, "the hard_state or log_anchor row is missing");
    }
    this.hard = { term: hs.term, vote: hs.vote, commit: hs.commit_index };
    this.anchor = { index: anchor.idx, term: anchor.term };
    this.last = this.stmts.lastIndex.get()?.last ?? this.anchor.index;
    const snap = this.stmts.snapshotMeta.get();
    // A damaged membership is reported here, at open, not when the node first needs it.
    this.snapMeta = snap === undefined ? undefined : this.toSnapshotMeta(snap);
    if (this.last < this.anchor.index) {
      throw new StorageOpenError("corrupt", file, `the log ends at ${this.last}, before its anchor ${this.anchor.index}`);
    }
    this.warmCache();
  }

  /**
   * Open (or create) the storage in `dir`. Throws StorageOpenError, naming the file and the
   * problem, for a corrupt or foreign file, a newer schema, or a directory in use; it never
   * overwrites or resets an existing database.
   */
  static open(dir: string, options: SqliteStorageOptions = {}): SqliteStorage {
    const file = join(dir, DATABASE_FILE);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new StorageOpenError("io", dir, `cannot create the data directory: ${(e as Error).message}`, { cause: e });
    }
    if (!existsSync(file)) createDatabase(dir, file);
    const sizeProblem = checkFileSize(file);
    if (sizeProblem !== undefined) throw new StorageOpenError("corrupt", file, sizeProblem);

    let db: Database.Database;
    try {
      // timeout 0: a database another process holds is reported at once, not after a wait.
      db = new Database(file, { fileMustExist: true, timeout: 0 });
    } catch (e) {
      throw openError(file, e);
    }
    try {
      // Exclusive locking before the first access: SQLite then keeps the WAL index in memory
      // (no -shm file) and holds the file lock until close, so a second process cannot open it.
      db.pragma("locking_mode = EXCLUSIVE");
      // Identify the file before changing anything in it.
      const appId = db.pragma("application_id", { simple: true }) as number;
      if (appId !== APPLICATION_ID) {
        throw new StorageOpenError("foreign", file, `application_id is ${appId}, not raft-ts's ${APPLICATION_ID}`);
      }
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version > LATEST_VERSION) {
        throw new StorageOpenError(
          "newer-schema",
          file,
          `schema version ${version} is newer than this raft-ts understands (${LATEST_VERSION}); upgrade raft-ts`,
        );
      }
      configure(db, options);
      // Fold what a crash left in the WAL into the file, then check the file is whole.
      db.pragma("wal_checkpoint(TRUNCATE)");
      const truncated = checkTruncatedWhileOpen(db, file);
      if (truncated !== undefined) throw new StorageOpenError("corrupt", file, truncated);
      // Take the write lock now and keep it (exclusive mode), so "in use" is reported at open
      // rather than at the first write.
      db.exec("BEGIN IMMEDIATE; COMMIT");
      migrate(db, version);
      return new SqliteStorage(db, file, options);
    } catch (e) {
      db.close();
      throw e instanceof StorageOpenError ? e : openError(file, e);
    }
  }

  // ---- LogStorage -------------------------------------------------------------------------

  hardState(): HardState {
    return this.hard;
  }

  firstIndex(): number {
    return this.anchor.index + 1;
  }

  lastIndex(): number {
    return this.last;
  }

  term(index: number): number | undefined {
    if (index === this.anchor.index) return this.anchor.term;
    if (index < this.anchor.index || index > this.last) return undefined;
    const cached = this.cache.get(index);
    if (cached !== undefined) return cached.term;
    return this.stmts.term.get(index)?.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex() || hi > this.last + 1 || lo > hi) {
      throw new RangeError(`entries [${lo}, ${hi}) out of range [${this.firstIndex()}, ${this.last + 1})`);
    }
    if (lo === hi) return [];
    if (lo >= this.cache.firstIndex && this.cache.size > 0) return limitSize(this.cache.slice(lo, hi), maxBytes);
    const out: Entry[] = [];
    let bytes = 0;
    for (const row of this.stmts.range.iterate(lo, hi)) {
      const e = this.toEntry(row);
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) return out; // the byte limit, not the range, ended it
      if (e.index !== lo + out.length) break;
      out.push(e);
    }
    if (out.length !== hi - lo) {
      throw new StorageOpenError("corrupt", this.file, `entry ${lo + out.length} is missing from the log table`);
    }
    return out;
  }

  /**
   * Read from SQLite, not the entry cache: the cache holds only the recent tail, and config
   * entries may lie anywhere in the log. The table is exactly the persisted log (persist,
   * saveSnapshot and compact delete what they replace or discard in the same transaction), and
   * the log_config index makes this a few rows however long the log is. Called once at start-up.
   */
  configEntries(): Entry[] {
    return this.stmts.configEntries.all().map((row) => this.toEntry(row));
  }

  snapshotMeta(): SnapshotMeta | undefined {
    return this.snapMeta;
  }

  snapshot(): Snapshot | undefined {
    const row = this.stmts.snapshot.get();
    return row === undefined ? undefined : { meta: this.toSnapshotMeta(row), data: row.data };
  }

  // ---- Storage ----------------------------------------------------------------------------

  persist(hardState: HardState | undefined, entries: readonly Entry[]): void {
    this.assertOpen();
    const first = entries[0];
    if (first !== undefined) {
      if (first.index < this.firstIndex() || first.index > this.last + 1) {
        throw new RangeError(`persist: entry ${first.index} is outside [${this.firstIndex()}, ${this.last + 1}]`);
      }
      entries.forEach((e, i) => {
        if (e.index !== first.index + i) throw new RangeError(`persist: entries not contiguous at ${e.index}`);
      });
    }
    if (hardState === undefined && first === undefined) return;
    // Entries, term and vote are promises to other nodes: written and fsynced now. The commit
    // index is volatile state in Raft, so a change of it alone waits in memory for the next
    // write (or close). A node that crashes meanwhile restarts with an older commit index, which
    // costs only learning it again from the leader; it saves a transaction per commit.
    if (first === undefined && hardState!.term === this.hard.term && hardState!.vote === this.hard.vote) {
      this.hard = hardState!;
      this.commitUnwritten = true;
      return;
    }
    const hs = hardState ?? (this.commitUnwritten ? this.hard : undefined);
    const started = performance.now();
    this.write("persist", () => this.persistTx(hs, entries));
    this.commitUnwritten = false;
    // Memory follows only what is durable (but for the commit index, above).
    if (hs !== undefined) this.hard = hs;
    if (first !== undefined) {
      this.last = first.index + entries.length - 1;
      this.cache.append(entries);
    }
    this.options.onPersist?.({
      entries: entries.length,
      bytes: entries.reduce((n, e) => n + e.data.byteLength, 0),
      seconds: (performance.now() - started) / 1000,
    });
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.assertOpen();
    const { index, term } = snapshot.meta;
    if (this.snapMeta !== undefined && index < this.snapMeta.index) {
      throw new RangeError(`saveSnapshot: index ${index} is older than the latest snapshot ${this.snapMeta.index}`);
    }
    const membership = snapshot.meta.membership === undefined ? undefined : storedMembership(snapshot.meta.membership);
    const discardLog = this.term(index) !== term;
    this.write("saveSnapshot", () => this.snapshotTx(snapshot, membership?.text ?? null, discardLog));
    // What open() will read back, so memory and disk agree (the core's decoding sorts by id).
    this.snapMeta = withMembership({ index, term }, membership?.decoded);
    if (discardLog) {
      this.anchor = { index, term };
      this.last = index;
      this.cache.clear(index + 1);
    }
  }

  compact(index: number): void {
    this.assertOpen();
    if (index <= this.anchor.index) return;
    const covered = this.snapMeta?.index ?? 0;
    if (index > covered || index > this.last) {
      throw new RangeError(`compact(${index}): beyond the latest snapshot (${covered}) or the last index (${this.last})`);
    }
    const term = this.term(index)!;
    this.write("compact", () => this.compactTx(index, term));
    this.anchor = { index, term };
    this.cache.dropUpTo(index);
  }

  /** The durability settings as SQLite reports them on this connection (not as requested). */
  settings(): { journalMode: string; synchronous: "off" | "normal" | "full" | "extra"; lockingMode: string } {
    const sync = this.db.pragma("synchronous", { simple: true }) as number;
    return {
      journalMode: this.db.pragma("journal_mode", { simple: true }) as string,
      synchronous: (["off", "normal", "full", "extra"] as const)[sync] ?? "off",
      lockingMode: this.db.pragma("locking_mode", { simple: true }) as string,
    };
  }

  /** Close the database (checkpointing the WAL) and release the data directory. */
  close(): void {
    if (this.closed) return;
    try {
      if (this.commitUnwritten) this.write("close", () => this.persistTx(this.hard, []));
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  // ---- internals --------------------------------------------------------------------------

  private write(operation: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof RangeError) throw e;
      throw new StorageWriteError(this.file, operation, sqliteCode(e), { cause: e });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`raft storage ${this.file} is closed`);
  }

  private toEntry(row: LogRow): Entry {
    const type = CODE_TYPE[row.type];
    if (type === undefined) {
      throw new StorageOpenError("corrupt", this.file, `entry ${row.idx} has an unknown type code ${row.type}`);
    }
    return { index: row.idx, term: row.term, type, data: row.data };
  }

  /** The meta of a snapshot row, its membership checked (StorageOpenError "corrupt" if bad). */
  private toSnapshotMeta(row: SnapshotMetaRow): SnapshotMeta {
    const meta = { index: row.idx, term: row.term };
    if (row.membership === null) return meta;
    if (typeof row.membership !== "string") {
      throw new StorageOpenError("corrupt", this.file, `the snapshot's membership is a ${typeof row.membership}, not JSON text`);
    }
    try {
      return withMembership(meta, decodeMembershipText(row.membership));
    } catch (e) {
      throw new StorageOpenError("corrupt", this.file, `the snapshot's membership is unreadable: ${(e as Error).message}`, { cause: e });
    }
  }

  private warmCache(): void {
    const lo = Math.max(this.firstIndex(), this.last - (this.options.cacheEntries ?? 4096) + 1);
    this.cache.clear(lo);
    if (lo > this.last) return;
    const rows = this.stmts.range.all(lo, this.last + 1);
    if (rows.length !== this.last + 1 - lo) {
      throw new StorageOpenError("corrupt", this.file, `the log has gaps between ${lo} and ${this.last}`);
    }
    this.cache.append(rows.map((r) => this.toEntry(r)));
  }
}

/**
 * The membership column's text (the core's encodeMembership document) and what reading it
 * back gives. Decoded before anything is written, so saveSnapshot never stores a value that
 * open() would then refuse as corrupt, leaving a node that cannot restart: an invalid
 * membership (a repeated id, an unknown role) throws a TypeError and changes nothing.
 */
function storedMembership(membership: Membership): { text: string; decoded: Membership } {
  const text = new TextDecoder().decode(encodeMembership(membership));
  try {
    return { text, decoded: decodeMembershipText(text) };
  } catch (e) {
    throw new TypeError(`saveSnapshot: invalid membership: ${(e as Error).message}`, { cause: e });
  }
}

function decodeMembershipText(text: string): Membership {
  return decodeMembership(new TextEncoder().encode(text));
}

/** `meta` with its membership, or without the property at all (not `membership: undefined`). */
function withMembership(meta: { index: number; term: number }, membership: Membership | undefined): SnapshotMeta {
  return membership === undefined ? meta : { ...meta, membership };
}

function configure(db: Database.Database, options: SqliteStorageOptions): void {
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
  if (options.maxDatabaseBytes !== undefined) {
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxDatabaseBytes / pageSize))}`);
  }
}

/**
 * Create a new database under a temporary name and move it into place only when its schema is
 * complete and on disk: a crash during creation can never leave a half-made raft.db that would
 * later look like a damaged one (or be mistaken for an empty one).
 */
function createDatabase(dir: string, file: string): void {
  const temp = `${file}.creating`;
  for (const f of [temp, `${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
  let db: Database.Database | undefined;
  try {
    db = new Database(temp);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma(`application_id = ${APPLICATION_ID}`);
    migrate(db, 0);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.pragma("journal_mode = DELETE"); // fold the WAL into the file before it is renamed
    db.close();
    db = undefined;
    fsyncPath(temp);
    renameSync(temp, file);
    fsyncPath(dir);
  } catch (e) {
    db?.close();
    throw new StorageOpenError("io", file, `cannot create the database: ${(e as Error).message}`, { cause: e });
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function openError(file: string, e: unknown): StorageOpenError {
  const code = sqliteCode(e) ?? "";
  const message = e instanceof Error ? e.message : String(e);
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    // Say what is wrong with the file when its header tells (the connection is closed by now,
    // so reading the file directly cannot drop a lock of ours).
    const problem = checkDatabaseFile(file);
    if (problem !== undefined) return new StorageOpenError("corrupt", file, `${problem} (${message})`, { cause: e });
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new StorageOpenError("locked", file, `another process holds this database open (${message})`, { cause: e });
  }
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return new StorageOpenError("corrupt", file, `${message} (not a SQLite database, or a damaged one)`, { cause: e });
  }
  return new StorageOpenError("io", file, `${code || "error"}: ${message}`, { cause: e });
}
