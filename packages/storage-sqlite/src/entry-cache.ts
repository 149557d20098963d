import { entrySize, type Entry } from "@raft-ts/core";

/**
 * The most recent entries, contiguous and ending at the log's last index: what a leader sends
 * to followers that keep up, served without touching SQLite. Bounded in entries and bytes;
 * the oldest are evicted first.
 *
 * Invariant: entries[i].index === first + i, and the last cached entry is the log's last.
 */
export class EntryCache {
  private entries: Entry[] = [];
  private first = 1;
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  /** Index of the oldest cached entry (the cache is empty when it is past the last). */
  get firstIndex(): number {
    return this.first;
  }

  get size(): number {
    return this.entries.length;
  }

  get(index: number): Entry | undefined {
    return this.entries[index - this.first];
  }

  /** Cached entries in [lo, hi) (lo must be >= firstIndex). */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.first, hi - this.first);
  }

  /** Record entries just written at the end of the log (truncating any cached suffix they replace). */
  append(entries: readonly Entry[]): void {
    const start = entries[0];
    if (start === undefined) return;
    if (this.entries.length === 0 || start.index < this.first || start.index > this.first + this.entries.length) {
      this.clear(start.index);
    } else {
      this.truncateFrom(start.index);
    }
    for (const e of entries) {
      this.entries.push(e);
      this.bytes += entrySize(e);
    }
    this.evict();
  }

  /** Forget everything from `index` on. */
  truncateFrom(index: number): void {
    const keep = Math.max(0, index - this.first);
    for (let i = keep; i < this.entries.length; i++) this.bytes -= entrySize(this.entries[i]!);
    this.entries.length = Math.min(this.entries.length, keep);
  }

  /** Forget everything up to and including `index` (compaction). */
  dropUpTo(index: number): void {
    this.dropOldest(Math.min(this.entries.length, Math.max(0, index + 1 - this.first)));
    if (this.entries.length === 0) this.first = Math.max(this.first, index + 1);
  }

  /** Empty the cache; the next entry to arrive will be `nextIndex`. */
  clear(nextIndex: number): void {
    this.entries = [];
    this.bytes = 0;
    this.first = nextIndex;
  }

  /** Remove the n oldest entries in one splice (shifting one by one would be quadratic). */
  private dropOldest(n: number): void {
    if (n <= 0) return;
    for (let i = 0; i < n; i++) this.bytes -= entrySize(this.entries[i]!);
    this.entries.splice(0, n);
    this.first += n;
  }

  private evict(): void {
    // Keep at least the newest entry even if it alone exceeds the byte budget.
    let n = Math.max(0, this.entries.length - this.maxEntries);
    let bytes = this.bytes;
    for (let i = 0; i < n; i++) bytes -= entrySize(this.entries[i]!);
    while (n < this.entries.length - 1 && bytes > this.maxBytes) {
      bytes -= entrySize(this.entries[n]!);
      n++;
    }
    this.dropOldest(n);
  }
}
