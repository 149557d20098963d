import type { Message, NodeId, SeededRng } from "../src/index.js";

/** How links misbehave at the moment. */
export interface LinkFaults {
  /** Probability a message is lost. */
  drop: number;
  /** Probability a message is delivered twice. */
  duplicate: number;
  /** Delivery delay range in milliseconds; a wide range reorders messages. */
  minDelay: number;
  maxDelay: number;
}

export const CALM: LinkFaults = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 10 };

export interface InFlight {
  readonly deliverAt: number;
  readonly message: Message;
}

/**
 * A simulated network: messages wait in time buckets until their delivery time; links can
 * lose, duplicate and delay them, and any directed link can be cut (a partition).
 */
export class SimNetwork {
  private readonly buckets = new Map<number, Message[]>();
  private readonly cut = new Set<string>();
  faults: LinkFaults = CALM;
  sent = 0;
  dropped = 0;
  duplicated = 0;

  constructor(private readonly rng: SeededRng) {}

  send(m: Message, now: number): void {
    this.sent++;
    if (this.rng.chance(this.faults.drop)) {
      this.dropped++;
      return;
    }
    this.enqueue(m, now);
    if (this.rng.chance(this.faults.duplicate)) {
      this.duplicated++;
      this.enqueue(m, now);
    }
  }

  private enqueue(m: Message, now: number): void {
    const at = now + this.rng.between(this.faults.minDelay, this.faults.maxDelay);
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(at, bucket);
    }
    bucket.push(m);
  }

  /** Messages due at `now`, in a shuffled order, without those on cut links. */
  due(now: number): Message[] {
    const bucket = this.buckets.get(now);
    if (bucket === undefined) return [];
    this.buckets.delete(now);
    for (let i = bucket.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [bucket[i], bucket[j]] = [bucket[j]!, bucket[i]!];
    }
    return bucket.filter((m) => {
      if (this.isCut(m.from, m.to)) {
        this.dropped++;
        return false;
      }
      return true;
    });
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Split the nodes into groups that cannot reach each other. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.cutLink(x, y);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  cutLinks(): number {
    return this.cut.size;
  }
}
