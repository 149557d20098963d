/**
 * The AppendEntries messages in flight to one follower, by the last index each carried. A full
 * window pauses replication to that follower until acknowledgements free slots, which bounds
 * what a slow follower can make the leader buffer.
 */
export class Inflights {
  private lastIndexes: number[] = [];

  constructor(private readonly capacity: number) {}

  get count(): number {
    return this.lastIndexes.length;
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  add(lastIndex: number): void {
    if (this.full()) throw new Error("inflights: add to a full window");
    this.lastIndexes.push(lastIndex);
  }

  /** Free every message whose entries are all at or below `index` (acknowledged). */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.lastIndexes.length && this.lastIndexes[n]! <= index) n++;
    if (n > 0) this.lastIndexes.splice(0, n);
  }

  /**
   * Free the oldest message. Used when a heartbeat answer shows the follower is alive while the
   * window is full: the messages in it may have been lost (or the follower restarted), and one
   * more append lets a rejection reveal that.
   */
  freeFirstOne(): void {
    this.lastIndexes.shift();
  }

  reset(): void {
    this.lastIndexes = [];
  }
}
