import { limitSize, type Entry } from "./entry.js";
import type { Storage } from "./storage.js";
import { EMPTY_HARD_STATE, type HardState } from "./types.js";

/**
 * Storage held in memory: for tests, the simulator, and users testing their own code against
 * the core. "Durable" here means it survives a simulated crash of the RaftNode that reads it.
 */
export class MemoryStorage implements Storage {
  private hard: HardState = EMPTY_HARD_STATE;
  /** log[i] holds the entry at index i + 1 (no compaction yet, so firstIndex is always 1). */
  private log: Entry[] = [];

  hardState(): HardState {
    return this.hard;
  }

  firstIndex(): number {
    return 1;
  }

  lastIndex(): number {
    return this.log.length;
  }

  term(index: number): number | undefined {
    if (index === 0) return 0;
    return this.log[index - 1]?.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex() || hi > this.lastIndex() + 1 || lo > hi) {
      throw new RangeError(
        `entries [${lo}, ${hi}) out of range [${this.firstIndex()}, ${this.lastIndex() + 1})`,
      );
    }
    return limitSize(this.log.slice(lo - 1, hi - 1), maxBytes);
  }

  persist(hardState: HardState | undefined, entries: readonly Entry[]): void {
    const first = entries[0];
    if (first !== undefined) {
      if (first.index < 1 || first.index > this.log.length + 1) {
        throw new RangeError(
          `persist: entry ${first.index} would leave a gap after last index ${this.log.length}`,
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
      this.log.length = first.index - 1;
      for (const e of entries) this.log.push(e);
    }
  }
}
