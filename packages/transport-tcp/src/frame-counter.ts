import { LENGTH_PREFIX_BYTES } from "./frame.js";

/**
 * Counts whole frames (a u32 big-endian length, then that many bytes) in a byte stream,
 * whatever the chunking, and calls `onFrames(n)` once per chunk that completed n > 0 frames,
 * without decoding them. For benchmarks: the least any peer speaking this framing can do per
 * read, so a raw ping-pong compares fairly with the transport.
 */
export function frameCounter(onFrames: (n: number) => void): (chunk: Buffer) => void {
  // Bytes of a frame (or of its length prefix) that a chunk cut off, waiting for the next.
  let rest: Buffer | undefined;
  return (chunk) => {
    const buf = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
    let offset = 0;
    let frames = 0;
    while (buf.length - offset >= LENGTH_PREFIX_BYTES) {
      const end = offset + LENGTH_PREFIX_BYTES + buf.readUInt32BE(offset);
      if (end > buf.length) break;
      offset = end;
      frames++;
    }
    rest = offset === buf.length ? undefined : Buffer.from(buf.subarray(offset));
    if (frames > 0) onFrames(frames);
  };
}
