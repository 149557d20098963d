import type { Entry } from "./entry.js";
import type { SnapshotMeta } from "./storage.js";
import type { NodeId } from "./types.js";

/**
 * Everything Raft nodes say to each other. A discriminated union on `type`: every switch over
 * it is exhaustive (the linter checks), so adding a message forces every handler to decide.
 *
 * `term` is always the sender's current term, except in a granted pre-vote response, which
 * carries the term the pre-candidate proposed (see VoteResponse).
 */
export type Message =
  | VoteRequest
  | VoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | Heartbeat
  | HeartbeatResponse
  | TimeoutNow
  | InstallSnapshot
  | InstallSnapshotResponse;

export type MessageType = Message["type"];

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/**
 * RequestVote (paper figure 2), or its pre-vote rehearsal (dissertation 9.6) when `preVote`.
 * A pre-vote asks "would you vote for me at `term`?" without anyone changing their term, so a
 * node returning from a partition cannot depose a healthy leader by inflating terms.
 */
export interface VoteRequest extends Envelope {
  readonly type: "VoteRequest";
  readonly preVote: boolean;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /**
   * Present (true) when the leader asked for this election (TimeoutNow, a leadership
   * transfer): voters then answer even inside their leader lease, since that leader is the
   * one stepping aside (dissertation 3.10).
   */
  readonly transfer?: true;
}

export interface VoteResponse extends Envelope {
  readonly type: "VoteResponse";
  readonly preVote: boolean;
  readonly granted: boolean;
}

/**
 * AppendEntries (paper figure 2). Entries follow (prevLogIndex, prevLogTerm); the receiver
 * accepts them only if its log holds that entry, which by induction makes the logs match.
 */
export interface AppendEntries extends Envelope {
  readonly type: "AppendEntries";
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  readonly leaderCommit: number;
}

/**
 * The answer to AppendEntries.
 * - success: the follower's log matches the leader's up to `matchIndex`.
 * - rejection: the follower's log does not hold (rejectedIndex, its term). The hint lets the
 *   leader skip a whole term per round trip: `conflictTerm` is the term the follower has at
 *   `rejectedIndex` (0 if its log is shorter) and `conflictIndex` the first index it holds of
 *   that term (or its last index + 1 when the log is shorter).
 */
export interface AppendEntriesResponse extends Envelope {
  readonly type: "AppendEntriesResponse";
  readonly success: boolean;
  readonly matchIndex: number;
  readonly rejectedIndex: number;
  readonly conflictTerm: number;
  readonly conflictIndex: number;
}

/**
 * The leader's keep-alive. Apart from AppendEntries so it needs no log check: `commit` is
 * min(leader commit, follower's match), which the follower's log is known to hold.
 * `readSeq` ties the answers to ReadIndex requests waiting for a round of confirmation.
 */
export interface Heartbeat extends Envelope {
  readonly type: "Heartbeat";
  readonly commit: number;
  readonly readSeq: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: "HeartbeatResponse";
  readonly readSeq: number;
  /**
   * The responder's commit index. A follower moves its commit index on a heartbeat only as
   * far as it has verified its log against this leader's (see Raft.leaderMatched); a leader
   * seeing one behind sends it an append, whose log check lets it catch up.
   */
  readonly commit: number;
}

/**
 * A leader handing over (dissertation 3.10): "campaign now". Sent once the target's log holds
 * everything the leader's does; the target starts a real election at once, without pre-vote.
 */
export interface TimeoutNow extends Envelope {
  readonly type: "TimeoutNow";
}

/**
 * One chunk of the leader's snapshot, for a follower that needs entries the leader has
 * compacted away. `data` holds the snapshot's bytes from `offset`; `done` marks the last chunk.
 * Chunks go one at a time, each answered; a lost one is sent again from the offset the
 * follower reports, so a transfer resumes instead of restarting.
 */
export interface InstallSnapshot extends Envelope {
  readonly type: "InstallSnapshot";
  readonly meta: SnapshotMeta;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/**
 * The answer to a chunk: `offset` is how many bytes of the snapshot at `index` the follower
 * holds (where the next chunk should start); `done` once it has installed (or already had)
 * everything up to `index`.
 */
export interface InstallSnapshotResponse extends Envelope {
  readonly type: "InstallSnapshotResponse";
  readonly index: number;
  readonly offset: number;
  readonly done: boolean;
}

/** Requests are sent by leaders and candidates; responses answer them. */
export function isResponse(m: Message): boolean {
  switch (m.type) {
    case "VoteResponse":
    case "AppendEntriesResponse":
    case "HeartbeatResponse":
    case "InstallSnapshotResponse":
      return true;
    case "VoteRequest":
    case "AppendEntries":
    case "Heartbeat":
    case "TimeoutNow":
    case "InstallSnapshot":
      return false;
  }
}
