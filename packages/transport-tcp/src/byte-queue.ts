/**
 * The bytes received on a stream and not yet consumed, kept as the chunks they arrived in.
 * Bytes that lie inside one chunk are read in place; bytes that span chunks are joined once,
 * so each byte is copied at most once (no quadratic re-concatenation when a large frame
 * arrives in many small reads). FrameDecoder cuts frames out of it; the chaos proxy's
 * FrameSplitter cuts raw frames, prefix included.
 *
 * Invariant: length = the bytes of all chunks minus offset; offset < chunks[0].length.
 */
export class ByteQueue {
  private readonly chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private size = 0;

  /** Bytes held. */
  get length(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Drop everything held (the stream failed: release the memory). */
  clear(): void {
    this.chunks.length = 0;
    this.size = 0;
    this.head = 0;
  }

  /** Whether the next n (<= length) bytes lie inside the first chunk, readable in place. */
  contiguous(n: number): boolean {
    return this.chunks[0]!.length - this.head >= n;
  }

  /** The first chunk (while length > 0); the next byte is at `offset` in it. */
  get front(): Buffer {
    return this.chunks[0]!;
  }

  get offset(): number {
    return this.head;
  }

  /** Consumes n bytes that lie inside the first chunk (see contiguous). */
  skip(n: number): void {
    this.head += n;
    this.size -= n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  /**
   * Removes and returns the next n (<= length) bytes, which may span chunks: one allocation,
   * each byte copied once, the consumed chunks removed with a single splice.
   */
  join(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let used = 0;
    while (filled < n) {
      const chunk = this.chunks[used]!;
      const start = used === 0 ? this.head : 0;
      const count = Math.min(chunk.length - start, n - filled);
      chunk.copy(out, filled, start, start + count);
      filled += count;
      if (start + count === chunk.length) {
        used++;
        this.head = 0;
      } else {
        this.head = start + count;
      }
    }
    this.chunks.splice(0, used);
    this.size -= n;
    return out;
  }

  /** Removes and returns the next n (<= length) bytes: a view when they lie in one chunk, else a joined copy. */
  take(n: number): Buffer {
    if (!this.contiguous(n)) return this.join(n);
    const out = this.chunks[0]!.subarray(this.head, this.head + n);
    this.skip(n);
    return out;
  }

  /** The big-endian u32 at the front (length >= 4), not consumed, wherever its bytes lie. */
  peekUInt32BE(): number {
    if (this.contiguous(4)) return this.chunks[0]!.readUInt32BE(this.head);
    let value = 0;
    let got = 0;
    for (let c = 0, start = this.head; got < 4; c++, start = 0) {
      const chunk = this.chunks[c]!;
      for (let i = start; i < chunk.length && got < 4; i++, got++) value = value * 256 + chunk[i]!;
    }
    return value;
  }
}
