import { limitSize, type Entry } from "./entry.js";
import type { Snapshot, SnapshotMeta, Storage } from "./storage.js";
import { EMPTY_HARD_STATE, type HardState } from "./types.js";

/**
 * Storage held in memory: for tests, the simulator, and users testing their own code against
 * the core. "Durable" here means it survives a simulated crash of the RaftNode that reads it.
 */
export class MemoryStorage implements Storage {
  private hard: HardState = EMPTY_HARD_STATE;
  /** The entry just before the log (compacted, or index 0 term 0). */
  private anchor: SnapshotMeta = { index: 0, term: 0 };
  /** log[i] holds the entry at index anchor.index + 1 + i. */
  private log: Entry[] = [];
  private snap: Snapshot | undefined;

  hardState(): HardState {
    return this.hard;
  }

  firstIndex(): number {
    return this.anchor.index + 1;
  }

  lastIndex(): number {
    return this.anchor.index + this.log.length;
  }

  term(index: number): number | undefined {
    if (index === this.anchor.index) return this.anchor.term;
    if (index < this.anchor.index) return undefined;
    return this.log[index - this.firstIndex()]?.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex() || hi > this.lastIndex() + 1 || lo > hi) {
      throw new RangeError(
        `entries [${lo}, ${hi}) out of range [${this.firstIndex()}, ${this.lastIndex() + 1})`,
      );
    }
    return limitSize(this.log.slice(lo - this.firstIndex(), hi - this.firstIndex()), maxBytes);
  }

  configEntries(): Entry[] {
    return this.log.filter((e) => e.type === "config");
  }

  snapshotMeta(): SnapshotMeta | undefined {
    return this.snap?.meta;
  }

  snapshot(): Snapshot | undefined {
    return this.snap;
  }

  persist(hardState: HardState | undefined, entries: readonly Entry[]): void {
    const first = entries[0];
    if (first !== undefined) {
      if (first.index < this.firstIndex() || first.index > this.lastIndex() + 1) {
        throw new RangeError(
          `persist: entry ${first.index} is outside [${this.firstIndex()}, ${this.lastIndex() + 1}]`,
        );
      }
      entries.forEach((e, i) => {
        if (e.index !== first.index + i) {
          throw new RangeError(`persist: entries not contiguous at ${e.index}`);
        }
      });
    }
    if (hardState !== undefined) this.hard = hardState;
    if (first !== undefined) {
      this.log.length = first.index - this.firstIndex();
      for (const e of entries) this.log.push(e);
    }
  }

  saveSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    if (this.snap !== undefined && index < this.snap.meta.index) {
      throw new RangeError(`saveSnapshot: index ${index} is older than the latest snapshot ${this.snap.meta.index}`);
    }
    if (this.term(index) !== term) {
      this.anchor = { index, term };
      this.log = [];
    }
    this.snap = snapshot;
  }

  compact(index: number): void {
    if (index <= this.anchor.index) return;
    const covered = this.snap?.meta.index ?? 0;
    if (index > covered || index > this.lastIndex()) {
      throw new RangeError(
        `compact(${index}): beyond the latest snapshot (${covered}) or the last index (${this.lastIndex()})`,
      );
    }
    const term = this.term(index)!;
    this.log = this.log.slice(index - this.anchor.index);
    this.anchor = { index, term };
  }
}
