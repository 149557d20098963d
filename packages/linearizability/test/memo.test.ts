import { describe, expect, it } from "vitest";
import { ConfigMemo } from "../src/memo.js";
import { seededRandom } from "./generate.js";

/** p (lowest finite index not set) and hi (one past the highest finite index set). */
function bounds(bits: Uint32Array, finite: number): { p: number; hi: number } {
  const has = (i: number): boolean => (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  let p = 0;
  while (p < finite && has(p)) p++;
  let hi = finite;
  while (hi > 0 && !has(hi - 1)) hi--;
  return { p, hi };
}

function setOf(indices: number[], n: number): Uint32Array {
  const bits = new Uint32Array(((n + 31) >>> 5) + 1);
  for (const i of indices) bits[i >>> 5] = bits[i >>> 5]! | (1 << (i & 31));
  return bits;
}

describe("ConfigMemo", () => {
  // The hashes only find candidates; equality is decided on the stored set. These tests give
  // every configuration the same hash, so only the exact comparison can tell them apart.
  const FINITE = 70;
  const N = 100; // indices 70..99 are the indeterminate tail

  it("tells apart sets that differ only inside the window, in the tail, or in the state", () => {
    const memo = new ConfigMemo(FINITE, N);
    const insert = (indices: number[], state: number): boolean => {
      const bits = setOf(indices, N);
      const { p, hi } = bounds(bits, FINITE);
      return memo.insertIfAbsent(7, 9, state, p, hi, bits);
    };
    const base = [0, 1, 2, 5, 40, 69];
    expect(insert(base, 1)).toBe(true);
    expect(insert(base, 1)).toBe(false);
    expect(insert(base, 2)).toBe(true);
    expect(insert([0, 1, 2, 6, 40, 69], 1)).toBe(true); // window differs
    expect(insert([...base, 75], 1)).toBe(true); // tail differs
    expect(insert([...base, 99], 1)).toBe(true);
    expect(insert([...base, 75], 1)).toBe(false);
    expect(insert([0, 1, 2, 3, 5, 40, 69], 1)).toBe(true); // p differs
    expect(insert([0, 1, 2, 5, 40], 1)).toBe(true); // hi differs
    expect(memo.size).toBe(7);
  });

  it("behaves as an exact set of (set, state) under constant hashes, through growth and rehashing", () => {
    const rnd = seededRandom(42);
    const memo = new ConfigMemo(FINITE, N);
    const reference = new Set<string>();
    for (let round = 0; round < 20_000; round++) {
      // Sets shaped like the search's: a full prefix, a few extras after it, a few tail bits.
      const prefix = Math.floor(rnd() * 60);
      const indices: number[] = [];
      for (let i = 0; i < prefix; i++) indices.push(i);
      for (let i = prefix + 1; i < Math.min(FINITE, prefix + 8); i++) if (rnd() < 0.3) indices.push(i);
      for (let i = FINITE; i < N; i++) if (rnd() < 0.05) indices.push(i);
      const state = Math.floor(rnd() * 3);
      const bits = setOf(indices, N);
      const { p, hi } = bounds(bits, FINITE);
      const id = `${state}:${indices.join(",")}`;
      const fresh = !reference.has(id);
      reference.add(id);
      const h = indices.length % 2; // a (very poor) hash of the set: two values for everything
      expect(memo.insertIfAbsent(h, h, state, p, hi, bits)).toBe(fresh);
    }
    expect(memo.size).toBe(reference.size);
  });

  it("works with no indeterminate tail", () => {
    const memo = new ConfigMemo(33, 33);
    const a = setOf([0, 32], 33);
    const b = setOf([0, 31], 33);
    expect(memo.insertIfAbsent(0, 0, 0, bounds(a, 33).p, bounds(a, 33).hi, a)).toBe(true);
    expect(memo.insertIfAbsent(0, 0, 0, bounds(b, 33).p, bounds(b, 33).hi, b)).toBe(true);
    expect(memo.insertIfAbsent(0, 0, 0, bounds(a, 33).p, bounds(a, 33).hi, a)).toBe(false);
  });
});
