/**
 * Sets of search configurations: (set of linearized operations, value of the register).
 * The depth-first search remembers every configuration it explored (reaching one again, by
 * another order, cannot lead anywhere new); the breadth-first search keeps one level at a time.
 *
 * A set is stored compactly and exactly. Searched operations are numbered in call order, the
 * ones that must be linearized by a finite return first (indices 0..finite-1), then the rest
 * (the "tail": optional and unbounded indeterminate writes). Among the finite ones, with
 * p = the lowest index not linearized and hi = one past the highest linearized, every index
 * below p is in the set and none at or above hi, so the set is (p, hi, the bit words spanning
 * [p, hi)) plus the words of the tail. With bounded concurrency [p, hi) is short. Zobrist
 * hashes (a random 64 bits per operation, XORed together) find candidates quickly; equality is
 * then checked on the stored words, so a hash collision can never merge two configurations.
 *
 * Entries live in one growable Int32Array, in insertion order, each
 * [chain link, hash, second hash, state, p, hi, payload..., window words..., tail words...].
 */

const NIL = -1;
const FIXED = 6; // chain link, hash, second hash, state, p, hi

/** Spreads a small integer (the register's value id) over 32 bits. */
export function mixState(state: number): number {
  let x = Math.imul(state + 1, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  return x ^ (x >>> 13);
}

function windowWordsOf(p: number, hi: number): number {
  return hi > p ? ((hi - 1) >>> 5) - (p >>> 5) + 1 : 0;
}

export class ConfigMemo {
  private buckets: Int32Array;
  private mask: number;
  private arena: Int32Array;
  private used = 0;
  private count = 0;
  private readonly header: number;
  private readonly tailStart: number;
  private readonly tailWords: number;

  /**
   * @param finiteCount operations with a finite return (indices below it)
   * @param total all searched operations (indices from finiteCount are the tail)
   * @param payloadSlots extra integers stored with each entry
   */
  constructor(finiteCount: number, total: number, payloadSlots = 0) {
    this.header = FIXED + payloadSlots;
    if (total > finiteCount) {
      this.tailStart = finiteCount >>> 5;
      this.tailWords = ((total - 1) >>> 5) - this.tailStart + 1;
    } else {
      this.tailStart = 0;
      this.tailWords = 0;
    }
    this.buckets = new Int32Array(1 << 10).fill(NIL);
    this.mask = this.buckets.length - 1;
    this.arena = new Int32Array(1 << 12);
  }

  /** Configurations stored. */
  get size(): number {
    return this.count;
  }

  /** Forgets every configuration (keeping the memory, unless it grew far beyond the last use). */
  clear(): void {
    if (this.buckets.length > 4096 && this.buckets.length > 4 * this.count) {
      let size = 1 << 10;
      while (size < this.count * 2) size *= 2;
      this.buckets = new Int32Array(size);
      this.mask = this.buckets.length - 1;
    }
    this.buckets.fill(NIL);
    this.used = 0;
    this.count = 0;
  }

  /**
   * Stores the configuration and returns true, or returns false if it was already stored.
   * `h1`, `h2` are the set's Zobrist hashes; `bits` its bit words.
   */
  insertIfAbsent(h1: number, h2: number, state: number, p: number, hi: number, bits: Uint32Array): boolean {
    return this.add(h1, h2, state, p, hi, bits) !== NIL;
  }

  /** Whether the configuration is stored. */
  contains(h1: number, h2: number, state: number, p: number, hi: number, bits: Uint32Array): boolean {
    return this.find(h1, h2, state, p, hi, bits) !== NIL;
  }

  /** The entry holding the configuration, or -1. */
  find(h1: number, h2: number, state: number, p: number, hi: number, bits: Uint32Array): number {
    const k = (h1 ^ mixState(state)) | 0;
    const lo = p >>> 5;
    const windowWords = windowWordsOf(p, hi);
    const arena = this.arena;
    for (let e = this.buckets[k & this.mask]!; e !== NIL; e = arena[e]!) {
      if (
        arena[e + 1] === k &&
        arena[e + 2] === (h2 | 0) &&
        arena[e + 3] === state &&
        arena[e + 4] === p &&
        arena[e + 5] === hi &&
        this.sameWords(e + this.header, bits, lo, windowWords)
      ) {
        return e;
      }
    }
    return NIL;
  }

  /** Stores the configuration and returns its entry, or returns -1 if it was already stored. */
  add(h1: number, h2: number, state: number, p: number, hi: number, bits: Uint32Array): number {
    if (this.find(h1, h2, state, p, hi, bits) !== NIL) return NIL;
    const k = (h1 ^ mixState(state)) | 0;
    const lo = p >>> 5;
    const windowWords = windowWordsOf(p, hi);
    const size = this.header + windowWords + this.tailWords;
    if (this.used + size > this.arena.length) {
      const grown = new Int32Array(Math.max(this.arena.length * 2, this.used + size));
      grown.set(this.arena.subarray(0, this.used));
      this.arena = grown;
    }
    if (this.count >= this.buckets.length) this.rehash(this.buckets.length * 2);
    const arena = this.arena;
    const at = this.used;
    const slot = k & this.mask;
    arena[at] = this.buckets[slot]!;
    arena[at + 1] = k;
    arena[at + 2] = h2 | 0;
    arena[at + 3] = state;
    arena[at + 4] = p;
    arena[at + 5] = hi;
    for (let s = FIXED; s < this.header; s++) arena[at + s] = 0;
    const words = at + this.header;
    for (let i = 0; i < windowWords; i++) arena[words + i] = bits[lo + i]! | 0;
    const tailAt = words + windowWords;
    for (let i = 0; i < this.tailWords; i++) arena[tailAt + i] = bits[this.tailStart + i]! | 0;
    this.buckets[slot] = at;
    this.used += size;
    this.count++;
    return at;
  }

  // Walking the entries in insertion order: for (let at = 0; at < set.end; at = set.after(at)).

  /** One past the last entry. */
  get end(): number {
    return this.used;
  }

  /** The entry after `at`. */
  after(at: number): number {
    const arena = this.arena;
    return at + this.header + windowWordsOf(arena[at + 4]!, arena[at + 5]!) + this.tailWords;
  }

  stateAt(at: number): number {
    return this.arena[at + 3]!;
  }

  pAt(at: number): number {
    return this.arena[at + 4]!;
  }

  hiAt(at: number): number {
    return this.arena[at + 5]!;
  }

  h1At(at: number): number {
    return this.arena[at + 1]! ^ mixState(this.arena[at + 3]!);
  }

  h2At(at: number): number {
    return this.arena[at + 2]!;
  }

  payloadAt(at: number, slot: number): number {
    return this.arena[at + FIXED + slot]!;
  }

  setPayload(at: number, slot: number, value: number): void {
    this.arena[at + FIXED + slot] = value;
  }

  /** Writes the entry's stored words into `bits` (which must be zero there). */
  load(at: number, bits: Uint32Array): void {
    const arena = this.arena;
    const p = arena[at + 4]!;
    const windowWords = windowWordsOf(p, arena[at + 5]!);
    const lo = p >>> 5;
    const words = at + this.header;
    for (let i = 0; i < windowWords; i++) bits[lo + i] = bits[lo + i]! | arena[words + i]!;
    const tailAt = words + windowWords;
    for (let i = 0; i < this.tailWords; i++) {
      bits[this.tailStart + i] = bits[this.tailStart + i]! | arena[tailAt + i]!;
    }
  }

  /** Zeroes in `bits` the words `load` wrote. */
  unload(at: number, bits: Uint32Array): void {
    const p = this.arena[at + 4]!;
    const windowWords = windowWordsOf(p, this.arena[at + 5]!);
    bits.fill(0, p >>> 5, (p >>> 5) + windowWords);
    bits.fill(0, this.tailStart, this.tailStart + this.tailWords);
  }

  /**
   * Whether entries a and b hold the same operations below `finiteCount` (the ones that must
   * be linearized): same p, hi and window bits.
   */
  sameFinitePart(a: number, b: number, finiteCount: number): boolean {
    const arena = this.arena;
    const p = arena[a + 4]!;
    const hi = arena[a + 5]!;
    if (arena[b + 4] !== p || arena[b + 5] !== hi) return false;
    const windowWords = windowWordsOf(p, hi);
    const lo = p >>> 5;
    const wa = a + this.header;
    const wb = b + this.header;
    for (let i = 0; i < windowWords; i++) {
      let diff = arena[wa + i]! ^ arena[wb + i]!;
      // The word holding index finiteCount also holds tail bits: compare only below it.
      if (lo + i === finiteCount >>> 5) diff &= (1 << (finiteCount & 31)) - 1;
      if (diff !== 0) return false;
    }
    return true;
  }

  /** How many tail bits entry a has set. */
  tailCount(a: number): number {
    const arena = this.arena;
    const ta = a + this.header + windowWordsOf(arena[a + 4]!, arena[a + 5]!);
    let count = 0;
    for (let i = 0; i < this.tailWords; i++) {
      let x = arena[ta + i]! >>> 0;
      x = x - ((x >>> 1) & 0x55555555);
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      count += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    }
    return count;
  }

  /** Whether every tail bit of entry a is also set in entry b. */
  tailWithin(a: number, b: number): boolean {
    const arena = this.arena;
    const ta = a + this.header + windowWordsOf(arena[a + 4]!, arena[a + 5]!);
    const tb = b + this.header + windowWordsOf(arena[b + 4]!, arena[b + 5]!);
    for (let i = 0; i < this.tailWords; i++) if ((arena[ta + i]! & ~arena[tb + i]!) !== 0) return false;
    return true;
  }

  private sameWords(at: number, bits: Uint32Array, lo: number, windowWords: number): boolean {
    const arena = this.arena;
    for (let i = 0; i < windowWords; i++) {
      if (arena[at + i] !== (bits[lo + i]! | 0)) return false;
    }
    at += windowWords;
    for (let i = 0; i < this.tailWords; i++) {
      if (arena[at + i] !== (bits[this.tailStart + i]! | 0)) return false;
    }
    return true;
  }

  /** Doubles the bucket array and relinks every entry. */
  private rehash(bucketCount: number): void {
    this.buckets = new Int32Array(bucketCount).fill(NIL);
    this.mask = bucketCount - 1;
    const arena = this.arena;
    for (let at = 0; at < this.used; at = this.after(at)) {
      const slot = arena[at + 1]! & this.mask;
      arena[at] = this.buckets[slot]!;
      this.buckets[slot] = at;
    }
  }
}
