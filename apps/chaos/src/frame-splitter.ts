/**
 * Cuts one direction of a TCP byte stream into whole raft-ts frames, so that faults apply to
 * frames and never to partial bytes (dropping half a frame would desynchronize the stream and
 * only ever test the receiver's "malformed frame" path).
 *
 * The wire format (packages/transport-tcp, "Frame format"): `length:u32 big-endian` then
 * `length` bytes, the first two of which are the protocol version and the frame kind. The
 * proxy needs neither: it forwards the frame whole, prefix included, and leaves every check
 * of the contents to the real receiver. It is its own small parser rather than the
 * transport's FrameDecoder because it must hand out the raw bytes with their length prefix
 * (to write them on unchanged), and it must not reject what the receiver should see and
 * judge (a too-small length, an unknown version).
 */

export const LENGTH_PREFIX_BYTES = 4;

export type SplitResult =
  | { readonly type: "frame"; readonly frame: Buffer }
  | { readonly type: "incomplete" }
  | { readonly type: "too_large"; readonly length: number };

const INCOMPLETE: SplitResult = { type: "incomplete" };

export class FrameSplitter {
  private readonly chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private buffered = 0;
  private failure: SplitResult | undefined;

  /** @param maxFrameBytes the largest `length` accepted; more is an error, found from the prefix alone. */
  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.failure !== undefined) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next whole frame (length prefix included), "incomplete", or "too_large" as soon as a
   * length over the limit is seen, before any of its body is buffered (after which the
   * splitter stays failed and holds nothing).
   */
  next(): SplitResult {
    if (this.failure !== undefined) return this.failure;
    if (this.buffered < LENGTH_PREFIX_BYTES) return INCOMPLETE;
    const length = this.peekLength();
    if (length > this.maxFrameBytes) {
      this.chunks.length = 0;
      this.buffered = 0;
      this.head = 0;
      this.failure = { type: "too_large", length };
      return this.failure;
    }
    const total = LENGTH_PREFIX_BYTES + length;
    if (this.buffered < total) return INCOMPLETE;
    return { type: "frame", frame: this.take(total) };
  }

  /**
   * Whatever is left that is not a whole frame (a peer that closed mid-frame), removed from
   * the splitter. Forwarded as-is at the end of the stream so that the receiver sees the
   * truncation it would have seen without the proxy.
   */
  takeRemainder(): Buffer {
    return this.buffered === 0 ? Buffer.alloc(0) : this.take(this.buffered);
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length - this.head >= LENGTH_PREFIX_BYTES) return first.readUInt32BE(this.head);
    // The prefix itself spans chunks: gather its four bytes without consuming them.
    let length = 0;
    let got = 0;
    for (let c = 0, start = this.head; got < LENGTH_PREFIX_BYTES; c++, start = 0) {
      const chunk = this.chunks[c]!;
      for (let i = start; i < chunk.length && got < LENGTH_PREFIX_BYTES; i++, got++) length = length * 256 + chunk[i]!;
    }
    return length;
  }

  /**
   * Removes and returns the next n (<= buffered) bytes: a view into the first chunk when they
   * lie inside it (no copy), else one joined copy (each byte copied once, so a large frame
   * arriving in many small reads costs linear, not quadratic, time).
   */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      this.buffered -= n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      return out;
    }
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
    this.buffered -= n;
    return out;
  }
}
