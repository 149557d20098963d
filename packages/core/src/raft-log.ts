import { limitSize, type Entry } from "./entry.js";
import type { Membership } from "./membership.js";
import { MembershipLog } from "./membership-log.js";
import type { LogStorage, Snapshot } from "./storage.js";

/**
 * The log as the core sees it: the durable part in storage, then the unstable tail, appended
 * but not yet persisted (handed out by ready(), made stable by advance()).
 *
 * Invariants:
 * - applied <= committed <= lastIndex()
 * - unstable entries are contiguous from unstableOffset; they replace any stored entries at or
 *   above unstableOffset once persisted.
 * - terms never decrease along the log (each leader appends only in its own, newer term), which
 *   is what lets the conflict searches below binary-search instead of scan.
 * - while a received snapshot is pending (not yet persisted), the log is that snapshot plus the
 *   unstable entries after it: storage's older log is no longer part of it.
 */
export class RaftLog {
  private unstable: Entry[] = [];
  private unstableOffset: number;
  /** A snapshot from the leader, to be persisted and applied by the next Ready. */
  pendingSnapshot: Snapshot | undefined;
  committed: number;
  /** Highest index acknowledged as applied by the state machine (through advance()). */
  applied: number;
  /** The configuration at each point of this log (kept in step with every append and restore). */
  readonly membership: MembershipLog;

  /** `bootstrap` is the membership of a log that holds none (no config entry, no snapshot saying). */
  constructor(
    private readonly storage: LogStorage,
    committed: number,
    applied: number,
    private readonly bootstrap: Membership,
  ) {
    this.unstableOffset = storage.lastIndex() + 1;
    if (committed > storage.lastIndex()) {
      throw new Error(
        `storage is inconsistent: commit ${committed} is past its last index ${storage.lastIndex()}`,
      );
    }
    // A snapshot holds only committed state: what it covers is committed, even if the commit
    // index written beside it is older (commit-only changes are written lazily, and a crash
    // can come between the two writes). The snapshot may end past the log's start: a node
    // keeps some entries behind its snapshot, and compacts lazily. The chaos suite found a
    // node that restarted from its own snapshot at 3006 with commit 3004 on disk, was handed
    // entry 3005 to apply, and stopped.
    const snapshotted = Math.max(storage.firstIndex() - 1, storage.snapshotMeta()?.index ?? 0);
    this.committed = Math.max(committed, snapshotted);
    if (applied < snapshotted) {
      throw new Error(
        `the state machine has applied ${applied} but the log starts after the snapshot at ${snapshotted}: ` +
          "restore the state machine from storage.snapshot() and pass its index as applied",
      );
    }
    // A state machine cannot have applied what is not committed; clamp a stale claim.
    this.applied = Math.min(applied, this.committed);
    const snap = storage.snapshotMeta();
    this.membership = new MembershipLog(
      snap !== undefined ? { index: snap.index, membership: snap.membership ?? bootstrap } : { index: 0, membership: bootstrap },
      storage.configEntries(),
    );
    this.membership.foldTo(this.applied);
  }

  firstIndex(): number {
    return this.pendingSnapshot !== undefined ? this.pendingSnapshot.meta.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.unstableOffset + this.unstable.length - 1;
    return this.pendingSnapshot !== undefined ? this.pendingSnapshot.meta.index : this.storage.lastIndex();
  }

  /** The term of the entry at `index`, or undefined outside [firstIndex() - 1, lastIndex()]. */
  term(index: number): number | undefined {
    if (index >= this.unstableOffset) return this.unstable[index - this.unstableOffset]?.term;
    const snap = this.pendingSnapshot;
    if (snap !== undefined) return index === snap.meta.index ? snap.meta.term : undefined;
    return this.storage.term(index);
  }

  /**
   * Replace the whole log with `snapshot` (a follower given the leader's snapshot): nothing of
   * the old log is kept, the commit index moves to the snapshot's end, and the next Ready
   * persists and applies it.
   */
  restore(snapshot: Snapshot): void {
    if (snapshot.meta.index <= this.committed) {
      throw new Error(`restore: snapshot at ${snapshot.meta.index} is not past the commit index ${this.committed}`);
    }
    this.pendingSnapshot = snapshot;
    this.unstable = [];
    this.unstableOffset = snapshot.meta.index + 1;
    this.committed = snapshot.meta.index;
    this.membership.restore(snapshot.meta.index, snapshot.meta.membership ?? this.bootstrap);
  }

  /** The latest snapshot in storage (what a leader sends a follower that is too far behind). */
  storedSnapshot(): Snapshot | undefined {
    return this.storage.snapshot();
  }

  /** The pending snapshot is durable and the state machine holds it. */
  snapshotPersisted(index: number): void {
    if (this.pendingSnapshot?.meta.index !== index) return;
    this.pendingSnapshot = undefined;
    this.applied = Math.max(this.applied, index);
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    if (t === undefined) throw new Error(`log has no term for its last index ${this.lastIndex()}`);
    return t;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /**
   * The election restriction (paper 5.4.1): a candidate's log is at least as up to date as
   * ours if its last term is newer, or the same term and at least as long.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** A log ending at (lastIndex, lastTerm) is strictly more up to date than ours. */
  isAhead(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex > this.lastIndex());
  }

  /** Append entries at the tail (a leader's own proposals). */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index !== this.lastIndex() + 1) {
      throw new Error(`append at ${first.index} would not follow last index ${this.lastIndex()}`);
    }
    this.truncateAndAppend(entries);
  }

  /**
   * A follower's half of AppendEntries: if our log holds (prevIndex, prevTerm), make it hold the
   * given entries after it, truncating a conflicting suffix, and return the index of the last
   * new entry. Undefined when the consistency check fails.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== undefined) {
      if (conflict <= this.committed) {
        throw new Error(
          `log conflict at ${conflict} is at or below commit ${this.committed}: a committed entry would be lost`,
        );
      }
      this.truncateAndAppend(entries.slice(conflict - entries[0]!.index));
    }
    return lastNew;
  }

  /** The first entry whose index we lack or whose term differs from ours. */
  private findConflict(entries: readonly Entry[]): number | undefined {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return undefined;
  }

  private truncateAndAppend(entries: readonly Entry[]): void {
    this.membership.appended(entries);
    const first = entries[0]!.index;
    if (first === this.unstableOffset + this.unstable.length) {
      this.unstable.push(...entries);
    } else if (first <= this.unstableOffset) {
      // Replaces stored entries from `first` on: persisting them truncates storage there.
      this.unstableOffset = first;
      this.unstable = [...entries];
    } else {
      this.unstable = this.unstable.slice(0, first - this.unstableOffset).concat(entries);
    }
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) {
      throw new Error(`commit ${index} is past the last index ${this.lastIndex()}`);
    }
    this.committed = index;
    return true;
  }

  /** Entries in [lo, hi), at least one, then while within maxBytes. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo >= hi) return [];
    if (lo < this.firstIndex() || hi > this.lastIndex() + 1) {
      throw new RangeError(`slice [${lo}, ${hi}) outside the log [${this.firstIndex()}, ${this.lastIndex()}]`);
    }
    let out: Entry[] = [];
    if (lo < this.unstableOffset) {
      out = this.storage.entries(lo, Math.min(hi, this.unstableOffset), maxBytes);
      // Storage stopped early at the byte limit: the unstable part would exceed it too.
      if (out.length < Math.min(hi, this.unstableOffset) - lo) return out;
    }
    if (hi > this.unstableOffset) {
      const from = Math.max(lo, this.unstableOffset) - this.unstableOffset;
      out = out.concat(this.unstable.slice(from, hi - this.unstableOffset));
    }
    return limitSize(out, maxBytes);
  }

  /** Entries not yet persisted, for the next Ready. */
  unstableEntries(): Entry[] {
    return [...this.unstable];
  }

  hasUnstable(): boolean {
    return this.unstable.length > 0;
  }

  /** Everything unstable up to `index` is now durable. */
  stableTo(index: number): void {
    if (index < this.unstableOffset) return;
    this.unstable = this.unstable.slice(index + 1 - this.unstableOffset);
    this.unstableOffset = index + 1;
  }

  /** Index of the last entry known durable in this node's own storage. */
  persistedLastIndex(): number {
    if (this.pendingSnapshot !== undefined) return Math.min(this.storage.lastIndex(), this.pendingSnapshot.meta.index - 1);
    return this.unstable.length > 0 ? this.unstableOffset - 1 : this.storage.lastIndex();
  }

  /**
   * The largest index <= `index` whose term is <= `term`, by binary search over the
   * non-decreasing terms. firstIndex() - 1 when there is none in the log.
   */
  lastIndexWithTermAtMost(index: number, term: number): number {
    let lo = this.firstIndex() - 1; // term(lo) is known and, at worst, treated as the floor
    let hi = Math.min(index, this.lastIndex());
    if ((this.term(hi) ?? 0) <= term) return hi;
    // Invariant: term(lo) <= term (or lo is the floor) and term(hi) > term.
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if ((this.term(mid) ?? 0) <= term) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The first index of the run of `term` that ends at `index` (whose term must be `term`),
   * searching no lower than `floor`.
   */
  firstIndexOfTerm(index: number, term: number, floor: number): number {
    let lo = Math.max(floor, this.firstIndex()); // candidate answer
    let hi = index; // term(hi) === term
    if ((this.term(lo) ?? 0) >= term) return lo;
    // Invariant: term(lo) < term and term(hi) === term.
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if ((this.term(mid) ?? 0) < term) lo = mid;
      else hi = mid;
    }
    return hi;
  }
}
