/** Lookup tables both searches build from a key's problem. */
import type { KeyProblem } from "./prepare.js";

/** Deterministic 32-bit keys for the Zobrist hashes (a splitmix-style generator). */
export function zobristKeys(n: number, seed: number): Int32Array {
  const keys = new Int32Array(n);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    keys[i] = z ^ (z >>> 16);
  }
  return keys;
}

/**
 * The optional writers grouped by the value they write (a delete writes ABSENT): those of
 * value v are `list[start[v]] .. list[start[v + 1] - 1]`, in call order.
 */
export interface OptionalIndex {
  readonly start: Int32Array;
  readonly list: Int32Array;
}

export function optionalIndex(problem: KeyProblem): OptionalIndex {
  const { optional, valueIds } = problem;
  const n = problem.searched.length;
  const valueCount = problem.valueTable.length;
  const start = new Int32Array(valueCount + 1);
  for (let i = 0; i < n; i++) {
    if (optional[i] === 1) start[valueIds[i]! + 1] = start[valueIds[i]! + 1]! + 1;
  }
  for (let v = 0; v < valueCount; v++) start[v + 1] = start[v + 1]! + start[v]!;
  const list = new Int32Array(start[valueCount]!);
  const fill = start.slice(0, valueCount);
  // Optional operations are numbered in call order, so each group comes out in call order.
  for (let i = 0; i < n; i++) {
    if (optional[i] === 1) {
      const v = valueIds[i]!;
      list[fill[v]!] = i;
      fill[v] = fill[v]! + 1;
    }
  }
  return { start, list };
}

/**
 * The optional writer of value v to spend next, or -1: spent writers are always the first
 * ones of their group (in call order), so this is the first not in `isSet`, if it was called
 * at or before `limit`.
 *
 * Why the first: the future limit (the first pending return) never decreases, so every
 * writer called at or before the current limit stays usable for every later read, and those
 * writers are interchangeable. What matters is only how many of them are spent. Keeping the
 * spent ones a prefix makes configurations that spent equally many the same configuration.
 */
export function nextOptional(
  index: OptionalIndex,
  calls: Float64Array,
  v: number,
  limit: number,
  isSet: (i: number) => boolean,
): number {
  const end = index.start[v + 1]!;
  let k = index.start[v]!;
  while (k < end && isSet(index.list[k]!)) k++;
  return k < end && calls[index.list[k]!]! <= limit ? index.list[k]! : -1;
}
