import { entrySize, type Entry, type EntryType } from "../entry.js";
import { encodeMembership, type Membership } from "../membership.js";
import type { Snapshot, Storage } from "../storage.js";
import { EMPTY_HARD_STATE, type HardState } from "../types.js";

/**
 * A conformance suite for `Storage` implementations: every storage the core runs on (memory,
 * SQLite, yours) must pass it. Framework-free on purpose: each case is a plain function that
 * throws an Error on the first broken expectation, so it runs under vitest, jest, node:test or
 * a bare script. Each case asks `make` for a fresh, empty storage and uses it alone.
 */
export interface StorageConformanceCase {
  readonly name: string;
  run(make: () => Storage | Promise<Storage>): void | Promise<void>;
}

/** The parts of a test framework the suite needs (vitest's, jest's and node:test's fit). */
export interface TestFunctions {
  describe(name: string, fn: () => void): unknown;
  it(name: string, fn: () => Promise<void>): unknown;
}

/** Thrown when a storage breaks the contract; the message says which expectation failed. */
export class StorageConformanceError extends Error {
  constructor(caseName: string, message: string) {
    super(`storage conformance "${caseName}": ${message}`);
    this.name = "StorageConformanceError";
  }
}

/** Large enough that no test here ever hits it; an integer so any storage can bind it. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

// ---- assertions ---------------------------------------------------------------------------

class Check {
  constructor(private readonly caseName: string) {}

  fail(message: string): never {
    throw new StorageConformanceError(this.caseName, message);
  }

  isTrue(condition: boolean, message: string): void {
    if (!condition) this.fail(message);
  }

  equal<T extends string | number | undefined>(actual: T, expected: T, what: string): void {
    if (!Object.is(actual, expected)) {
      this.fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
    }
  }

  hardState(actual: HardState, expected: HardState, what: string): void {
    if (actual.term !== expected.term || actual.vote !== expected.vote || actual.commit !== expected.commit) {
      this.fail(`${what}: expected hard state ${showHardState(expected)}, got ${showHardState(actual)}`);
    }
  }

  entries(actual: readonly Entry[], expected: readonly Entry[], what: string): void {
    if (!Array.isArray(actual)) this.fail(`${what}: expected an array of entries, got ${show(actual)}`);
    if (actual.length !== expected.length) {
      this.fail(
        `${what}: expected ${expected.length} entries [${showRange(expected)}], ` +
          `got ${actual.length} [${showRange(actual)}]`,
      );
    }
    expected.forEach((e, i) => this.entry(actual[i]!, e, `${what}, entry #${i}`));
  }

  entry(actual: Entry, expected: Entry, what: string): void {
    this.equal(actual.index, expected.index, `${what}: index`);
    this.equal(actual.term, expected.term, `${what} (index ${expected.index}): term`);
    this.equal(actual.type, expected.type, `${what} (index ${expected.index}): type`);
    if (!(actual.data instanceof Uint8Array)) {
      this.fail(`${what} (index ${expected.index}): data is not a Uint8Array`);
    }
    this.equal(actual.data.byteLength, expected.data.byteLength, `${what} (index ${expected.index}): data length`);
    for (let i = 0; i < expected.data.byteLength; i++) {
      if (actual.data[i] !== expected.data[i]) {
        this.fail(
          `${what} (index ${expected.index}): data byte ${i}: expected ${expected.data[i]}, got ${actual.data[i]}`,
        );
      }
    }
  }

  throws(fn: () => unknown, what: string, kind?: typeof RangeError): void {
    let thrown: unknown;
    let threw = false;
    try {
      fn();
    } catch (e) {
      threw = true;
      thrown = e;
    }
    if (!threw) this.fail(`${what}: expected it to throw, but it returned normally`);
    if (kind !== undefined && !(thrown instanceof kind)) {
      this.fail(`${what}: expected a ${kind.name}, got ${thrown instanceof Error ? thrown.name : show(thrown)}`);
    }
  }

  /** The whole observable state: hard state, bounds, every term and entry. */
  state(s: Storage, hard: HardState, log: readonly Entry[], what: string): void {
    this.hardState(s.hardState(), hard, `${what}: hardState()`);
    this.equal(s.firstIndex(), 1, `${what}: firstIndex()`);
    this.equal(s.lastIndex(), log.length, `${what}: lastIndex()`);
    this.equal(s.term(0), 0, `${what}: term(0)`);
    for (const e of log) this.equal(s.term(e.index), e.term, `${what}: term(${e.index})`);
    this.equal(s.term(log.length + 1), undefined, `${what}: term(${log.length + 1}) past the last index`);
    this.entries(s.entries(1, log.length + 1, NO_LIMIT), log, `${what}: entries(1, ${log.length + 1})`);
  }

  /** The log after compaction: it starts after `anchor` (whose term must still be known). */
  compactedLog(s: Storage, anchor: { index: number; term: number }, log: readonly Entry[], what: string): void {
    const first = anchor.index + 1;
    const last = anchor.index + log.length;
    this.equal(s.firstIndex(), first, `${what}: firstIndex()`);
    this.equal(s.lastIndex(), last, `${what}: lastIndex()`);
    this.equal(s.term(anchor.index), anchor.term, `${what}: term(${anchor.index}) (the anchor)`);
    if (anchor.index > 0) this.equal(s.term(anchor.index - 1), undefined, `${what}: term(${anchor.index - 1}) (compacted)`);
    for (const e of log) this.equal(s.term(e.index), e.term, `${what}: term(${e.index})`);
    this.entries(s.entries(first, last + 1, NO_LIMIT), log, `${what}: entries(${first}, ${last + 1})`);
    if (anchor.index > 0) {
      this.throws(() => s.entries(anchor.index, last + 1, NO_LIMIT), `${what}: entries(${anchor.index}, ...) (compacted)`, RangeError);
    }
  }

  snapshot(actual: Snapshot | undefined, expected: Snapshot, what: string): void {
    if (actual === undefined) this.fail(`${what}: expected a snapshot at ${expected.meta.index}, got none`);
    this.equal(actual.meta.index, expected.meta.index, `${what}: meta.index`);
    this.equal(actual.meta.term, expected.meta.term, `${what}: meta.term`);
    this.equal(showMembership(actual.meta.membership), showMembership(expected.meta.membership), `${what}: meta.membership`);
    this.equal(actual.data.byteLength, expected.data.byteLength, `${what}: data length`);
    for (let i = 0; i < expected.data.byteLength; i++) {
      if (actual.data[i] !== expected.data[i]) this.fail(`${what}: data byte ${i} differs`);
    }
  }
}

function showMembership(m: Membership | undefined): string {
  return m === undefined ? "none" : m.members.map((x) => `${x.id}:${x.role}:${x.address}`).join(",");
}

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (value instanceof Uint8Array) return `Uint8Array(${value.byteLength})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}

function showHardState(hs: HardState): string {
  return `{term: ${show(hs.term)}, vote: ${show(hs.vote)}, commit: ${show(hs.commit)}}`;
}

function showRange(entries: readonly Entry[]): string {
  if (entries.length === 0) return "none";
  const first = entries[0]!;
  const last = entries[entries.length - 1]!;
  return `${show(first.index)}..${show(last.index)}`;
}

// ---- fixtures -----------------------------------------------------------------------------

/** ASCII text as bytes (the core's lib has no TextEncoder, and these strings are ASCII). */
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

function entry(index: number, term: number, data: Uint8Array = ascii(`e${index}t${term}`), type: EntryType = "normal"): Entry {
  return { index, term, type, data };
}

/** Entries first..first+terms.length-1 with the given terms and distinct payloads. */
function run(first: number, terms: readonly number[], tag = ""): Entry[] {
  return terms.map((term, i) => entry(first + i, term, ascii(`${tag}e${first + i}t${term}`)));
}

/** An entry whose payload is `n` bytes, so its entrySize is ENTRY_OVERHEAD_BYTES + n. */
function sized(index: number, term: number, n: number): Entry {
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (index * 31 + i) & 0xff;
  return entry(index, term, data);
}

function totalSize(entries: readonly Entry[]): number {
  return entries.reduce((sum, e) => sum + entrySize(e), 0);
}

function defineCase(name: string, body: (s: Storage, check: Check) => void): StorageConformanceCase {
  return {
    name,
    async run(make) {
      const storage = await make();
      body(storage, new Check(name));
    },
  };
}

// ---- cases --------------------------------------------------------------------------------

const emptyStorage = defineCase("a new storage is empty", (s, check) => {
  check.hardState(s.hardState(), EMPTY_HARD_STATE, "hardState()");
  check.equal(s.firstIndex(), 1, "firstIndex()");
  check.equal(s.lastIndex(), 0, "lastIndex()");
  check.equal(s.term(0), 0, "term(0) (the anchor before the first entry)");
  check.equal(s.term(1), undefined, "term(1) of an empty log");
  check.entries(s.entries(1, 1, NO_LIMIT), [], "entries(1, 1) (an empty range)");
});

const hardStateAlone = defineCase("persists a hard state alone and reads it back", (s, check) => {
  const first: HardState = { term: 3, vote: 2, commit: 0 };
  s.persist(first, []);
  check.hardState(s.hardState(), first, "hardState() after persist(hs, [])");
  check.equal(s.lastIndex(), 0, "lastIndex() after persisting only a hard state");
  check.equal(s.term(1), undefined, "term(1) after persisting only a hard state");

  const second: HardState = { term: 7, vote: 0, commit: 0 };
  s.persist(second, []);
  check.hardState(s.hardState(), second, "hardState() after replacing it");

  s.persist(undefined, []);
  check.hardState(s.hardState(), second, "hardState() after persist(undefined, []) (must keep it)");
  check.equal(s.lastIndex(), 0, "lastIndex() after persist(undefined, [])");
});

const appendAndRead = defineCase("appends entries and reads them and their terms", (s, check) => {
  const log = run(1, [1, 1, 2, 3, 3]);
  s.persist(undefined, log);
  check.hardState(s.hardState(), EMPTY_HARD_STATE, "hardState() after persisting entries alone");
  check.state(s, EMPTY_HARD_STATE, log, "after appending 1..5");
  check.entries(s.entries(2, 4, NO_LIMIT), log.slice(1, 3), "entries(2, 4)");
  check.entries(s.entries(5, 6, NO_LIMIT), log.slice(4), "entries(5, 6)");
  check.entries(s.entries(3, 3, NO_LIMIT), [], "entries(3, 3) (an empty range)");

  // Appending right after the last index extends the log without touching what is there.
  const more = run(6, [4, 4]);
  s.persist(undefined, more);
  check.state(s, EMPTY_HARD_STATE, [...log, ...more], "after appending 6..7");
});

const maxBytes = defineCase("entries() returns the prefix within maxBytes, at least one entry", (s, check) => {
  // Sizes (with the 24-byte header): 34, 34, 34, 124, 24, 34.
  const log = [sized(1, 1, 10), sized(2, 1, 10), sized(3, 1, 10), sized(4, 1, 100), sized(5, 1, 0), sized(6, 1, 10)];
  s.persist(undefined, log);
  const size = (n: number): number => totalSize(log.slice(0, n));

  check.entries(s.entries(1, 7, size(6)), log, "entries(1, 7) with maxBytes = the size of all six");
  check.entries(s.entries(1, 7, size(3)), log.slice(0, 3), "entries(1, 7) with maxBytes = the size of three");
  check.entries(
    s.entries(1, 7, size(3) - 1),
    log.slice(0, 2),
    "entries(1, 7) with maxBytes one byte short of three",
  );
  check.entries(s.entries(1, 7, 1), log.slice(0, 1), "entries(1, 7) with maxBytes = 1 (at least one entry)");
  check.entries(s.entries(1, 7, 0), log.slice(0, 1), "entries(1, 7) with maxBytes = 0 (at least one entry)");
  check.entries(
    s.entries(4, 7, 1),
    log.slice(3, 4),
    "entries(4, 7) with maxBytes = 1 (a single entry larger than the limit)",
  );
  // A prefix, not a subset: entry 5 (24 bytes) would fit after 3, but 4 (124 bytes) does not.
  check.entries(
    s.entries(3, 7, entrySize(log[2]!) + entrySize(log[4]!)),
    log.slice(2, 3),
    "entries(3, 7) where a later, smaller entry would fit but the next one does not",
  );
  // The limit counts from lo, and hi still bounds the result.
  check.entries(s.entries(4, 6, NO_LIMIT), log.slice(3, 5), "entries(4, 6)");
  check.entries(
    s.entries(2, 7, totalSize(log.slice(1, 4))),
    log.slice(1, 4),
    "entries(2, 7) with maxBytes = the size of 2..4",
  );
});

const outOfRange = defineCase("entries() out of range throws a RangeError", (s, check) => {
  check.throws(() => s.entries(1, 2, NO_LIMIT), "entries(1, 2) on an empty log", RangeError);
  s.persist(undefined, run(1, [1, 1, 1]));
  check.throws(() => s.entries(0, 2, NO_LIMIT), "entries(0, 2) (below firstIndex)", RangeError);
  check.throws(() => s.entries(1, 5, NO_LIMIT), "entries(1, 5) (past lastIndex + 1)", RangeError);
  check.throws(() => s.entries(4, 5, NO_LIMIT), "entries(4, 5) (entirely past the last index)", RangeError);
  check.throws(() => s.entries(3, 2, NO_LIMIT), "entries(3, 2) (lo > hi)", RangeError);
  check.equal(s.term(4), undefined, "term(4) past the last index");
});

const conflictOverwrite = defineCase("persisting at or below lastIndex truncates the suffix and replaces it", (s, check) => {
  const hs: HardState = { term: 1, vote: 1, commit: 1 };
  const log = run(1, [1, 1, 1, 1, 1], "a");
  s.persist(hs, log);

  // A shorter replacement in the middle: 3..5 go, 3..4 arrive.
  const mid = run(3, [2, 2], "b");
  s.persist(undefined, mid);
  let expected = [...log.slice(0, 2), ...mid];
  check.state(s, hs, expected, "after overwriting from index 3 with two entries");
  check.throws(() => s.entries(1, 6, NO_LIMIT), "entries(1, 6) after the log shrank to 4", RangeError);

  // A replacement of just the last entry.
  const last = run(4, [3], "c");
  s.persist(undefined, last);
  expected = [...expected.slice(0, 3), ...last];
  check.state(s, hs, expected, "after overwriting the last entry (index 4)");

  // A replacement that reaches past the old end.
  const longer = run(2, [4, 4, 4, 4, 4], "d");
  s.persist(undefined, longer);
  expected = [expected[0]!, ...longer];
  check.state(s, hs, expected, "after overwriting from index 2 with a longer run");

  // Overwriting from index 1 replaces the whole log.
  const fromStart = run(1, [5], "e");
  const hs2: HardState = { term: 5, vote: 2, commit: 0 };
  s.persist(hs2, fromStart);
  check.state(s, hs2, fromStart, "after overwriting from index 1 with one entry");
  check.throws(() => s.entries(2, 3, NO_LIMIT), "entries(2, 3) after the log shrank to 1", RangeError);
});

const gap = defineCase("persisting entries that leave a gap throws and changes nothing", (s, check) => {
  check.throws(() => s.persist({ term: 9, vote: 9, commit: 0 }, run(2, [1])), "persist(hs, [entry 2]) on an empty log");
  check.state(s, EMPTY_HARD_STATE, [], "after the rejected persist on an empty log");

  const hs: HardState = { term: 2, vote: 1, commit: 2 };
  const log = run(1, [1, 1, 2]);
  s.persist(hs, log);
  check.throws(
    () => s.persist({ term: 9, vote: 3, commit: 3 }, run(5, [9, 9])),
    "persist(hs, [entries 5..6]) after last index 3",
  );
  check.state(s, hs, log, "after the rejected persist with a gap");
  check.throws(() => s.persist({ term: 9, vote: 3, commit: 3 }, run(0, [9, 9])), "persist(hs, [entries 0..1])");
  check.state(s, hs, log, "after the rejected persist of an entry at index 0");
});

const nonContiguous = defineCase("persisting non-contiguous entries throws and changes nothing", (s, check) => {
  const hs: HardState = { term: 2, vote: 1, commit: 1 };
  const log = run(1, [1, 1, 2]);
  s.persist(hs, log);
  const bad: HardState = { term: 9, vote: 3, commit: 3 };
  const attempts: [string, Entry[]][] = [
    ["entries 4, 5, 7 (a hole)", [entry(4, 3), entry(5, 3), entry(7, 3)]],
    ["entries 4, 4 (a repeat)", [entry(4, 3), entry(4, 3)]],
    ["entries 4, 3 (going backwards)", [entry(4, 3), entry(3, 3)]],
    // This one would also truncate 3 if it were carried out halfway.
    ["entries 2, 3, 5 (a hole after an overwrite point)", [entry(2, 3), entry(3, 3), entry(5, 3)]],
  ];
  for (const [what, entries] of attempts) {
    check.throws(() => s.persist(bad, entries), `persist(hs, ${what})`);
    check.state(s, hs, log, `after the rejected persist of ${what}`);
  }
});

const hardStateAndEntries = defineCase("a hard state and entries persisted together are both visible", (s, check) => {
  const hs: HardState = { term: 2, vote: 1, commit: 2 };
  const log = run(1, [1, 2, 2]);
  s.persist(hs, log);
  check.state(s, hs, log, "after persist(hs, 1..3)");

  const hs2: HardState = { term: 3, vote: 3, commit: 2 };
  const replacement = run(3, [3, 3], "x");
  s.persist(hs2, replacement);
  check.state(s, hs2, [...log.slice(0, 2), ...replacement], "after persist(hs2, 3..4) overwriting entry 3");
});

const dataRoundTrip = defineCase("entry data and type round-trip exactly", (s, check) => {
  const allBytes = new Uint8Array(256);
  for (let i = 0; i < 256; i++) allBytes[i] = i;
  const descending = new Uint8Array(256);
  for (let i = 0; i < 256; i++) descending[i] = 255 - i;
  // A view into the middle of a larger buffer: only its own bytes belong to the entry.
  const backing = new Uint8Array(64);
  for (let i = 0; i < backing.length; i++) backing[i] = 0xa0 + (i % 16);
  const view = backing.subarray(10, 20);
  const big = new Uint8Array(70_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 0xff;

  const log: Entry[] = [
    entry(1, 1, new Uint8Array(0), "noop"),
    entry(2, 1, allBytes),
    entry(3, 1, new Uint8Array(0), "normal"),
    entry(4, 2, new Uint8Array([0])),
    entry(5, 2, descending),
    entry(6, 2, view),
    entry(7, 3, new Uint8Array(0), "noop"),
    entry(8, 3, big),
    entry(9, 3, new Uint8Array([0, 0, 0, 255, 0])),
  ];
  s.persist({ term: 3, vote: 1, commit: 0 }, log);
  check.state(s, { term: 3, vote: 1, commit: 0 }, log, "after persisting entries with varied data");
  for (const e of log) {
    check.entries(s.entries(e.index, e.index + 1, NO_LIMIT), [e], `entries(${e.index}, ${e.index + 1})`);
  }
});

const largeBatch = defineCase("a batch of 10,000 entries round-trips", (s, check) => {
  const n = 10_000;
  const log: Entry[] = [];
  for (let i = 1; i <= n; i++) {
    const term = 1 + Math.floor((i - 1) / 1000);
    log.push(entry(i, term, ascii(`entry-${i}`), i % 1000 === 1 ? "noop" : "normal"));
  }
  const hs: HardState = { term: 10, vote: 2, commit: 5000 };
  s.persist(hs, log);
  check.state(s, hs, log, "after persisting 10,000 entries");
  check.entries(s.entries(4990, 5011, NO_LIMIT), log.slice(4989, 5010), "entries(4990, 5011)");
  const hundred = totalSize(log.slice(0, 100));
  check.entries(s.entries(1, n + 1, hundred), log.slice(0, 100), "entries(1, 10001) with maxBytes = the size of 100");
});

function snapshotOf(index: number, term: number, size = 32): Snapshot {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 13 + i * 7) & 0xff;
  return { meta: { index, term }, data };
}

const noSnapshot = defineCase("a new storage has no snapshot", (s, check) => {
  check.isTrue(s.snapshotMeta() === undefined, "snapshotMeta() of a new storage must be undefined");
  check.isTrue(s.snapshot() === undefined, "snapshot() of a new storage must be undefined");
  check.throws(() => s.compact(1), "compact(1) with no snapshot", RangeError);
});

const snapshotThenCompact = defineCase("a snapshot of a held entry keeps the log; compact() trims the prefix", (s, check) => {
  const hs: HardState = { term: 3, vote: 1, commit: 8 };
  const log = run(1, [1, 1, 2, 2, 2, 3, 3, 3, 3, 3]);
  s.persist(hs, log);
  const snap = snapshotOf(5, 2);
  s.saveSnapshot(snap);
  check.snapshot(s.snapshot(), snap, "snapshot() after saveSnapshot(5)");
  check.equal(s.snapshotMeta()?.index, 5, "snapshotMeta().index");
  check.state(s, hs, log, "after a snapshot at 5 (the log is kept)");

  s.compact(3);
  check.compactedLog(s, { index: 3, term: 2 }, log.slice(3), "after compact(3) (behind the snapshot)");
  s.compact(5);
  check.compactedLog(s, { index: 5, term: 2 }, log.slice(5), "after compact(5)");
  s.compact(4);
  check.compactedLog(s, { index: 5, term: 2 }, log.slice(5), "after compact(4) (already compacted: no change)");
  check.hardState(s.hardState(), hs, "hardState() after compaction");

  check.throws(() => s.persist(undefined, run(5, [4])), "persist of entry 5, below firstIndex 6", RangeError);
  check.compactedLog(s, { index: 5, term: 2 }, log.slice(5), "after the rejected persist below firstIndex");

  const more = run(9, [4, 4, 4], "n");
  s.persist(undefined, more);
  check.compactedLog(s, { index: 5, term: 2 }, [...log.slice(5, 8), ...more], "after overwriting from 9 past the compaction");
});

const compactBeyondSnapshot = defineCase("compact() beyond the latest snapshot throws and changes nothing", (s, check) => {
  const log = run(1, [1, 1, 1, 1, 1, 1]);
  s.persist(undefined, log);
  s.saveSnapshot(snapshotOf(3, 1));
  check.throws(() => s.compact(4), "compact(4) with a snapshot at 3", RangeError);
  check.state(s, EMPTY_HARD_STATE, log, "after the rejected compact(4)");
});

const snapshotReplacesLog = defineCase("a snapshot the log does not hold replaces the log", (s, check) => {
  const log = run(1, [1, 1, 1, 1, 1]);
  s.persist({ term: 2, vote: 0, commit: 3 }, log);
  // Past the end of the log.
  const ahead = snapshotOf(8, 2);
  s.saveSnapshot(ahead);
  check.snapshot(s.snapshot(), ahead, "snapshot() after a snapshot past the log");
  check.compactedLog(s, { index: 8, term: 2 }, [], "after a snapshot at 8 past a log ending at 5");
  check.throws(() => s.persist(undefined, run(7, [2])), "persist of entry 7 inside the snapshot", RangeError);
  const after = run(9, [3, 3], "m");
  s.persist(undefined, after);
  check.compactedLog(s, { index: 8, term: 2 }, after, "after appending 9..10 after the snapshot");

  // Inside the log but with another term: the log disagrees with it, so it goes too.
  const conflicting = snapshotOf(10, 4);
  s.saveSnapshot(conflicting);
  check.compactedLog(s, { index: 10, term: 4 }, [], "after a snapshot at 10 whose term differs from entry 10's");
});

const olderSnapshotRefused = defineCase("an older snapshot is refused and the latest kept", (s, check) => {
  s.persist(undefined, run(1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
  const latest = snapshotOf(8, 1);
  s.saveSnapshot(latest);
  check.throws(() => s.saveSnapshot(snapshotOf(6, 1)), "saveSnapshot(6) after saveSnapshot(8)", RangeError);
  check.snapshot(s.snapshot(), latest, "snapshot() after the refused older one");
  check.equal(s.lastIndex(), 10, "lastIndex() after the refused older snapshot");
});

const snapshotData = defineCase("snapshot data round-trips exactly, empty or large", (s, check) => {
  const empty: Snapshot = { meta: { index: 1, term: 1 }, data: new Uint8Array(0) };
  s.saveSnapshot(empty);
  check.snapshot(s.snapshot(), empty, "an empty snapshot");
  const big = snapshotOf(2, 1, 1_000_000);
  s.saveSnapshot(big);
  check.snapshot(s.snapshot(), big, "a 1 MB snapshot");
});

function configEntry(index: number, term: number, ids: number[]): Entry {
  const membership: Membership = { members: ids.map((id) => ({ id, role: "voter", address: `10.0.0.${id}:5000` })) };
  return { index, term, type: "config", data: encodeMembership(membership) };
}

const configEntriesTracked = defineCase("configEntries() lists the config entries still in the log", (s, check) => {
  const c2 = configEntry(2, 1, [1, 2]);
  const c4 = configEntry(4, 1, [1, 2, 3]);
  s.persist(undefined, [...run(1, [1]), c2, ...run(3, [1]), c4, ...run(5, [1, 1])]);
  check.entries(s.configEntries(), [c2, c4], "configEntries() after appending two");
  const c5 = configEntry(5, 2, [1, 2, 3, 4]);
  s.persist(undefined, [c5]); // overwrites 5 and 6
  check.entries(s.configEntries(), [c2, c4, c5], "configEntries() after overwriting from 5 with one");
  s.persist(undefined, run(4, [3])); // overwrites 4 and 5: both config entries go
  check.entries(s.configEntries(), [c2], "configEntries() after overwriting both");
  const withMembership: Snapshot = {
    meta: { index: 3, term: 1, membership: { members: [{ id: 1, role: "voter", address: "a" }, { id: 7, role: "learner", address: "b" }] } },
    data: new Uint8Array([1, 2, 3]),
  };
  s.saveSnapshot(withMembership);
  check.snapshot(s.snapshot(), withMembership, "snapshot() with a membership");
  check.equal(showMembership(s.snapshotMeta()?.membership), showMembership(withMembership.meta.membership), "snapshotMeta().membership");
  s.compact(3);
  check.entries(s.configEntries(), [], "configEntries() after compacting the one left");
});

/** Every case, in a stable order. Each uses a fresh storage from `make`. */
export const storageConformanceCases: readonly StorageConformanceCase[] = [
  emptyStorage,
  hardStateAlone,
  appendAndRead,
  maxBytes,
  outOfRange,
  conflictOverwrite,
  gap,
  nonContiguous,
  hardStateAndEntries,
  dataRoundTrip,
  largeBatch,
  noSnapshot,
  snapshotThenCompact,
  compactBeyondSnapshot,
  snapshotReplacesLog,
  olderSnapshotRefused,
  snapshotData,
  configEntriesTracked,
];

/**
 * Register every case as a test in `describe(name)`. `make` must return a new, empty storage
 * on each call (for example a SQLite storage on a fresh temporary file).
 *
 *   import { describe, it } from "vitest";
 *   defineStorageConformanceSuite("SqliteStorage", () => openTemp(), { describe, it });
 */
export function defineStorageConformanceSuite(
  name: string,
  make: () => Storage | Promise<Storage>,
  fns: TestFunctions,
): void {
  fns.describe(name, () => {
    for (const c of storageConformanceCases) {
      fns.it(c.name, async () => {
        await c.run(make);
      });
    }
  });
}
