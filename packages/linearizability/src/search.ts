/**
 * The just-in-time linearizability search (Wing & Gong, with Lowe's improvements, memoized as
 * in Porcupine) for one key, whose model is a single register: put sets it, delete empties it,
 * get must read what it holds. Depth-first; bfs.ts explores the same moves breadth-first.
 *
 * The history becomes a time-ordered list of events, a call and a return per operation (at
 * equal times calls come first, so touching intervals count as concurrent). Walking the list
 * from the front, the search tries to linearize each operation whose call it meets; it may
 * pick any of them, but must have linearized an operation before passing its return. To
 * linearize is to apply the operation to the register (a get whose output differs fails) and
 * to unlink its two events, restarting from the front. Meeting a return whose operation is not
 * yet linearized means the current order is a dead end: take back the last operation and try
 * the next candidate after it. A configuration (set of linearized operations, register value)
 * already explored is skipped (see memo.ts).
 *
 * Operations with an infinite return (indeterminate writes, when not simplified) never force
 * anything; once every finite operation is placed, they can all go at the end (or never), so
 * the search succeeds as soon as no finite operation is left.
 *
 * Two prunings beyond Porcupine's:
 *
 * 1. A get that may go next and reads the register's current value can always go first. Take
 *    any completion from here that places it later and move it to the front: it reads the same
 *    value, it changes nothing so every other operation sees what it saw before, and no pending
 *    operation had to precede it in real time (it was called before any of them returned). So
 *    if placing such a get leads nowhere, nothing else from here does either, and the search
 *    backs up past this configuration instead of trying the other candidates. This turns k
 *    concurrent reads of one value from 2^k subsets into a straight line.
 *
 * 2. Optional operations (indeterminate writes, see prepare.ts) are not in the event list at
 *    all. In any linearization an indeterminate write of w is either followed by a read of w
 *    (before any other write) or by nothing that can see it, and then it can be removed. And
 *    it can be moved later, to just before that first read: it may take effect at any time
 *    after its call. So the search applies one only for a get of w that may go next and does
 *    not fit, immediately followed by that get; otherwise it never happened. Which of the
 *    writers of w: see tables.ts. Once no read of w is pending, the unspent writers of w are
 *    marked spent, so that configurations differing only there meet in the memo.
 */
import { ConfigMemo } from "./memo.js";
import { ABSENT, GET, PUT, type KeyProblem } from "./prepare.js";
import { nextOptional, optionalIndex, zobristKeys } from "./tables.js";

/** A shared allowance of steps and time for one `checkHistory` call. */
export interface Budget {
  readonly maxSteps: number;
  /** Clock reading after which the search gives up. */
  readonly deadline: number;
  readonly now: () => number;
  /** Steps spent so far (all keys). */
  steps: number;
}

export type SearchOutcome =
  | { readonly kind: "linearizable" }
  | {
      readonly kind: "not-linearizable";
      /** Search positions of a longest linearizable prefix, in order. */
      readonly prefix: Int32Array;
      /** Register value id after each prefix step. */
      readonly statesAfter: Int32Array;
    }
  | { readonly kind: "budget"; readonly why: "steps" | "time" };

/** How often (in steps) the clock is read. */
const CLOCK_EVERY = 1024;

export function searchKey(problem: KeyProblem, budget: Budget): SearchOutcome {
  const n = problem.searched.length;
  const finiteCount = problem.finiteCount;
  if (finiteCount === 0) return { kind: "linearizable" };
  const { kinds, valueIds, calls, returns, optional } = problem;

  // Events: call of operation i is 2i, its return 2i+1; HEAD and TAIL are sentinels (TAIL is
  // odd, so reaching it reads as "a return": a dead end). Optional operations have no events.
  const HEAD = 2 * n;
  const TAIL = 2 * n + 1;
  const events: number[] = [];
  for (let i = 0; i < n; i++) if (optional[i] === 0) events.push(2 * i, 2 * i + 1);
  const timeOf = (e: number): number => ((e & 1) === 0 ? calls[e >> 1]! : returns[e >> 1]!);
  events.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
  const next = new Int32Array(2 * n + 2);
  const prev = new Int32Array(2 * n + 2);
  let last = HEAD;
  for (const e of events) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = TAIL;
  prev[TAIL] = last;

  const opt = optionalIndex(problem);
  // Reads not yet linearized, by value: while a value has some, its optional writers matter.
  const pendingReads = new Int32Array(problem.valueTable.length);
  for (let i = 0; i < finiteCount; i++) {
    if (kinds[i] === GET) pendingReads[valueIds[i]!] = pendingReads[valueIds[i]!]! + 1;
  }

  const z1 = zobristKeys(n, 0x1234567);
  const z2 = zobristKeys(n, 0x7654321);
  const memo = new ConfigMemo(finiteCount, n);
  const bits = new Uint32Array(((n + 31) >>> 5) + 1);
  let h1 = 0;
  let h2 = 0;
  const has = (i: number): boolean => (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  const flip = (i: number): void => {
    bits[i >>> 5] = bits[i >>> 5]! ^ (1 << (i & 31));
    h1 ^= z1[i]!;
    h2 ^= z2[i]!;
  };

  // The linearization so far, as a stack.
  const stackOp = new Int32Array(n);
  const stackState = new Int32Array(n); // register value after the operation
  const stackP = new Int32Array(n); // p and hi before the operation, to restore on backtrack
  const stackHi = new Int32Array(n);
  const stackFor = new Int32Array(n); // for an optional write: the get it was applied for; else -1
  const stackMarked = new Int32Array(n); // optional writers marked spent by this step
  const marked = new Int32Array(Math.max(1, opt.list.length)); // those writers, as a stack
  let markedTop = 0;
  let depth = 0;
  let state = ABSENT;
  let p = 0; // lowest finite index not linearized
  let hi = 0; // one past the highest finite index linearized
  let finiteLeft = finiteCount;

  // A longest prefix seen, kept up to date incrementally: positions below `dirty` of the
  // stack have not changed since the last copy.
  const bestOp = new Int32Array(n);
  const bestState = new Int32Array(n);
  let bestDepth = 0;
  let dirty = 0;

  /** Linearizes operation i (unless that gives an explored configuration); true if it did. */
  const place = (i: number, newState: number, forGet: number): boolean => {
    flip(i);
    let marks = 0;
    const readOf = kinds[i] === GET ? valueIds[i]! : -1;
    if (readOf >= 0) {
      pendingReads[readOf] = pendingReads[readOf]! - 1;
      if (pendingReads[readOf] === 0) {
        for (let k = opt.start[readOf]!; k < opt.start[readOf + 1]!; k++) {
          const u = opt.list[k]!;
          if (!has(u)) {
            flip(u);
            marked[markedTop++] = u;
            marks++;
          }
        }
      }
    }
    let newP = p;
    let newHi = hi;
    if (i < finiteCount) {
      if (i + 1 > newHi) newHi = i + 1;
      if (i === newP) {
        newP++;
        while (newP < finiteCount && has(newP)) newP++;
      }
    }
    if (!memo.insertIfAbsent(h1, h2, newState, newP, newHi, bits)) {
      for (; marks > 0; marks--) flip(marked[--markedTop]!);
      if (readOf >= 0) pendingReads[readOf] = pendingReads[readOf]! + 1;
      flip(i);
      return false;
    }
    stackOp[depth] = i;
    stackState[depth] = newState;
    stackP[depth] = p;
    stackHi[depth] = hi;
    stackFor[depth] = forGet;
    stackMarked[depth] = marks;
    if (depth < dirty) dirty = depth;
    depth++;
    state = newState;
    p = newP;
    hi = newHi;
    if (i < finiteCount) finiteLeft--;
    if (optional[i] === 0) {
      // Unlink the call and its return.
      const c = 2 * i;
      next[prev[c]!] = next[c]!;
      prev[next[c]!] = prev[c]!;
      const r = c + 1;
      next[prev[r]!] = next[r]!;
      prev[next[r]!] = prev[r]!;
    }
    if (depth > bestDepth) {
      bestOp.set(stackOp.subarray(dirty, depth), dirty);
      bestState.set(stackState.subarray(dirty, depth), dirty);
      bestDepth = depth;
      dirty = depth;
    }
    return true;
  };

  /** For get g, which may go next but does not fit: the optional write to apply first, or -1. */
  const optionalFor = (g: number): number => {
    const v = valueIds[g]!;
    if (opt.start[v] === opt.start[v + 1]) return -1;
    // An operation may go next if called no later than the first pending return.
    let x = 2 * g;
    while ((x & 1) === 0) x = next[x]!;
    return nextOptional(opt, calls, v, returns[x >> 1]!, has);
  };

  let steps = budget.steps;
  const maxSteps = budget.maxSteps;
  let sinceClock = 0;
  let e = next[HEAD]!;

  try {
    for (;;) {
      if (steps >= maxSteps) return { kind: "budget", why: "steps" };
      steps++;
      if (++sinceClock === CLOCK_EVERY) {
        sinceClock = 0;
        if (budget.now() > budget.deadline) return { kind: "budget", why: "time" };
      }

      if ((e & 1) === 0) {
        // A call: try to linearize this operation now.
        const i = e >> 1;
        const kind = kinds[i]!;
        if (kind === GET) {
          if (valueIds[i] === state) {
            if (place(i, state, -1)) {
              if (finiteLeft === 0) return { kind: "linearizable" };
              e = next[HEAD]!;
            } else {
              e = TAIL; // explored before, so it failed; by pruning 1 so does this configuration
            }
            continue;
          }
          const u = optionalFor(i);
          if (u >= 0 && place(u, valueIds[i]!, i)) {
            e = 2 * i; // the get goes right after the write it needs
          } else {
            e = next[e]!;
          }
          continue;
        }
        if (place(i, kind === PUT ? valueIds[i]! : ABSENT, -1)) {
          if (finiteLeft === 0) return { kind: "linearizable" };
          e = next[HEAD]!;
        } else {
          e = next[e]!;
        }
        continue;
      }

      // A return whose operation is not linearized: a dead end. Take back the last step.
      if (depth === 0) {
        return {
          kind: "not-linearizable",
          prefix: bestOp.slice(0, bestDepth),
          statesAfter: bestState.slice(0, bestDepth),
        };
      }
      depth--;
      const i = stackOp[depth]!;
      p = stackP[depth]!;
      hi = stackHi[depth]!;
      state = depth > 0 ? stackState[depth - 1]! : ABSENT;
      flip(i);
      for (let m = stackMarked[depth]!; m > 0; m--) flip(marked[--markedTop]!);
      if (kinds[i] === GET) pendingReads[valueIds[i]!] = pendingReads[valueIds[i]!]! + 1;
      if (i < finiteCount) finiteLeft++;
      const g = stackFor[depth]!;
      if (g >= 0) {
        // The optional write applied for get g (the only one worth trying): go on after g.
        e = next[2 * g]!;
        continue;
      }
      // Relink its return, then its call (the reverse of unlinking), and go on after it;
      // after a get that fitted there is nothing else worth trying here (pruning 1).
      const c = 2 * i;
      const r = c + 1;
      next[prev[r]!] = r;
      prev[next[r]!] = r;
      next[prev[c]!] = c;
      prev[next[c]!] = c;
      e = kinds[i] === GET ? TAIL : next[c]!;
    }
  } finally {
    budget.steps = steps;
  }
}
