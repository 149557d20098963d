import type { Entry } from "./entry.js";
import { decodeMembership, type Membership } from "./membership.js";

interface Placed {
  readonly index: number;
  readonly membership: Membership;
}

/**
 * The configuration in force at each point of the log: a base (from the snapshot, or the
 * bootstrap membership at index 0) and the configuration entries after it.
 *
 * Invariants:
 * - `changes` are in ascending index order, all above `base.index`, and each is an entry
 *   still in the log: appending truncates those at or after the first new index, so a node
 *   whose uncommitted configuration entry is overwritten goes back to the one before it.
 * - current() is the configuration of the last entry of the log, committed or not: that is
 *   the one a node acts on (dissertation 4.1).
 */
export class MembershipLog {
  private base: Placed;
  private changes: Placed[] = [];

  constructor(base: Placed, entries: readonly Entry[]) {
    this.base = base;
    this.appended(entries);
  }

  current(): Membership {
    return (this.changes[this.changes.length - 1] ?? this.base).membership;
  }

  /** Index of the entry current() comes from (the base's index when no entry is newer). */
  currentIndex(): number {
    return (this.changes[this.changes.length - 1] ?? this.base).index;
  }

  /** The configuration as of log index `index`, which must not be below foldTo()'s point. */
  at(index: number): Membership {
    if (index < this.base.index) {
      throw new RangeError(`membership at ${index}: only known from ${this.base.index} on`);
    }
    let found = this.base;
    for (const c of this.changes) {
      if (c.index > index) break;
      found = c;
    }
    return found.membership;
  }

  /**
   * Entries were written to the log from entries[0].index on, replacing whatever was there:
   * forget configurations from that index on, then take the new ones.
   */
  appended(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    while (this.changes.length > 0 && this.changes[this.changes.length - 1]!.index >= first.index) this.changes.pop();
    for (const e of entries) {
      if (e.type === "config" && e.index > this.base.index) this.changes.push({ index: e.index, membership: decodeMembership(e.data) });
    }
  }

  /** The log was replaced by a snapshot whose configuration is `membership`. */
  restore(index: number, membership: Membership): void {
    this.base = { index, membership };
    this.changes = [];
  }

  /**
   * Nothing at or below `index` will be asked for again (it is applied, so never truncated or
   * snapshotted below): keep only the last configuration there as the base, bounding memory.
   */
  foldTo(index: number): void {
    while (this.changes.length > 0 && this.changes[0]!.index <= index) this.base = this.changes.shift()!;
  }
}
