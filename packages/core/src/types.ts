/** A node's identity within a cluster. Positive integer; 0 is never a node. */
export type NodeId = number;

/** The absence of a node id (no vote cast, no leader known). */
export const NONE: NodeId = 0;

/** The roles a Raft node moves between. */
export type Role = "follower" | "pre-candidate" | "candidate" | "leader";

/**
 * The state Raft must persist before it answers anyone: a node that forgets its term or vote
 * after a crash could vote twice in one term. `commit` is persisted too so a restarted node
 * knows how much of its log it may apply without waiting for a leader.
 */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** Volatile state worth reporting when it changes (who leads, what role this node has). */
export interface SoftState {
  readonly role: Role;
  readonly leaderId: NodeId;
}
