export { ConfigError, resolveConfig, type RaftConfig, type ResolvedConfig, type TestingBugs } from "./config.js";
export { entrySize, ENTRY_OVERHEAD_BYTES, limitSize, type Entry, type EntryType } from "./entry.js";
export type { Logger } from "./logger.js";
export { MemoryStorage } from "./memory-storage.js";
export {
  applyConfChange,
  bootstrapMembership,
  decodeMembership,
  describeMembership,
  EMPTY_MEMBERSHIP,
  encodeMembership,
  findMember,
  isVoter,
  voterIds,
  type ConfChange,
  type Member,
  type MemberRole,
  type Membership,
} from "./membership.js";
export {
  isResponse,
  type AppendEntries,
  type AppendEntriesResponse,
  type Heartbeat,
  type HeartbeatResponse,
  type InstallSnapshot,
  type InstallSnapshotResponse,
  type Message,
  type MessageType,
  type TimeoutNow,
  type VoteRequest,
  type VoteResponse,
} from "./messages.js";
export type { RaftObserver, StepDownReason } from "./observer.js";
export { majority, quorumValue } from "./quorum.js";
export type { ReadState } from "./raft.js";
export { RaftNode, type NodeStatus, type Ready } from "./raft-node.js";
export {
  err,
  ok,
  type BadConfChange,
  type BadTransferTarget,
  type ConfChangeError,
  type ConfChangePending,
  type ConfChangeResult,
  type NotLeader,
  type Proposed,
  type ProposeError,
  type ProposeResult,
  type ReadIndexError,
  type ReadIndexResult,
  type Result,
  type TransferError,
  type TransferInProgress,
  type TransferResult,
} from "./results.js";
export { SeededRng, type Rng } from "./rng.js";
export type { LogStorage, Snapshot, SnapshotMeta, Storage } from "./storage.js";
export { EMPTY_HARD_STATE, hardStateEqual, NONE, type HardState, type NodeId, type Role, type SoftState } from "./types.js";
