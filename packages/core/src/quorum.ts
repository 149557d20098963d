/** The smallest number of voters that forms a majority. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The largest value that at least a majority of `values` (one per voter) reach: for match
 * indexes, the highest index replicated on a majority.
 */
export function quorumValue(values: readonly number[]): number {
  if (values.length === 0) throw new Error("quorumValue of no voters");
  const sorted = [...values].sort((a, b) => b - a);
  return sorted[majority(values.length) - 1]!;
}

export type VoteOutcome = "won" | "lost" | "pending";

/** The result of an election given the votes granted and rejected so far. */
export function tallyVotes(voters: number, granted: number, rejected: number): VoteOutcome {
  const needed = majority(voters);
  if (granted >= needed) return "won";
  if (rejected > voters - needed) return "lost";
  return "pending";
}
