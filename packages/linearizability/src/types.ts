/**
 * The history format and the checker's result types.
 *
 * A history is a flat list of client operations on a key-value map. Each operation records
 * when the client invoked it (`call`) and when the answer arrived (`return`), on one monotonic
 * clock shared by every client of the history.
 */

/** A value stored under a key. Compared with `===` (so `"1"` and `1` are different values). */
export type KvValue = string | number;

/** Who issued an operation. Only used in reports: the checker does not rely on it. */
export type ClientId = string | number;

/** The three operations of the key-value map. */
export type OpKind = "put" | "get" | "delete";

/**
 * How an operation ended:
 * - `ok`: answered; for a get, `output` holds what it read.
 * - `fail`: definitely not applied (for example a 4xx, or a 503 before anything was proposed).
 *   The checker drops it.
 * - `unknown` (alias `info`, as Jepsen calls it): timed out or the connection was lost, so it
 *   may or may not have taken effect, at any time after its call. The checker treats its
 *   return time as +Infinity whatever `return` says; an indeterminate get is dropped, since a
 *   read has no effect.
 */
export type OpStatus = "ok" | "fail" | "unknown" | "info";

/** One operation of a client history. */
export interface KvOperation {
  readonly clientId: ClientId;
  readonly op: OpKind;
  readonly key: string;
  /** The value written, for a put (required there; ignored for get and delete). */
  readonly value?: KvValue | undefined;
  /** What an `ok` get read: the value, or `null`/`undefined` if the key was absent. */
  readonly output?: KvValue | null | undefined;
  /** When the client invoked the operation. */
  readonly call: number;
  /**
   * When the answer arrived. Required (finite, >= call) for `ok` and `fail`; ignored for
   * `unknown`/`info`, which are modelled as returning at +Infinity.
   */
  readonly return: number;
  readonly status: OpStatus;
}

/** An operation of the checked history, with its position in the array given to the checker. */
export interface OperationRef {
  /** Index of the operation in the history array passed to `checkHistory`. */
  readonly index: number;
  readonly op: KvOperation;
}

/** How the checker treated one operation of a key's sub-history. */
export type Treatment =
  /** Checked, with its recorded interval. */
  | "checked"
  /**
   * An indeterminate write, checked as "may take effect at any time after its call, or never"
   * (its return is +Infinity). With `reduceIndeterminate` off, every indeterminate write.
   */
  | "checked-indeterminate"
  /**
   * An indeterminate write whose value some read observed, and which no other operation
   * writes: it must have taken effect before the earliest such read returned, so it is checked
   * with that as its return time (`effectiveReturn`).
   */
  | "checked-indeterminate-bounded"
  /**
   * Any other indeterminate write that a read might have seen: it may take effect at any time
   * after its call, or never. The search applies it only just before a read that needs its
   * value (see the README). `effectiveReturn` is the last return of a read of its value, after
   * which nothing could tell whether it happened.
   */
  | "checked-indeterminate-optional"
  /** Dropped: status `fail`. */
  | "dropped-failed"
  /** Dropped: an indeterminate get (a read has no effect). */
  | "dropped-indeterminate-read"
  /**
   * Dropped: an indeterminate write whose value no read returning after its call observed.
   * Whether it happened or not, no read can tell, so "it never happened" is as good as any
   * other placement.
   */
  | "dropped-unobserved-write";

/** One operation of a key's sub-history, as the checker saw it. */
export interface SubHistoryEntry extends OperationRef {
  readonly treatment: Treatment;
  /** The return time the checker used (+Infinity for an unbounded indeterminate write). */
  readonly effectiveReturn: number;
}

/** A step of a linearization: the operation and the value the key holds right after it. */
export interface LinearizedStep extends OperationRef {
  /** The key's value after this step (`undefined`: absent). */
  readonly stateAfter: KvValue | undefined;
}

/** An operation that could have come next after the longest prefix, and why it could not. */
export interface BlockedOperation extends OperationRef {
  readonly reason: string;
}

/** Why a key's sub-history is not linearizable. */
export interface FailureExplanation {
  readonly key: string;
  /** One paragraph: what could be linearized, and what could not be placed next. */
  readonly summary: string;
  /**
   * The longest linearizable prefix the search found, in linearization order (the search is
   * exhaustive, so no prefix places more of the operations that must be linearized). Every
   * operation not in it is still pending at that point (or, for an optional indeterminate
   * write, never happened so far).
   */
  readonly prefix: readonly LinearizedStep[];
  /** The key's value after the prefix (`undefined`: absent). */
  readonly stateAfterPrefix: KvValue | undefined;
  /**
   * The pending operation with the earliest return: whatever comes next must be linearized
   * before that time.
   */
  readonly deadline: SubHistoryEntry;
  /** Every pending operation invoked by the deadline, each with why it cannot come next. */
  readonly blocked: readonly BlockedOperation[];
  /** Every operation on the key, in call order, with how the checker treated it. */
  readonly subHistory: readonly SubHistoryEntry[];
}

/** Counters for one run of the checker. */
export interface CheckStats {
  /** Distinct keys in the history. */
  readonly keys: number;
  /** Keys whose sub-history was fully checked. */
  readonly keysChecked: number;
  /** Operations the search considered (after dropping failed and irrelevant ones). */
  readonly operations: number;
  /** Operations dropped before the search (see `Treatment`). */
  readonly dropped: number;
  /** Search steps taken (each is one attempt to place, or to take back, an operation). */
  readonly steps: number;
  /** Wall time spent, by the checker's clock. */
  readonly elapsedMs: number;
}

/** The verdict: linearizable, not linearizable (with the key and why), or out of budget. */
export type CheckResult =
  | { readonly ok: true; readonly stats: CheckStats }
  | {
      readonly ok: false;
      readonly key: string;
      readonly explanation: FailureExplanation;
      readonly stats: CheckStats;
    }
  | {
      readonly ok: "unknown";
      readonly reason: string;
      /** The key whose search ran out of budget. */
      readonly key: string;
      readonly stats: CheckStats;
    };

/** A monotonic clock in milliseconds. */
export type Clock = () => number;

/** Limits and knobs for `checkHistory`. */
export interface CheckOptions {
  /**
   * The most search steps to spend, over all keys (default 50,000,000, a few seconds). A step
   * is one attempt to place or take back an operation (depth-first), or one configuration
   * expanded, child added or pair of configurations compared (breadth-first). When exceeded the
   * result is `{ ok: "unknown" }`, never a pass.
   */
  readonly maxSteps?: number;
  /** The most milliseconds to spend, over all keys (default: no limit). */
  readonly timeoutMs?: number;
  /** The clock for `timeoutMs` (default `performance.now`). */
  readonly now?: Clock;
  /**
   * Simplify indeterminate writes (default true): drop those whose value no read could have
   * observed; give those whose value a read observed and no other operation writes a deadline
   * (that read's return); apply the rest only just before a read that needs them. All are
   * exact (they change no verdict) and keep timed-out writes from multiplying the search
   * space; turning them off (every indeterminate write returns at +Infinity) is for testing.
   */
  readonly reduceIndeterminate?: boolean;
  /**
   * Which search to run (default "auto": depth-first with a small allowance, which settles
   * most histories quickly, then breadth-first, whose cost stays near (operations x
   * configurations per level) even when the history is not linearizable). Both are exact.
   */
  readonly strategy?: "auto" | "depth-first" | "breadth-first";
}

/** Thrown when a history is malformed (for example a put without a value). */
export class InvalidHistoryError extends Error {
  /** The index of the offending operation. */
  readonly index: number;

  constructor(index: number, message: string) {
    super(`operation #${index}: ${message}`);
    this.name = "InvalidHistoryError";
    this.index = index;
  }
}
