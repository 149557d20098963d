/**
 * A FIFO of frames waiting for their write time, with the byte count that bounds it.
 * An array with a moving head (Array.shift is O(n) per call, which at thousands of queued
 * heartbeats would make draining quadratic), compacted once the consumed prefix dominates.
 */

export interface HeldFrame {
  readonly frame: Buffer;
  /** 1, or 2 for a duplicated frame (both copies are written together, back to back). */
  readonly copies: 1 | 2;
  /** When to write it, on the performance.now() clock. */
  readonly due: number;
}

export class HeldFrames {
  private items: Array<HeldFrame | undefined> = [];
  private head = 0;
  private heldBytes = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** Bytes the held frames will take on the wire, duplicate copies included. */
  get bytes(): number {
    return this.heldBytes;
  }

  push(f: HeldFrame): void {
    this.items.push(f);
    this.heldBytes += f.frame.length * f.copies;
  }

  peek(): HeldFrame | undefined {
    return this.items[this.head];
  }

  shift(): HeldFrame | undefined {
    const f = this.items[this.head];
    if (f === undefined) return undefined;
    this.items[this.head++] = undefined; // release the frame's memory now, not at compaction
    this.heldBytes -= f.frame.length * f.copies;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return f;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.heldBytes = 0;
  }
}
