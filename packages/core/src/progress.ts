import { Inflights } from "./inflights.js";
import type { Snapshot } from "./storage.js";

/**
 * How a leader replicates to one follower.
 * - probe: the leader does not know where the follower's log matches; it sends one
 *   AppendEntries at a time (one per heartbeat interval at most) and moves `next` back on each
 *   rejection, using the follower's hint.
 * - replicate: the follower has acknowledged an append; the leader streams entries
 *   optimistically, up to a window of messages in flight.
 * - snapshot: the follower needs entries the leader compacted away; the leader sends its
 *   snapshot in chunks, one at a time, and no appends until the follower has installed it.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Index of the next entry to send. */
  next: number;
  state: ProgressState = "probe";
  /** In probe state: an append is out and unanswered, so wait before sending another. */
  probeSent = false;
  /** Heard from this follower since the last check-quorum round. */
  recentActive = false;
  readonly inflights: Inflights;
  /** In snapshot state: the snapshot being sent, and how many of its bytes the follower last said it holds. */
  snapshot: Snapshot | undefined;
  snapshotOffset = 0;

  constructor(next: number, maxInflight: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    this.state = "probe";
    this.next = this.match + 1;
    this.probeSent = false;
    this.inflights.reset();
    this.snapshot = undefined;
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.state = "snapshot";
    this.probeSent = false;
    this.inflights.reset();
    this.snapshot = snapshot;
    this.snapshotOffset = 0;
  }

  becomeReplicate(): void {
    this.snapshot = undefined;
    this.state = "replicate";
    this.next = this.match + 1;
    this.probeSent = false;
    this.inflights.reset();
  }

  /** Whether the leader must hold further appends to this follower. */
  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }

  /** Record that an append carrying entries up to `lastIndex` was sent (if any entries). */
  sentEntries(lastIndex: number | undefined): void {
    if (this.state === "replicate") {
      if (lastIndex !== undefined) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else {
      this.probeSent = true;
    }
  }

  /** A success up to `index` arrived. Returns whether match moved. */
  maybeUpdate(index: number): boolean {
    this.probeSent = false;
    if (index <= this.match) return false;
    this.match = index;
    this.next = Math.max(this.next, index + 1);
    return true;
  }

  /**
   * A rejection of the append that followed `rejectedIndex` arrived; `hintNext` is where the
   * leader computed the logs may match from. Returns false for a stale rejection (an answer to
   * an older message), which must be ignored.
   */
  maybeDecrease(rejectedIndex: number, hintNext: number): boolean {
    if (this.state === "snapshot") return false; // an answer to an append from before the snapshot
    if (this.state === "replicate") {
      if (rejectedIndex <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (rejectedIndex !== this.next - 1) return false;
    this.next = Math.max(Math.min(rejectedIndex, hintNext), this.match + 1);
    this.probeSent = false;
    return true;
  }
}
