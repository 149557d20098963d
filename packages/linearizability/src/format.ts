/** Small text helpers shared by explanations and renderings. */
import type { KvOperation, KvValue, Treatment } from "./types.js";

/** A time as text: integers as they are, fractions to 3 decimals, +Infinity as ∞. */
export function formatTime(t: number): string {
  if (t === Infinity) return "∞";
  if (Number.isInteger(t)) return String(t);
  return String(Number(t.toFixed(3)));
}

/** A value as text: strings quoted (so "1" and 1 differ), absent as `absent`. */
export function describeValue(v: KvValue | null | undefined): string {
  if (v === undefined || v === null) return "absent";
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** The operation itself, e.g. `put("x", "1")` or `get("x") -> absent`. */
export function formatCall(op: KvOperation): string {
  const key = JSON.stringify(op.key);
  switch (op.op) {
    case "put":
      return `put(${key}, ${describeValue(op.value)})`;
    case "delete":
      return `delete(${key})`;
    case "get":
      return op.status === "ok" ? `get(${key}) -> ${describeValue(op.output)}` : `get(${key})`;
  }
}

function formatInterval(op: KvOperation): string {
  switch (op.status) {
    case "ok":
      return `[${formatTime(op.call)}, ${formatTime(op.return)}]`;
    case "fail":
      return `[${formatTime(op.call)}, ${formatTime(op.return)}] failed`;
    case "unknown":
    case "info":
      return `[${formatTime(op.call)}, ∞) ${op.status}`;
  }
}

/** One line for an operation: `client c1 put("x", "1") [0, 1]`. */
export function formatOperation(op: KvOperation): string {
  return `client ${String(op.clientId)} ${formatCall(op)} ${formatInterval(op)}`;
}

/** What a treatment means, for renderings. */
export function describeTreatment(treatment: Treatment, effectiveReturn: number): string {
  switch (treatment) {
    case "checked":
      return "";
    case "checked-indeterminate":
      return "may take effect any time after its call, or never";
    case "checked-indeterminate-bounded":
      return `a read saw its value: took effect by ${formatTime(effectiveReturn)}`;
    case "checked-indeterminate-optional":
      return `applied only if a read needs it (the last read of its value returns at ${formatTime(effectiveReturn)})`;
    case "dropped-failed":
      return "dropped: failed, never applied";
    case "dropped-indeterminate-read":
      return "dropped: indeterminate read";
    case "dropped-unobserved-write":
      return "dropped: indeterminate write no read observed";
  }
}
