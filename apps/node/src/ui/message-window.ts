import type { Message, MessageType } from "@raft-ts/core";

/** Messages shown one by one per window; the rest are only counted (docs/ui.md). */
export const MAX_SAMPLE = 16;

/** Every message type, in a fixed order: a type's position indexes the counts. */
const TYPES = [
  "VoteRequest",
  "VoteResponse",
  "AppendEntries",
  "AppendEntriesResponse",
  "Heartbeat",
  "HeartbeatResponse",
  "TimeoutNow",
  "InstallSnapshot",
  "InstallSnapshotResponse",
] as const satisfies readonly MessageType[];

const TYPE_INDEX = Object.fromEntries(TYPES.map((t, i) => [t, i])) as Record<MessageType, number>;

/** One message as the live view shows it. */
export interface SampledMessage {
  readonly to: number;
  readonly type: MessageType;
  readonly term: number;
  /** Wall clock (ms since the epoch) when it was handed to the transport. */
  readonly at: number;
  /** AppendEntries: how many entries it carries. */
  readonly entries?: number;
  /** VoteRequest, VoteResponse: whether it is a pre-vote. */
  readonly prevote?: boolean;
  /** VoteResponse. */
  readonly granted?: boolean;
  /** AppendEntriesResponse. */
  readonly success?: boolean;
}

export interface MessageCount {
  readonly to: number;
  readonly type: MessageType;
  readonly n: number;
}

/**
 * The messages one node sent during a window: a count per destination and type, and the first
 * MAX_SAMPLE individually. What it holds is bounded by the cluster's size (destinations are
 * members), whatever the message rate; add() allocates only for the sampled few.
 */
export class MessageWindow {
  /** Per type (TYPES order): count by destination. */
  private readonly counts: Map<number, number>[] = TYPES.map(() => new Map());
  private sample: SampledMessage[] = [];
  private total = 0;
  private startedAt: number;

  constructor(now: number) {
    this.startedAt = now;
  }

  get size(): number {
    return this.total;
  }

  add(m: Message, now: () => number): void {
    const byTo = this.counts[TYPE_INDEX[m.type]]!;
    byTo.set(m.to, (byTo.get(m.to) ?? 0) + 1);
    this.total++;
    if (this.sample.length < MAX_SAMPLE) this.sample.push(describe(m, now()));
  }

  /** What the window holds, and a new window from `now`. */
  take(now: number): { windowMs: number; sample: SampledMessage[]; counts: MessageCount[] } {
    const counts: MessageCount[] = [];
    TYPES.forEach((type, i) => {
      const byTo = this.counts[i]!;
      for (const [to, n] of byTo) counts.push({ to, type, n });
      byTo.clear();
    });
    counts.sort((a, b) => a.to - b.to || TYPE_INDEX[a.type] - TYPE_INDEX[b.type]);
    const out = { windowMs: Math.max(0, Math.round(now - this.startedAt)), sample: this.sample, counts };
    this.sample = [];
    this.total = 0;
    this.startedAt = now;
    return out;
  }

  /** Forget what was counted (nobody is watching any more). */
  reset(now: number): void {
    this.take(now);
  }
}

function describe(m: Message, at: number): SampledMessage {
  const base = { to: m.to, type: m.type, term: m.term, at };
  switch (m.type) {
    case "AppendEntries":
      return { ...base, entries: m.entries.length };
    case "VoteRequest":
      return { ...base, prevote: m.preVote };
    case "VoteResponse":
      return { ...base, prevote: m.preVote, granted: m.granted };
    case "AppendEntriesResponse":
      return { ...base, success: m.success };
    case "Heartbeat":
    case "HeartbeatResponse":
    case "TimeoutNow":
    case "InstallSnapshot":
    case "InstallSnapshotResponse":
      return base;
  }
}
