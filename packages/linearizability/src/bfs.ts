/**
 * The breadth-first just-in-time search (Lowe's "JIT graph search"): the same configurations
 * and moves as the depth-first search (search.ts), explored one level at a time, where a
 * level holds every distinct configuration with the same number of operations linearized.
 *
 * Each configuration is visited once, as in the memoized depth-first search, but the order
 * matters for one pruning that the depth-first search can only apply in part: a configuration
 * that spent an optional (indeterminate) write is worse than the same configuration with it
 * unspent (whatever works from the first works from the second, leaving the write unused).
 * Both sit in the same level, so the worse one is dropped before it is expanded. Depth-first,
 * the worse one is often explored first, and on a history that fails, each timed-out write
 * whose value is read again can double the work for the rest of the history.
 *
 * The cost is about (levels x configurations per level) whatever the verdict, so it is
 * predictable; for histories that pass, the depth-first search is usually faster, as it stops
 * at the first complete linearization. check.ts runs depth-first first, with a small
 * allowance, then this.
 *
 * Moves, from a configuration: the candidates are the pending operations called no later
 * than the first pending return. A put or delete always applies. A get applies if it reads
 * the register's value; if one does, it is the only move tried (it can always go first, see
 * search.ts). A get that does not fit may be preceded by an optional write of its value (see
 * tables.ts for which one). Once no read of a value can be pending (the lowest pending index
 * is past its last read), all its optional writers are marked spent, so configurations that
 * differ only there are merged.
 */
import { ConfigMemo } from "./memo.js";
import { ABSENT, GET, PUT, type KeyProblem } from "./prepare.js";
import type { Budget, SearchOutcome } from "./search.js";
import { nextOptional, optionalIndex, zobristKeys } from "./tables.js";

const ID = 0; // payload: the configuration's id, for the path back
const DROPPED = 1; // payload: 1 if a better configuration in the same level makes it useless
const FINITE_HASH = 2; // payload: Zobrist hash of the finite (must-linearize) operations only

/** How often (in steps) the clock is read. */
const CLOCK_EVERY = 1024;

export function searchKeyBreadthFirst(problem: KeyProblem, budget: Budget): SearchOutcome {
  const n = problem.searched.length;
  const finiteCount = problem.finiteCount;
  if (finiteCount === 0) return { kind: "linearizable" };
  const { kinds, valueIds, calls, returns, optional } = problem;

  // The smallest return among finite operations from index i on.
  const suffixMinReturn = new Float64Array(finiteCount + 1);
  suffixMinReturn[finiteCount] = Infinity;
  for (let i = finiteCount - 1; i >= 0; i--) {
    suffixMinReturn[i] = Math.min(returns[i]!, suffixMinReturn[i + 1]!);
  }
  // Unbounded operations (no simplification): the tail after the optional ones, in call order.
  let unboundedStart = finiteCount;
  while (unboundedStart < n && optional[unboundedStart] === 1) unboundedStart++;

  const opt = optionalIndex(problem);
  const valueCount = problem.valueTable.length;
  // lastRead[i] = 1 if operation i is the last get of its value (in index order).
  const lastReadOf = new Int32Array(valueCount).fill(-1);
  for (let i = 0; i < finiteCount; i++) if (kinds[i] === GET) lastReadOf[valueIds[i]!] = i;
  const isLastRead = new Uint8Array(finiteCount);
  for (let v = 0; v < valueCount; v++) if (lastReadOf[v]! >= 0) isLastRead[lastReadOf[v]!] = 1;

  const z1 = zobristKeys(n, 0x1234567);
  const z2 = zobristKeys(n, 0x7654321);
  const bits = new Uint32Array(((n + 31) >>> 5) + 1);
  const has = (i: number): boolean => (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  const flip = (i: number): void => {
    bits[i >>> 5] = bits[i >>> 5]! ^ (1 << (i & 31));
  };

  // The path back: for configuration id, its parent's id, the operation placed, and the
  // optional write placed just before it (or -1).
  let parentOf = new Int32Array(1024);
  let opOf = new Int32Array(1024);
  let optOf = new Int32Array(1024);
  let ids = 1;
  parentOf[0] = -1;

  let current = new ConfigMemo(finiteCount, n, 3);
  let upcoming = new ConfigMemo(finiteCount, n, 3);
  current.add(0, 0, ABSENT, 0, 0, bits); // the empty configuration, id 0

  // Steps: expanding a configuration, adding a child, comparing two configurations.
  let steps = budget.steps;
  const maxSteps = budget.maxSteps;
  let sinceClock = 0;
  let outOfBudget: "steps" | "time" | undefined;
  /** Counts one step; false (and outOfBudget set) once the budget is spent. */
  const step = (): boolean => {
    if (steps >= maxSteps) {
      outOfBudget = "steps";
      return false;
    }
    steps++;
    if (++sinceClock === CLOCK_EVERY) {
      sinceClock = 0;
      if (budget.now() > budget.deadline) {
        outOfBudget = "time";
        return false;
      }
    }
    return true;
  };
  const candidates = new Int32Array(n);
  const marked = new Int32Array(Math.max(1, opt.list.length));

  // Expanding one configuration: its fields, loaded into `bits` while it is expanded.
  let parentId = 0;
  let p = 0;
  let hi = 0;
  let h1 = 0;
  let h2 = 0;
  let finiteHash = 0;

  /** Adds the configuration reached by placing u (optional, or -1) then i. True: all finite placed. */
  const addChild = (i: number, u: number, newState: number): boolean => {
    flip(i);
    let c1 = h1 ^ z1[i]!;
    let c2 = h2 ^ z2[i]!;
    if (u >= 0) {
      flip(u);
      c1 ^= z1[u]!;
      c2 ^= z2[u]!;
    }
    let newP = p;
    let newHi = hi;
    let marks = 0;
    if (i < finiteCount) {
      if (i + 1 > newHi) newHi = i + 1;
      if (i === newP) {
        newP++;
        while (newP < finiteCount && has(newP)) newP++;
        // Reads now all placed: their values' optional writers no longer matter.
        for (let k = p; k < newP; k++) {
          if (isLastRead[k] !== 1) continue;
          const v = valueIds[k]!;
          for (let x = opt.start[v]!; x < opt.start[v + 1]!; x++) {
            const w = opt.list[x]!;
            if (!has(w)) {
              flip(w);
              c1 ^= z1[w]!;
              c2 ^= z2[w]!;
              marked[marks++] = w;
            }
          }
        }
      }
    }
    const at = upcoming.add(c1, c2, newState, newP, newHi, bits);
    if (at >= 0) {
      if (ids === parentOf.length) {
        const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
          const b = new Int32Array(a.length * 2);
          b.set(a);
          return b;
        };
        parentOf = grow(parentOf);
        opOf = grow(opOf);
        optOf = grow(optOf);
      }
      parentOf[ids] = parentId;
      opOf[ids] = i;
      optOf[ids] = u;
      upcoming.setPayload(at, ID, ids++);
      upcoming.setPayload(at, FINITE_HASH, i < finiteCount ? finiteHash ^ z1[i]! : finiteHash);
    }
    while (marks > 0) flip(marked[--marks]!);
    if (u >= 0) flip(u);
    flip(i);
    return at >= 0 && newP === finiteCount;
  };

  try {
    for (;;) {
      upcoming.clear();
      for (let at = 0; at < current.end; at = current.after(at)) {
        if (current.payloadAt(at, DROPPED) === 1) continue;
        if (!step()) return { kind: "budget", why: outOfBudget ?? "steps" };
        parentId = current.payloadAt(at, ID);
        p = current.pAt(at);
        hi = current.hiAt(at);
        h1 = current.h1At(at);
        h2 = current.h2At(at);
        finiteHash = current.payloadAt(at, FINITE_HASH);
        const state = current.stateAt(at);
        current.load(at, bits);

        // Candidates: pending operations called no later than the first pending return.
        let limit = suffixMinReturn[hi]!;
        for (let i = p; i < hi; i++) if (!has(i) && returns[i]! < limit) limit = returns[i]!;
        let count = 0;
        let fitting = -1;
        for (let i = p; i < finiteCount && calls[i]! <= limit; i++) {
          if (has(i)) continue;
          if (kinds[i] === GET && valueIds[i] === state) {
            fitting = i;
            break;
          }
          candidates[count++] = i;
        }
        for (let j = unboundedStart; j < n && calls[j]! <= limit; j++) if (!has(j)) candidates[count++] = j;

        let done = false;
        if (fitting >= 0) {
          done = addChild(fitting, -1, state);
        } else {
          for (let c = 0; c < count && !done; c++) {
            if (!step()) {
              current.unload(at, bits);
              return { kind: "budget", why: outOfBudget ?? "steps" };
            }
            const i = candidates[c]!;
            const kind = kinds[i]!;
            if (kind === PUT) done = addChild(i, -1, valueIds[i]!);
            else if (kind === GET) {
              const u = nextOptional(opt, calls, valueIds[i]!, limit, has);
              if (u >= 0) done = addChild(i, u, valueIds[i]!);
            } else done = addChild(i, -1, ABSENT);
          }
        }
        current.unload(at, bits);
        if (done) return { kind: "linearizable" };
      }

      if (upcoming.size === 0) {
        // Nothing can be placed next: the current level holds the longest prefixes.
        let at = 0;
        while (current.payloadAt(at, DROPPED) === 1) at = current.after(at);
        return pathTo(current.payloadAt(at, ID));
      }
      if (!dropWorse(upcoming)) return { kind: "budget", why: outOfBudget ?? "steps" };
      const spare = current;
      current = upcoming;
      upcoming = spare;
    }
  } finally {
    budget.steps = steps;
  }

  /**
   * Marks configurations made useless by another of the level: the same finite operations
   * and value, with a strict subset of the tail spent. Whatever completes the first completes
   * the second, leaving the extra optional writes unused (or, without simplification, placing
   * the extra unbounded writes at the very end). Spent optional writers of a value are always
   * the first ones of their group, so "subset" is "no more spent of any value".
   */
  function dropWorse(level: ConfigMemo): boolean {
    if (n === finiteCount) return true; // nothing but finite operations
    const groups = new Map<number, number[]>();
    for (let at = 0; at < level.end; at = level.after(at)) {
      const key = (level.payloadAt(at, FINITE_HASH) ^ Math.imul(level.stateAt(at) + 1, 0x9e3779b1)) | 0;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [at]);
      else group.push(at);
    }
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      // Fewest spent first; each is compared with the ones kept so far (the minimal ones).
      const spent = new Map(group.map((at) => [at, level.tailCount(at)]));
      group.sort((a, b) => spent.get(a)! - spent.get(b)!);
      const kept: number[] = [];
      for (const a of group) {
        let worse = false;
        for (const b of kept) {
          if (!step()) return false;
          if (
            level.stateAt(a) === level.stateAt(b) &&
            level.sameFinitePart(a, b, finiteCount) &&
            level.tailWithin(b, a)
          ) {
            worse = true;
            break;
          }
        }
        if (worse) level.setPayload(a, DROPPED, 1);
        else kept.push(a);
      }
    }
    return true;
  }

  function pathTo(id: number): SearchOutcome {
    const reversed: number[] = [];
    for (let x = id; x > 0; x = parentOf[x]!) {
      reversed.push(opOf[x]!);
      if (optOf[x]! >= 0) reversed.push(optOf[x]!);
    }
    const prefix = Int32Array.from(reversed.reverse());
    const statesAfter = new Int32Array(prefix.length);
    let state = ABSENT;
    prefix.forEach((i, k) => {
      if (kinds[i] === PUT) state = valueIds[i]!;
      else if (kinds[i] !== GET) state = ABSENT;
      statesAfter[k] = state;
    });
    return { kind: "not-linearizable", prefix, statesAfter };
  }
}
