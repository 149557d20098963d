import type { NodeId } from "./types.js";

/** Why a leader stopped leading. */
export type StepDownReason =
  /** It saw a newer term (another leader, or a candidate's vote request). */
  | "newer_term"
  /** Check-quorum: no contact with a majority for an election timeout. */
  | "lost_quorum"
  /** A membership change removing it committed. */
  | "removed";

/**
 * Protocol events, for metrics and tracing. Every method is optional and called synchronously
 * from inside the core, so implementations only count: no I/O, no throwing. The core stays
 * pure: it calls what it is given and reads nothing back.
 */
export interface RaftObserver {
  electionStarted?(kind: "pre-vote" | "vote", term: number): void;
  electionWon?(term: number): void;
  steppedDown?(reason: StepDownReason, term: number): void;
  /** An AppendEntries left for `peer` carrying `entries` entries (0 for a probe or commit update). */
  appendSent?(peer: NodeId, entries: number): void;
  /** `peer` rejected an append: its log did not match. */
  appendRejected?(peer: NodeId): void;
  /** A heartbeat left for `peer`. */
  heartbeatSent?(peer: NodeId): void;
  /** `peer` answered a heartbeat. */
  heartbeatAnswered?(peer: NodeId): void;
  readIndexRequested?(): void;
  /** A chunk of `bytes` bytes of the snapshot left for `peer` (a follower behind the compacted log). */
  snapshotChunkSent?(peer: NodeId, bytes: number): void;
  /** This node received a leader's whole snapshot ending at `index`; the next Ready installs it. */
  snapshotReceived?(index: number): void;
  /** This leader started handing leadership to `to`. */
  leadershipTransferStarted?(to: NodeId): void;
}
