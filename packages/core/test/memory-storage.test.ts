import { describe, expect, it } from "vitest";
import { MemoryStorage, type Entry, type HardState, type Storage } from "../src/index.js";
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

/** MemoryStorage with switchable flaws, each breaking one promise of the contract. */
class FlawedStorage extends MemoryStorage {
  constructor(private readonly flaws: Flaws = {}) {
    super();
  }

  override entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return super.entries(lo, hi, this.flaws.ignoreMaxBytes ? Number.MAX_SAFE_INTEGER : maxBytes);
  }

  override persist(hardState: HardState | undefined, entries: readonly Entry[]): void {
    if (this.flaws.hardStateBeforeChecks && hardState !== undefined) {
      // Two separate writes: the hard state lands even if the entries are then refused.
      super.persist(hardState, []);
      super.persist(undefined, entries);
      return;
    }
    const first = entries[0];
    if (this.flaws.ignoreTruncation && first !== undefined && first.index <= this.lastIndex()) {
      // Overwrite in place, keeping whatever was stored past the new entries.
      const keepFrom = first.index + entries.length;
      const suffix = keepFrom <= this.lastIndex() ? super.entries(keepFrom, this.lastIndex() + 1, Number.MAX_SAFE_INTEGER) : [];
      super.persist(hardState, [...entries, ...suffix]);
      return;
    }
    super.persist(hardState, entries);
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
