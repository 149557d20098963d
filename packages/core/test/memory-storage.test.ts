import { describe, expect, it } from "vitest";
import { EMPTY_HARD_STATE, limitSize, MemoryStorage, type Entry, type HardState, type Storage } from "../src/index.js";
import {
  defineStorageConformanceSuite,
  StorageConformanceError,
  storageConformanceCases,
  type StorageConformanceCase,
} from "../src/testing/index.js";

defineStorageConformanceSuite("MemoryStorage conformance", () => new MemoryStorage(), { describe, it });

interface Flaws {
  /** Overwrite entries in place but keep the stored suffix past the new ones. */
  ignoreTruncation?: boolean;
  /** Replace the hard state before validating the entries (not atomic). */
  hardStateBeforeChecks?: boolean;
  /** Return everything in [lo, hi) regardless of maxBytes. */
  ignoreMaxBytes?: boolean;
}

/** A storage written independently of MemoryStorage, with switchable flaws. */
class FlawedStorage implements Storage {
  private hard: HardState = EMPTY_HARD_STATE;
  private log: Entry[] = [];

  constructor(private readonly flaws: Flaws = {}) {}

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
    return index === 0 ? 0 : this.log[index - 1]?.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < 1 || hi > this.log.length + 1 || lo > hi) throw new RangeError(`[${lo}, ${hi}) out of range`);
    const all = this.log.slice(lo - 1, hi - 1);
    return this.flaws.ignoreMaxBytes ? all : limitSize(all, maxBytes);
  }

  persist(hardState: HardState | undefined, entries: readonly Entry[]): void {
    if (this.flaws.hardStateBeforeChecks && hardState !== undefined) this.hard = hardState;
    const first = entries[0];
    if (first !== undefined) {
      if (first.index < 1 || first.index > this.log.length + 1) throw new RangeError("gap");
      entries.forEach((e, i) => {
        if (e.index !== first.index + i) throw new RangeError("not contiguous");
      });
    }
    if (hardState !== undefined) this.hard = hardState;
    for (const e of entries) {
      if (!this.flaws.ignoreTruncation && e === first) this.log.length = e.index - 1;
      this.log[e.index - 1] = e;
    }
  }
}

function caseNamed(fragment: string): StorageConformanceCase {
  const found = storageConformanceCases.filter((c) => c.name.includes(fragment));
  if (found.length !== 1) throw new Error(`expected one case matching "${fragment}", found ${found.length}`);
  return found[0]!;
}

describe("the storage conformance suite", () => {
  it("has uniquely named cases, each run against a fresh storage", async () => {
    const names = storageConformanceCases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(11);
    // Every case asks make() for its own storage (and each passes on a flawless one).
    for (const c of storageConformanceCases) {
      let made = 0;
      await c.run(() => {
        made++;
        return new FlawedStorage();
      });
      expect(made, c.name).toBe(1);
    }
  });

  it("accepts an async make()", async () => {
    for (const c of storageConformanceCases) await c.run(() => Promise.resolve(new MemoryStorage()));
  });

  it("defineStorageConformanceSuite registers every case under describe(name)", async () => {
    const registered: { suite: string; test: string; fn: () => Promise<void> }[] = [];
    let current = "";
    defineStorageConformanceSuite("Fake", () => new MemoryStorage(), {
      describe(name, fn) {
        current = name;
        fn();
        current = "";
      },
      it(name, fn) {
        registered.push({ suite: current, test: name, fn });
      },
    });
    expect(registered.map((r) => r.test)).toEqual(storageConformanceCases.map((c) => c.name));
    expect(registered.every((r) => r.suite === "Fake")).toBe(true);
    for (const r of registered) await r.fn();
  });

  it("fails a storage that ignores truncation, in the conflict-overwrite case", async () => {
    const make = (): Storage => new FlawedStorage({ ignoreTruncation: true });
    const conflict = caseNamed("truncates the suffix");
    await expect(conflict.run(make)).rejects.toThrow(StorageConformanceError);
    await expect(conflict.run(make)).rejects.toThrow(/truncates the suffix.*lastIndex\(\): expected 4, got 5/);
    // The flaw is what fails it: the same storage passes a case that never overwrites.
    await expect(caseNamed("appends entries and reads").run(make)).resolves.toBeUndefined();
  });

  it("fails a storage whose failed persist still changed the hard state", async () => {
    const make = (): Storage => new FlawedStorage({ hardStateBeforeChecks: true });
    await expect(caseNamed("leave a gap").run(make)).rejects.toThrow(/hardState\(\): expected hard state/);
    await expect(caseNamed("non-contiguous").run(make)).rejects.toThrow(StorageConformanceError);
  });

  it("fails a storage that ignores maxBytes", async () => {
    const make = (): Storage => new FlawedStorage({ ignoreMaxBytes: true });
    await expect(caseNamed("within maxBytes").run(make)).rejects.toThrow(/expected 3 entries \[1\.\.3\], got 6/);
  });
});
