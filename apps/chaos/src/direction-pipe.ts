import type { Socket } from "node:net";
import type { DirectionCounters } from "./counters.js";
import type { ResolvedDirectionFaults } from "./faults.js";
import { FrameSplitter } from "./frame-splitter.js";
import { HeldFrames } from "./held-frames.js";
import type { Rng } from "./rng.js";

/** Limits shared by every direction of every connection of one proxy. */
export interface PipeSettings {
  /**
   * How many frames at the start of each direction of each connection `drop` and
   * `duplicate` never touch (the handshake; see DEFAULT_HANDSHAKE_FRAMES in proxy.ts).
   */
  readonly handshakeFrames: number;
  /** The largest frame `length` accepted; a larger one closes the connection. */
  readonly maxFrameBytes: number;
  /** Bytes one direction of one connection may hold for delay before reading pauses. */
  readonly maxQueuedBytes: number;
}

export interface DirectionPipeOptions {
  readonly source: Socket;
  readonly dest: Socket;
  /** This direction's own stream of randomness (see deriveSeed in rng.ts for why). */
  readonly rng: Rng;
  /** Read for every frame, so that a change of faults applies from the very next frame. */
  readonly faults: () => ResolvedDirectionFaults;
  readonly counters: DirectionCounters;
  readonly settings: PipeSettings;
  /** A frame announced a length over maxFrameBytes: the connection must close. */
  readonly onFrameTooLarge: (length: number) => void;
}

/**
 * One direction of one proxied connection: reads the source, cuts it into frames, decides
 * each frame's fate (blackholed, dropped, duplicated, how long held) and writes the survivors
 * to the destination at their due time, in order.
 *
 * Ordering: a TCP stream cannot reorder, so a frame is due at max(arrival + its delay, the
 * previous frame's due time). Jitter thus shows as bunching, never as reordering.
 *
 * Memory: the frames held for delay are bounded by maxQueuedBytes (plus at most one read
 * chunk: reading stops between chunks, not mid-chunk); beyond that reading from the source
 * pauses until the queue drains, which pushes back through TCP onto the sender exactly as a
 * slow link would. Likewise when the destination's write() returns false, nothing more is
 * written (frames wait in the bounded queue) and, once the queue is full, reading pauses
 * until 'drain'. The splitter holds at most one frame in progress (maxFrameBytes) plus a chunk.
 */
export class DirectionPipe {
  private readonly splitter: FrameSplitter;
  private readonly held = new HeldFrames();
  /** Frames seen so far on this direction: the index of the next one. */
  private frameIndex = 0;
  /** The due time of the last frame queued: no later frame may be written before it. */
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private awaitingDrain = false;
  private paused = false;
  private sourceEnded = false;
  private finished = false;
  private stopped = false;

  constructor(private readonly o: DirectionPipeOptions) {
    this.splitter = new FrameSplitter(o.settings.maxFrameBytes);
  }

  /** Bytes held for delay right now. */
  get queuedBytes(): number {
    return this.held.bytes;
  }

  start(): void {
    this.o.source.on("data", this.onData);
    this.o.source.on("end", this.onEnd);
    this.o.source.resume();
  }

  /** Stops for good: clears the timer and releases the held frames. The caller destroys the sockets. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held.clear();
    this.o.source.off("data", this.onData);
    this.o.source.off("end", this.onEnd);
    this.o.dest.off("drain", this.onDrain);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.stopped) return;
    this.splitter.push(chunk);
    for (;;) {
      const r = this.splitter.next();
      if (r.type === "incomplete") break;
      if (r.type === "too_large") {
        // The frames before the bad one are good: pass on those that are due, as the
        // receiver (which reads in order) would have seen them without the proxy.
        this.flush();
        this.o.onFrameTooLarge(r.length);
        return;
      }
      this.decide(r.frame);
    }
    this.flush();
  };

  private readonly onEnd = (): void => {
    this.sourceEnded = true;
    this.flush();
  };

  private readonly onDrain = (): void => {
    this.awaitingDrain = false;
    this.flush();
  };

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerDue = Infinity;
    this.flush();
  };

  /** Decides one frame's fate and queues it (or not). */
  private decide(frame: Buffer): void {
    const { rng, counters: c, settings } = this.o;
    const index = this.frameIndex++;
    // Three draws for every frame, whether used or not: the n-th frame of a stream always
    // gets draws 3n..3n+2, so turning one fault on or off does not shift the decisions of
    // the others, and a replay with other settings stays comparable frame by frame.
    const uDrop = rng();
    const uDuplicate = rng();
    const uDelay = rng();
    const f = this.o.faults();
    if (f.blackhole) {
      c.framesBlackholed++;
      return;
    }
    // Drop and duplicate spare the handshake: either would break its HMAC transcript (a
    // duplicated AUTH is an unexpected frame, a dropped HELLO a timeout) and so only ever
    // test the handshake's failure path instead of Raft under loss.
    const inHandshake = index < settings.handshakeFrames;
    if (!inHandshake && uDrop < f.drop) {
      c.framesDropped++;
      return;
    }
    const copies = !inHandshake && uDuplicate < f.duplicate ? 2 : 1;
    // Delay applies to every frame, handshake included: a slow link is slow for everyone,
    // and delaying cannot break the transcript (the handshake has its own timeout to test).
    const delayMs = f.minDelayMs + uDelay * (f.maxDelayMs - f.minDelayMs);
    if (delayMs > 0) c.framesDelayed++;
    const due = Math.max(performance.now() + delayMs, this.lastDue);
    this.lastDue = due;
    this.held.push({ frame, copies, due });
    if (this.held.bytes > c.maxQueuedBytes) c.maxQueuedBytes = this.held.bytes;
  }

  /** Writes every frame that is due, unless the destination needs 'drain'; arms the timer for the next. */
  private flush(): void {
    if (this.stopped) return;
    const c = this.o.counters;
    const now = performance.now();
    while (!this.awaitingDrain) {
      const next = this.held.peek();
      if (next === undefined) break;
      if (next.due > now) {
        this.arm(next.due);
        break;
      }
      this.held.shift();
      let ok = this.o.dest.write(next.frame);
      c.framesForwarded++;
      c.bytesForwarded += next.frame.length;
      if (next.copies === 2) {
        // Both copies go together: write() queues what the socket cannot take yet, so the
        // second copy costs at most one more frame beyond the pause threshold.
        ok = this.o.dest.write(next.frame) && ok;
        c.framesDuplicated++;
        c.bytesForwarded += next.frame.length;
      }
      if (!ok) {
        this.awaitingDrain = true;
        this.o.dest.once("drain", this.onDrain);
      }
    }
    if (this.sourceEnded && this.held.length === 0) this.finish();
    this.updatePause();
  }

  private arm(due: number): void {
    // Frames are due in order, so a timer already set for an earlier time will flush and
    // re-arm for this one.
    if (this.timer !== undefined && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    // Timers can fire up to a millisecond early against performance.now() (libuv rounds its
    // loop clock); flush() then finds the frame not yet due and re-arms, so no frame is ever
    // written before its time.
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(due - performance.now())));
  }

  private updatePause(): void {
    if (this.finished) return;
    const shouldPause = this.awaitingDrain || this.held.bytes >= this.o.settings.maxQueuedBytes;
    if (shouldPause && !this.paused) {
      this.paused = true;
      this.o.counters.pauses++;
      this.o.source.pause();
    } else if (!shouldPause && this.paused) {
      this.paused = false;
      this.o.source.resume();
    }
  }

  /**
   * The source closed its sending side and every held frame is written: pass the trailing
   * partial frame on (if the source stopped mid-frame, the receiver should see that
   * truncation, as it would without the proxy), then half-close the destination.
   */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const rest = this.splitter.takeRemainder();
    if (rest.length > 0 && !this.o.faults().blackhole) this.o.dest.write(rest);
    this.o.dest.end();
  }
}
