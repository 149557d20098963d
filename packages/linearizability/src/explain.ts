/**
 * Turning a failed search into an explanation: the longest linearizable prefix the search
 * found, the register's value after it, and every operation that could have come next with
 * the reason it could not.
 *
 * Because the search is exhaustive, no prefix places more of the operations that must be
 * linearized (without the indeterminate-write simplifications, no prefix is longer at all), and
 * every operation that could come next after it is a get that cannot be placed: a put or
 * delete always fits, which would give a longer prefix.
 */
import { ABSENT, DELETE, GET, PUT, type KeyProblem } from "./prepare.js";
import { describeValue, formatOperation, formatTime } from "./format.js";
import type { BlockedOperation, FailureExplanation, LinearizedStep, SubHistoryEntry } from "./types.js";

export function explainFailure(
  problem: KeyProblem,
  prefix: Int32Array,
  statesAfter: Int32Array,
): FailureExplanation {
  const { searched, valueTable, kinds, valueIds, calls, returns } = problem;
  const n = searched.length;
  const inPrefix = new Uint8Array(n);
  const steps: LinearizedStep[] = [];
  prefix.forEach((i, position) => {
    inPrefix[i] = 1;
    const entry = searched[i]!;
    steps.push({ index: entry.index, op: entry.op, stateAfter: valueTable[statesAfter[position]!] });
  });
  const state = prefix.length > 0 ? statesAfter[prefix.length - 1]! : ABSENT;

  // The pending operation that returns first; ties go to the earlier call. Optional
  // operations never have to be linearized, so they are not pending in this sense.
  const { optional } = problem;
  let deadline = -1;
  for (let i = 0; i < n; i++) {
    if (inPrefix[i] === 1 || optional[i] === 1) continue;
    if (deadline === -1 || returns[i]! < returns[deadline]! ||
        (returns[i] === returns[deadline] && calls[i]! < calls[deadline]!)) {
      deadline = i;
    }
  }
  if (deadline === -1 || returns[deadline] === Infinity) {
    throw new Error("internal error: a failed search must leave an operation with a finite return pending");
  }
  const deadlineTime = returns[deadline]!;

  // Where the register's current value came from, for the reasons.
  let stateWriter = -1;
  for (let k = prefix.length - 1; k >= 0; k--) {
    const kind = kinds[prefix[k]!]!;
    if (kind === PUT || kind === DELETE) {
      stateWriter = k;
      break;
    }
  }
  const holdsShort = `the key holds ${describeValue(valueTable[state])} here`;
  const holds = (): string => {
    const what = `the key holds ${describeValue(valueTable[state])}`;
    if (stateWriter === -1) return `${what} (nothing written yet)`;
    const w = searched[prefix[stateWriter]!]!;
    return `${what} (from ${formatOperation(w.op)}, step ${stateWriter + 1} of the prefix)`;
  };

  const blocked: BlockedOperation[] = [];
  for (let i = 0; i < n; i++) {
    if (inPrefix[i] === 1 || optional[i] === 1 || calls[i]! > deadlineTime) continue;
    const entry = searched[i]!;
    blocked.push({ index: entry.index, op: entry.op, reason: reasonFor(i) });
  }

  function reasonFor(i: number): string {
    if (kinds[i] !== GET) {
      // Unreachable for an exhaustive search (see the header), kept for safety.
      return "every continuation with it placed here was explored and fails";
    }
    const read = valueIds[i]!;
    const readText = describeValue(valueTable[read]);
    if (read === ABSENT) {
      return `it read ${readText}, but ${holdsShort}, and no pending delete begins by ${formatTime(deadlineTime)}`;
    }
    const writersLeft: number[] = [];
    let writtenAt = -1;
    let anyWriter = false;
    for (let j = 0; j < n; j++) {
      if (kinds[j] !== PUT || valueIds[j] !== read) continue;
      anyWriter = true;
      if (inPrefix[j] === 0) writersLeft.push(j);
    }
    for (let k = prefix.length - 1; k >= 0 && writtenAt === -1; k--) {
      const j = prefix[k]!;
      if (kinds[j] === PUT && valueIds[j] === read) writtenAt = k;
    }
    if (!anyWriter) {
      const droppedWriter = problem.subHistory.some(
        (s) => s.op.op === "put" && s.op.value === valueTable[read] && s.treatment === "dropped-failed",
      );
      return droppedWriter
        ? `it read ${readText}, which only a failed (never applied) put wrote; ${holdsShort}`
        : `it read ${readText}, which no put on this key ever wrote; ${holdsShort}`;
    }
    const parts = [`it read ${readText}, but ${holdsShort}`];
    if (writtenAt >= 0) parts.push(`${readText} was written at step ${writtenAt + 1} and overwritten since`);
    if (writersLeft.length > 0) {
      let earliest = Infinity;
      for (const j of writersLeft) earliest = Math.min(earliest, calls[j]!);
      const plural = writersLeft.length > 1;
      parts.push(
        `the ${plural ? "puts" : "put"} of ${readText} not yet applied ${plural ? "begin" : "begins"} at ` +
          `${formatTime(earliest)}, too late: the next step must happen by ${formatTime(deadlineTime)}`,
      );
    }
    return parts.join("; ");
  }

  const deadlineEntry: SubHistoryEntry = searched[deadline]!;
  const summary =
    `key ${JSON.stringify(problem.key)} is not linearizable: the longest linearizable prefix found ` +
    `has ${prefix.length} of its ${n} checked operations, after which ${holds()}. ` +
    `Something must take effect before ${formatOperation(deadlineEntry.op)} returns at ` +
    `${formatTime(deadlineTime)}, but ` +
    (blocked.length === 1
      ? "the only operation that could go next does not fit: "
      : `none of the ${blocked.length} operations that could go next fits: `) +
    blocked.map((b) => `${formatOperation(b.op)}: ${b.reason}`).join("; ") +
    ".";

  return {
    key: problem.key,
    summary,
    prefix: steps,
    stateAfterPrefix: valueTable[state],
    deadline: deadlineEntry,
    blocked,
    subHistory: problem.subHistory,
  };
}
