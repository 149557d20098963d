import { ByteQueue } from "@raft-ts/transport-tcp";

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
 * judge (a too-small length, an unknown version). The bytes are held in the transport's
 * ByteQueue, as the FrameDecoder holds them.
 */

export const LENGTH_PREFIX_BYTES = 4;

export type SplitResult =
  | { readonly type: "frame"; readonly frame: Buffer }
  | { readonly type: "incomplete" }
  | { readonly type: "too_large"; readonly length: number };

const INCOMPLETE: SplitResult = { type: "incomplete" };

export class FrameSplitter {
  private readonly queue = new ByteQueue();
  private failure: SplitResult | undefined;

  /** @param maxFrameBytes the largest `length` accepted; more is an error, found from the prefix alone. */
  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  push(chunk: Buffer): void {
    if (this.failure === undefined) this.queue.push(chunk);
  }

  /**
   * The next whole frame (length prefix included), "incomplete", or "too_large" as soon as a
   * length over the limit is seen, before any of its body is buffered (after which the
   * splitter stays failed and holds nothing).
   */
  next(): SplitResult {
    if (this.failure !== undefined) return this.failure;
    if (this.queue.length < LENGTH_PREFIX_BYTES) return INCOMPLETE;
    const length = this.queue.peekUInt32BE();
    if (length > this.maxFrameBytes) {
      this.queue.clear();
      this.failure = { type: "too_large", length };
      return this.failure;
    }
    const total = LENGTH_PREFIX_BYTES + length;
    if (this.queue.length < total) return INCOMPLETE;
    return { type: "frame", frame: this.queue.take(total) };
  }

  /**
   * Whatever is left that is not a whole frame (a peer that closed mid-frame), removed from
   * the splitter. Forwarded as-is at the end of the stream so that the receiver sees the
   * truncation it would have seen without the proxy.
   */
  takeRemainder(): Buffer {
    return this.queue.length === 0 ? Buffer.alloc(0) : this.queue.take(this.queue.length);
  }
}
