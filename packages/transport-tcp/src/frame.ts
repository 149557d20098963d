import type { Message } from "@raft-ts/core";
import { ByteQueue } from "./byte-queue.js";
import { messageSize, writeMessage } from "./codec.js";

/**
 * Framing. Every frame on the wire:
 *
 *   length:u32 big-endian | version:u8 | kind:u8 | payload
 *
 * `length` counts the bytes after itself (version + kind + payload), so it is at least 2 and
 * at most the receiver's limit: maxFrameBytes once a connection is authenticated,
 * HANDSHAKE_MAX_FRAME_BYTES before. The first six bytes keep this layout in every protocol
 * version, so a peer can always read the version of a frame it cannot otherwise understand.
 */

/**
 * The protocol version this code speaks: carried in every frame and checked on every frame, so
 * nodes of different versions refuse each other at the handshake with reason `version` instead
 * of misreading messages.
 * - 1: the first.
 * - 2: leadership transfer (TimeoutNow, the VoteRequest flags byte), snapshots (InstallSnapshot
 *   and its response, with the snapshot's membership), configuration entries, and the commit
 *   index in HeartbeatResponse.
 */
export const PROTOCOL_VERSION = 2;

/** Length prefix + version + kind. */
export const FRAME_HEADER_BYTES = 6;
export const LENGTH_PREFIX_BYTES = 4;
const MIN_FRAME_LENGTH = 2;

/**
 * The limit before a connection is authenticated. Handshake frames are a few hundred bytes,
 * so a stranger can never make us buffer more than this, whatever maxFrameBytes is.
 */
export const HANDSHAKE_MAX_FRAME_BYTES = 1024;

export const FrameKind = {
  /** client -> server: who I am, who I think you are, my nonce. */
  Hello: 1,
  /** server -> client: who I am, my nonce, my proof of the secret. */
  Welcome: 2,
  /** client -> server: my proof of the secret. */
  Auth: 3,
  /** server -> client: why the handshake failed, just before closing. */
  Reject: 4,
  /** client -> server, after the handshake: one encoded Message. */
  Message: 5,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/**
 * A complete frame. Its payload is bytes[start, end): a window into the received chunk (or a
 * joined copy), not a fresh Buffer, because creating a view per frame costs more than
 * decoding a heartbeat. The decoder reuses this object: it is valid until the next call to
 * next(), so decode or copy what you need first.
 */
export interface Frame {
  readonly type: "frame";
  readonly version: number;
  readonly kind: number;
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
}

export type FrameError = "frame_too_large" | "frame_too_small";

export type FrameReadResult = Frame | { readonly type: "incomplete" } | { readonly type: "error"; readonly error: FrameError; readonly length: number };

/** The payload of `frame` as a Buffer view (for the handshake, where speed does not matter). */
export function payloadOf(frame: Frame): Buffer {
  return frame.bytes.subarray(frame.start, frame.end);
}

const INCOMPLETE: FrameReadResult = { type: "incomplete" };

/** One frame around `payload` (handshake frames; messages use encodeMessageFrame). */
export function encodeFrame(kind: FrameKind, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  buf.writeUInt32BE(MIN_FRAME_LENGTH + payload.length, 0);
  buf[4] = PROTOCOL_VERSION;
  buf[5] = kind;
  buf.set(payload, FRAME_HEADER_BYTES);
  return buf;
}

/**
 * Writes `m` as one MESSAGE frame at `offset` of `buf` (FRAME_HEADER_BYTES + payloadSize bytes
 * must be free there) and returns the offset after it. `payloadSize` is messageSize(m), which
 * the caller has already computed to check the limits.
 */
export function writeMessageFrame(buf: Buffer, offset: number, m: Message, payloadSize: number): number {
  const length = MIN_FRAME_LENGTH + payloadSize;
  // By hand rather than writeUInt32BE: this runs once per message, and the length is known valid.
  buf[offset] = length >>> 24;
  buf[offset + 1] = (length >>> 16) & 0xff;
  buf[offset + 2] = (length >>> 8) & 0xff;
  buf[offset + 3] = length & 0xff;
  buf[offset + 4] = PROTOCOL_VERSION;
  buf[offset + 5] = FrameKind.Message;
  const end = writeMessage(buf, offset + FRAME_HEADER_BYTES, m);
  if (end !== offset + FRAME_HEADER_BYTES + payloadSize) throw new Error(`codec bug: wrote ${end - offset - FRAME_HEADER_BYTES} bytes, sized ${payloadSize}`);
  return end;
}

/** `m` as one MESSAGE frame in a buffer of its own. */
export function encodeMessageFrame(m: Message, payloadSize: number = messageSize(m)): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadSize);
  writeMessageFrame(buf, 0, m, payloadSize);
  return buf;
}

/** The frame `length` field for a payload: what maxFrameBytes is compared with. */
export function frameLength(payloadSize: number): number {
  return MIN_FRAME_LENGTH + payloadSize;
}

/**
 * Cuts a byte stream into frames. Chunks are kept as received (a ByteQueue) and joined only
 * when a frame spans several of them, so each byte is copied at most once. A frame inside one
 * chunk is returned as a window into it, without copying.
 *
 * The length is checked as soon as its four bytes are here, before any of the body is
 * buffered: a peer announcing a frame over the limit is refused at once.
 *
 * Invariant: bufferedBytes <= 4 + limit + the size of the last chunk pushed, after next()
 * has returned "incomplete" or "error".
 */
export class FrameDecoder {
  private readonly queue = new ByteQueue();
  /** The length of the frame whose header has been read, or -1 while awaiting a header. */
  private pending = -1;
  private failure: FrameReadResult | undefined;
  /** Returned by every next() that finds a frame, refilled each time: one object per decoder, not per frame. */
  private readonly frame: { -readonly [K in keyof Frame]: Frame[K] } = { type: "frame", version: 0, kind: 0, bytes: Buffer.alloc(0), start: 0, end: 0 };

  constructor(private limit: number) {}

  /** Raise (or lower) the limit, e.g. once the handshake authenticates the peer. */
  setMaxFrameBytes(limit: number): void {
    this.limit = limit;
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.queue.length + (this.pending >= 0 ? LENGTH_PREFIX_BYTES : 0);
  }

  /** True when the stream stopped inside a frame: a peer that vanished mid-frame. */
  get inFrame(): boolean {
    return this.queue.length > 0 || this.pending >= 0;
  }

  push(chunk: Buffer): void {
    if (this.failure === undefined) this.queue.push(chunk);
  }

  /** The next complete frame, "incomplete", or an error (after which it stays failed). */
  next(): FrameReadResult {
    if (this.failure !== undefined) return this.failure;
    const queue = this.queue;
    if (this.pending < 0) {
      if (queue.length < LENGTH_PREFIX_BYTES) return INCOMPLETE;
      const length = queue.peekUInt32BE();
      if (queue.contiguous(LENGTH_PREFIX_BYTES)) queue.skip(LENGTH_PREFIX_BYTES);
      else queue.join(LENGTH_PREFIX_BYTES);
      if (length < MIN_FRAME_LENGTH) return this.fail("frame_too_small", length);
      if (length > this.limit) return this.fail("frame_too_large", length);
      this.pending = length;
    }
    const length = this.pending;
    if (queue.length < length) return INCOMPLETE;
    this.pending = -1;
    let bytes: Buffer;
    let start: number;
    if (queue.contiguous(length)) {
      // The common case: the frame lies inside one chunk. No copy, no view.
      bytes = queue.front;
      start = queue.offset;
      queue.skip(length);
    } else {
      bytes = queue.join(length);
      start = 0;
    }
    const frame = this.frame;
    frame.version = bytes[start]!;
    frame.kind = bytes[start + 1]!;
    frame.bytes = bytes;
    frame.start = start + MIN_FRAME_LENGTH;
    frame.end = start + length;
    return frame;
  }

  private fail(error: FrameError, length: number): FrameReadResult {
    // Release what was buffered: the connection is about to close.
    this.queue.clear();
    this.failure = { type: "error", error, length };
    return this.failure;
  }
}
