import type { Entry } from "./entry.js";
import type { Membership } from "./membership.js";
import type { HardState } from "./types.js";

/** The last index and term a snapshot covers: the state machine after applying up to `index`. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  /**
   * The configuration in force at `index` (RaftNode.membershipAt), which the compacted log no
   * longer holds. Absent only in snapshots written before membership changes existed: the
   * bootstrap voters then.
   */
  readonly membership?: Membership;
}

/** A state machine snapshot: opaque bytes to Raft. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/**
 * What the core reads from durable storage. The core never writes: the driver persists what a
 * Ready asks (`Storage.persist`), then calls advance().
 *
 * Contract:
 * - Indexes start at 1. The log holds a contiguous range [firstIndex(), lastIndex()]; an empty
 *   log has lastIndex() === firstIndex() - 1. Entries before firstIndex() were compacted into a
 *   snapshot.
 * - `term(firstIndex() - 1)` is known (0 for a log never compacted): it anchors the
 *   consistency check of the first entry.
 * - Reads are synchronous and must not fail for indexes inside the range; outside it they
 *   return `undefined` (term) or throw a RangeError (entries), since asking is a core bug.
 */
export interface LogStorage {
  /** The persisted hard state; EMPTY_HARD_STATE for a new node. */
  hardState(): HardState;
  /** Index of the first entry available. */
  firstIndex(): number;
  /** Index of the last entry; firstIndex() - 1 when the log is empty. */
  lastIndex(): number;
  /** Term of the entry at `index`, for index in [firstIndex() - 1, lastIndex()]. */
  term(index: number): number | undefined;
  /**
   * Entries in [lo, hi), at least one if lo < hi, then more while their total size stays within
   * maxBytes (see entrySize).
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /**
   * Every entry of type "config" in [firstIndex(), lastIndex()], in index order. There are few
   * (one per membership change since the log was last compacted); read once at start-up.
   */
  configEntries(): Entry[];
  /** The latest snapshot's index and term, or undefined when there is none. */
  snapshotMeta(): SnapshotMeta | undefined;
  /** The latest snapshot with its data, or undefined when there is none. */
  snapshot(): Snapshot | undefined;
}

/** The write half, used by the driver (and the simulator) to carry out a Ready. */
export interface Storage extends LogStorage {
  /**
   * Atomically: replace the hard state when one is given, and append `entries`, which are
   * contiguous. If the first of them has an index at or below lastIndex(), every stored entry
   * from that index on is deleted first (a follower overwriting a conflicting suffix). Entries
   * below firstIndex() cannot be written (RangeError).
   * When this returns, everything is durable. If it throws, nothing changed.
   */
  persist(hardState: HardState | undefined, entries: readonly Entry[]): void;
  /**
   * Atomically and durably make `snapshot` the latest. If the log holds the entry the snapshot
   * ends with (same index and term), the log is kept as it is (compact() trims it later).
   * Otherwise the log no longer agrees with the snapshot and is discarded: it restarts right
   * after it (firstIndex() === index + 1, term(index) === its term). A snapshot older than the
   * latest one throws a RangeError and changes nothing.
   */
  saveSnapshot(snapshot: Snapshot): void;
  /**
   * Delete the log prefix up to and including `index`, which the latest snapshot must cover
   * (RangeError otherwise). Afterwards firstIndex() === index + 1 and term(index) is still
   * known. Compacting at or below firstIndex() - 1 changes nothing.
   */
  compact(index: number): void;
}
