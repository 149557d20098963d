/**
 * From a raw history to one search problem per key: validate, split by key (each key is an
 * independent register, so a history is linearizable exactly when every key's sub-history is),
 * drop what cannot matter, and number values so the search works on small integers.
 */
import {
  InvalidHistoryError,
  type KvOperation,
  type KvValue,
  type OpKind,
  type OperationRef,
  type SubHistoryEntry,
  type Treatment,
} from "./types.js";

/** Operation kinds as the search encodes them. */
export const PUT = 0;
export const GET = 1;
export const DELETE = 2;

/** Value id 0 is "absent"; ids 1.. are the distinct values seen on the key. */
export const ABSENT = 0;

/** One key's sub-history, ready for the search. Arrays are indexed by search position. */
export interface KeyProblem {
  readonly key: string;
  /**
   * The searched operations: first those that must be linearized by a finite (effective)
   * return, in call order; then the optional indeterminate writes, in call order; then the
   * unbounded indeterminate writes (only when not simplifying), in call order.
   */
  readonly searched: readonly SubHistoryEntry[];
  /** How many of `searched` must be linearized by a finite return (they come first). */
  readonly finiteCount: number;
  readonly kinds: Uint8Array;
  /** Put: the value's id; get: the output's id (0 = absent); delete: 0. */
  readonly valueIds: Int32Array;
  readonly calls: Float64Array;
  readonly returns: Float64Array;
  /** 1 for an optional operation: applied only just before a read that needs its value. */
  readonly optional: Uint8Array;
  /** Value id -> value (`undefined` at id 0, absent). */
  readonly valueTable: readonly (KvValue | undefined)[];
  /** Every operation on the key, in call order, including dropped ones. */
  readonly subHistory: readonly SubHistoryEntry[];
  /** How many operations were dropped before the search. */
  readonly dropped: number;
}

const KINDS: ReadonlySet<string> = new Set<OpKind>(["put", "get", "delete"]);
const STATUSES: ReadonlySet<string> = new Set(["ok", "fail", "unknown", "info"]);

function isValue(v: unknown): v is KvValue {
  return typeof v === "string" || typeof v === "number";
}

function validate(op: KvOperation, index: number): void {
  if (typeof op !== "object" || op === null) throw new InvalidHistoryError(index, "not an object");
  if (!KINDS.has(op.op)) {
    throw new InvalidHistoryError(index, `op must be "put", "get" or "delete", got ${JSON.stringify(op.op)}`);
  }
  if (typeof op.key !== "string") throw new InvalidHistoryError(index, "key must be a string");
  if (!STATUSES.has(op.status)) {
    throw new InvalidHistoryError(
      index,
      `status must be "ok", "fail", "unknown" or "info", got ${JSON.stringify(op.status)}`,
    );
  }
  if (op.status === "fail") return; // dropped unread
  if (typeof op.call !== "number" || !Number.isFinite(op.call)) {
    throw new InvalidHistoryError(index, `call must be a finite number, got ${String(op.call)}`);
  }
  if (op.op === "put" && !isValue(op.value)) {
    throw new InvalidHistoryError(index, "a put needs a string or number value");
  }
  if (op.status === "ok") {
    if (typeof op.return !== "number" || !Number.isFinite(op.return)) {
      throw new InvalidHistoryError(index, `an ok operation needs a finite return, got ${String(op.return)}`);
    }
    if (op.return < op.call) {
      throw new InvalidHistoryError(index, `return ${op.return} is before call ${op.call}`);
    }
    if (op.op === "get" && op.output !== undefined && op.output !== null && !isValue(op.output)) {
      throw new InvalidHistoryError(index, "a get's output must be a string, a number, null or undefined");
    }
  }
}

function byCallThenIndex(a: OperationRef, b: OperationRef): number {
  return a.op.call - b.op.call || a.index - b.index;
}

/** Groups the history by key, validating every operation. Keys keep first-seen order. */
export function partitionByKey(history: readonly KvOperation[]): Map<string, OperationRef[]> {
  const byKey = new Map<string, OperationRef[]>();
  history.forEach((op, index) => {
    validate(op, index);
    let list = byKey.get(op.key);
    if (list === undefined) {
      list = [];
      byKey.set(op.key, list);
    }
    list.push({ index, op });
  });
  return byKey;
}

/** Builds the search problem for one key's operations. */
export function prepareKey(key: string, refs: readonly OperationRef[], reduce: boolean): KeyProblem {
  const ids = new Map<KvValue, number>();
  const valueTable: (KvValue | undefined)[] = [undefined];
  const idOf = (v: KvValue | null | undefined): number => {
    if (v === undefined || v === null) return ABSENT;
    let id = ids.get(v);
    if (id === undefined) {
      id = valueTable.length;
      ids.set(v, id);
      valueTable.push(v);
    }
    return id;
  };

  // What reads observed, and who writes what: the facts the reductions rest on.
  const earliestReadReturn = new Map<number, number>(); // value id -> min return of ok gets reading it
  const latestReadReturn = new Map<number, number>(); // value id -> max return of ok gets reading it
  const writers = new Map<number, number>(); // value id -> number of puts (any live status) writing it
  for (const { op } of refs) {
    if (op.status === "fail") continue;
    if (op.op === "get" && op.status === "ok") {
      const id = idOf(op.output);
      const seen = earliestReadReturn.get(id);
      if (seen === undefined || op.return < seen) earliestReadReturn.set(id, op.return);
      latestReadReturn.set(id, Math.max(latestReadReturn.get(id) ?? -Infinity, op.return));
    } else if (op.op === "put") {
      const id = idOf(op.value);
      writers.set(id, (writers.get(id) ?? 0) + 1);
    }
  }

  const subHistory: SubHistoryEntry[] = [];
  const finite: SubHistoryEntry[] = [];
  const optionalOps: SubHistoryEntry[] = [];
  const unbounded: SubHistoryEntry[] = [];
  let dropped = 0;
  const add = (ref: OperationRef, treatment: Treatment, effectiveReturn: number): void => {
    const entry: SubHistoryEntry = { index: ref.index, op: ref.op, treatment, effectiveReturn };
    subHistory.push(entry);
    switch (treatment) {
      case "checked":
      case "checked-indeterminate-bounded":
        finite.push(entry);
        break;
      case "checked-indeterminate-optional":
        optionalOps.push(entry);
        break;
      case "checked-indeterminate":
        unbounded.push(entry);
        break;
      case "dropped-failed":
      case "dropped-indeterminate-read":
      case "dropped-unobserved-write":
        dropped++;
        break;
    }
  };

  for (const ref of refs) {
    const { op } = ref;
    if (op.status === "fail") {
      add(ref, "dropped-failed", op.return);
    } else if (op.status === "ok") {
      add(ref, "checked", op.return);
    } else if (op.op === "get") {
      add(ref, "dropped-indeterminate-read", Infinity);
    } else if (!reduce) {
      add(ref, "checked-indeterminate", Infinity);
    } else {
      // An indeterminate write of w. Its effect can only be seen by a read of w linearized
      // after it and before the next write, and such a read returns after this call.
      // - No read of w returns after the call: nothing can tell whether it happened. Drop it.
      // - A read of w was seen and no other operation writes w: it did happen, before that read
      //   was linearized, so before the earliest such read returned. A deadline, as if ok.
      // - Otherwise it is optional: the search applies it only where a read of w needs it
      //   (see search.ts). Its effective return, the last read of w, is for reports only.
      const written = op.op === "put" ? idOf(op.value) : ABSENT;
      const firstRead = earliestReadReturn.get(written);
      const lastRead = latestReadReturn.get(written);
      if (firstRead === undefined || lastRead === undefined || lastRead < op.call) {
        add(ref, "dropped-unobserved-write", Infinity);
      } else if (op.op === "put" && writers.get(written) === 1 && firstRead >= op.call) {
        add(ref, "checked-indeterminate-bounded", firstRead);
      } else {
        add(ref, "checked-indeterminate-optional", lastRead);
      }
    }
  }

  subHistory.sort(byCallThenIndex);
  finite.sort(byCallThenIndex);
  optionalOps.sort(byCallThenIndex);
  unbounded.sort(byCallThenIndex);
  const searched = [...finite, ...optionalOps, ...unbounded];
  const n = searched.length;
  const kinds = new Uint8Array(n);
  const valueIds = new Int32Array(n);
  const calls = new Float64Array(n);
  const returns = new Float64Array(n);
  const optional = new Uint8Array(n);
  searched.forEach((entry, i) => {
    if (entry.treatment === "checked-indeterminate-optional") optional[i] = 1;
    const { op } = entry;
    switch (op.op) {
      case "put":
        kinds[i] = PUT;
        valueIds[i] = idOf(op.value);
        break;
      case "get":
        kinds[i] = GET;
        valueIds[i] = idOf(op.output);
        break;
      case "delete":
        kinds[i] = DELETE;
        valueIds[i] = ABSENT;
        break;
    }
    calls[i] = op.call;
    returns[i] = entry.effectiveReturn;
  });

  return {
    key,
    searched,
    finiteCount: finite.length,
    kinds,
    valueIds,
    calls,
    returns,
    optional,
    valueTable,
    subHistory,
    dropped,
  };
}
