import type { NodeId } from "./types.js";

/** Expected failures are values, not exceptions: the caller decides what to do with them. */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** This node is not the leader; `leaderId` is the leader it knows of, if any. */
export interface NotLeader {
  readonly type: "NotLeader";
  readonly leaderId: NodeId | undefined;
}

/** Where a proposal landed in the log. It is not yet committed. */
export interface Proposed {
  readonly index: number;
  readonly term: number;
}

/** The leader is handing leadership to `to` and takes no proposals meanwhile (retry soon). */
export interface TransferInProgress {
  readonly type: "TransferInProgress";
  readonly to: NodeId;
}

/** Leadership cannot go to `to`: it is this node, or not a voter. */
export interface BadTransferTarget {
  readonly type: "BadTransferTarget";
  readonly to: NodeId;
}

/**
 * A membership change cannot be proposed yet: the previous one is not committed, or this
 * leader has not committed an entry of its own term. Retry shortly.
 */
export interface ConfChangePending {
  readonly type: "ConfChangePending";
  readonly reason: string;
}

/** The change does not apply to the current membership (adding a member twice, removing the last voter...). */
export interface BadConfChange {
  readonly type: "BadConfChange";
  readonly reason: string;
}

export type ProposeError = NotLeader | TransferInProgress;
export type ProposeResult = Result<Proposed, ProposeError>;

export type ReadIndexError = NotLeader;
export type ReadIndexResult = Result<void, ReadIndexError>;

export type ConfChangeError = NotLeader | TransferInProgress | ConfChangePending | BadConfChange;
export type ConfChangeResult = Result<Proposed, ConfChangeError>;

export type TransferError = NotLeader | BadTransferTarget;
export type TransferResult = Result<void, TransferError>;

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}
