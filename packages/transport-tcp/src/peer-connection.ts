import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { Logger, Message, NodeId } from "@raft-ts/core";
import { TCP_KEEPALIVE_MS, type PeerAddress, type ResolvedTransportConfig } from "./config.js";
import {
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameKind,
  HANDSHAKE_MAX_FRAME_BYTES,
  LENGTH_PREFIX_BYTES,
  payloadOf,
  PROTOCOL_VERSION,
  writeMessageFrame,
  type Frame,
} from "./frame.js";
import {
  clientMac,
  decodeReject,
  decodeWelcome,
  encodeAuth,
  encodeHello,
  newNonce,
  serverMac,
  verifyMac,
  type HandshakeFailure,
} from "./handshake.js";
import type { DisconnectReason, ProtocolError, TransportMetrics } from "./metrics.js";

/** What an outbound connection needs from its transport. */
export interface OutboundHost {
  readonly config: ResolvedTransportConfig;
  readonly metrics: Required<TransportMetrics>;
  readonly log: Logger;
}

/**
 * idle -> connecting -> handshaking -> connected, and from any of the middle three to backoff
 * (after a failure or a close) and back to connecting when the backoff timer fires; closed is
 * final.
 */
export type OutboundState = "idle" | "connecting" | "handshaking" | "connected" | "backoff" | "closed";

/** Why we are closing the current socket ourselves; reported once, when it has closed. */
type Failure =
  | { readonly kind: "dial"; readonly reason: "timeout" }
  | { readonly kind: "handshake"; readonly reason: HandshakeFailure }
  | { readonly kind: "protocol"; readonly reason: ProtocolError }
  | { readonly kind: "down"; readonly reason: DisconnectReason };

/** One write hands the socket at most this many bytes (or one frame, if that is larger). */
const MAX_WRITE_BYTES = 256 * 1024;
/** The smallest output buffer: small ones come from Node's shared pool, so they are cheap. */
const MIN_OUTPUT_BYTES = 2048;
/** An output buffer larger than this is released once the queue empties. */
const RETAIN_OUTPUT_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export interface PeerConnectionStatus {
  readonly state: OutboundState;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
}

/**
 * The one outbound connection to one peer, on which this node sends everything addressed to
 * it. It dials, runs the client side of the handshake, and redials with exponential backoff
 * and full jitter for as long as the transport runs.
 *
 * Sending never blocks and never throws for a peer that is down: messages wait in a bounded
 * queue (at most maxQueuedMessages and maxQueuedBytes). The queue is drop-newest: when it is
 * full the message being sent is dropped and counted. Why not drop the oldest: queued
 * AppendEntries form a pipeline, and removing one from the middle of it makes every later one
 * fail the follower's log check, wasting the whole queue; dropping at the tail keeps what is
 * queued a contiguous, useful prefix, and Raft's own retries resend the rest.
 *
 * Writes are coalesced: messages are encoded straight into one output buffer (no buffer per
 * message, no concatenation), and everything sent within one event-loop turn leaves in one
 * socket.write (one syscall) from a microtask at the end of the turn. When the socket reports
 * backpressure (write returns false) nothing more is written until 'drain'; meanwhile the
 * bounded queue absorbs the excess. A socket that makes no progress for writeStallTimeoutMs
 * (a peer that stopped reading) is closed and redialed.
 */
export class PeerConnection {
  private state: OutboundState = "idle";
  private socket: Socket | undefined;
  private socketClosed: Promise<void> = Promise.resolve();
  private decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
  private clientNonce: Uint8Array = EMPTY;
  private tcpConnected = false;
  private failure: Failure | undefined;
  private lastError: Error | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  /** Consecutive failed attempts: the backoff exponent. Reset by a completed handshake. */
  private failures = 0;
  /** The last failure logged at warn, so a peer that stays down does not flood the log. */
  private lastWarned: string | undefined;

  // The send queue: encoded frames not yet handed to the socket are out[outStart, outEnd).
  // Invariants: outStart is always at the start of a frame (writes are cut between frames), so
  // a connection lost mid-queue leaves whole frames for the next one. Bytes before outStart may
  // still be referenced by a pending socket write, so they are never overwritten: new frames
  // only go after outEnd, or into a fresh buffer.
  private out: Buffer = EMPTY;
  private outStart = 0;
  private outEnd = 0;
  /** Messages in the queue. */
  private outMessages = 0;
  private flushScheduled = false;
  /** socket.write returned false; waiting for 'drain'. */
  private blocked = false;
  /** Messages dropped since the queue last had room, for one warning per overflow episode. */
  private droppedInEpisode = 0;

  private readonly flushTask = (): void => this.flush();

  constructor(
    readonly peerId: NodeId,
    private address: PeerAddress,
    private readonly host: OutboundHost,
  ) {}

  get status(): PeerConnectionStatus {
    return { state: this.state, queuedMessages: this.outMessages, queuedBytes: this.outEnd - this.outStart };
  }

  /** Begins dialing (once). */
  start(): void {
    if (this.state === "idle") this.dial();
  }

  /**
   * Queues `m` (already validated and sized by the transport: `payloadSize` is its encoded
   * size) or drops it when the queue is full. O(1) apart from encoding; never blocks.
   */
  enqueue(m: Message, payloadSize: number): void {
    const bytes = FRAME_HEADER_BYTES + payloadSize;
    const { maxQueuedMessages, maxQueuedBytes } = this.host.config;
    if (this.state === "closed") {
      this.host.metrics.messageDropped(this.peerId, "shutdown");
      return;
    }
    if (this.outMessages >= maxQueuedMessages || this.outEnd - this.outStart + bytes > maxQueuedBytes) {
      this.host.metrics.messageDropped(this.peerId, "queue_full");
      if (this.droppedInEpisode++ === 0) {
        this.host.log.warn(
          { ...this.fields(), queuedMessages: this.outMessages, queuedBytes: this.outEnd - this.outStart },
          "send queue to peer is full: dropping new messages until it drains",
        );
      }
      return;
    }
    this.reserve(bytes);
    this.outEnd = writeMessageFrame(this.out, this.outEnd, m, payloadSize);
    this.outMessages++;
    if (this.state === "connected" && !this.blocked && !this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** Hands what is queued to the socket now instead of at the end of this task. */
  flushNow(): void {
    if (this.flushScheduled) this.flush();
  }

  /** Points the connection at a new address: the current socket closes and redials soon. */
  setAddress(address: PeerAddress): void {
    if (address.host === this.address.host && address.port === this.address.port) return;
    this.address = address;
    this.failures = 0;
    if (this.state === "backoff") {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.dial();
    } else if (this.socket !== undefined) {
      this.abort({ kind: "down", reason: "readdressed" });
    }
  }

  /**
   * The peer just connected to us, so it is up: if we are waiting out a backoff to reach it,
   * dial now. Without this a restarted node stays unreachable for as long as the backoff
   * (seconds), and an election that needs its vote waits for that, not for Raft's timeouts.
   */
  peerIsUp(): void {
    if (this.state !== "backoff") return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.failures = 0;
    this.dial();
  }

  /** Stops for good: timers cleared, the socket destroyed, queued messages dropped. */
  close(reason: DisconnectReason): Promise<void> {
    if (this.state === "closed") return this.socketClosed;
    const wasConnected = this.state === "connected";
    this.state = "closed";
    this.clearTimers();
    for (let i = 0; i < this.outMessages; i++) this.host.metrics.messageDropped(this.peerId, "shutdown");
    this.out = EMPTY;
    this.outStart = 0;
    this.outEnd = 0;
    this.outMessages = 0;
    if (this.socket !== undefined) {
      if (wasConnected) this.host.metrics.connectionDown(this.peerId, "outbound", reason);
      this.socket.destroy();
    }
    return this.socketClosed;
  }

  private fields(): Record<string, unknown> {
    return {
      component: "transport-tcp",
      node: this.host.config.nodeId,
      peer: this.peerId,
      address: `${this.address.host}:${this.address.port}`,
      direction: "outbound",
    };
  }

  private dial(): void {
    const { config } = this.host;
    const { host, port } = this.address;
    let socket: Socket;
    if (config.tls === undefined) {
      socket = netConnect({ host, port });
    } else {
      const { key, cert, ca } = config.tls;
      socket = tlsConnect({ host, port, key, cert, ca: typeof ca === "string" || Buffer.isBuffer(ca) ? ca : [...ca] });
      socket.once("connect", () => {
        this.tcpConnected = true;
      });
    }
    this.socket = socket;
    this.state = "connecting";
    this.tcpConnected = false;
    this.failure = undefined;
    this.lastError = undefined;
    this.blocked = false;
    this.decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
    this.socketClosed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
    socket.once(config.tls === undefined ? "connect" : "secureConnect", () => this.onConnect(socket));
    socket.on("data", (chunk: Buffer) => this.onData(socket, chunk));
    socket.on("drain", () => this.onDrain(socket));
    socket.on("error", (err) => {
      if (socket === this.socket) this.lastError = err;
    });
    socket.on("close", () => this.onClose(socket));
    // One deadline covers connect, TLS and our handshake.
    this.handshakeTimer = setTimeout(() => {
      if (socket !== this.socket) return;
      this.abort(this.state === "connecting" && !this.tcpConnected ? { kind: "dial", reason: "timeout" } : { kind: "handshake", reason: "timeout" });
    }, config.handshakeTimeoutMs);
  }

  private onConnect(socket: Socket): void {
    if (socket !== this.socket || this.state !== "connecting") return;
    this.tcpConnected = true;
    this.state = "handshaking";
    const { config } = this.host;
    this.clientNonce = newNonce();
    this.writeNow(
      socket,
      encodeFrame(FrameKind.Hello, encodeHello({ clusterId: config.clusterId, clientId: config.nodeId, serverId: this.peerId, nonce: this.clientNonce })),
    );
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket || this.failure !== undefined) return;
    this.host.metrics.bytesReceived(this.peerId, chunk.length);
    this.decoder.push(chunk);
    while (socket === this.socket && this.failure === undefined) {
      const r = this.decoder.next();
      if (r.type === "incomplete") return;
      if (r.type === "error") {
        this.abort(this.state === "connected" ? { kind: "protocol", reason: r.error } : { kind: "handshake", reason: r.error });
        return;
      }
      this.onFrame(socket, r);
    }
  }

  private onFrame(socket: Socket, frame: Frame): void {
    if (frame.version !== PROTOCOL_VERSION) {
      this.abort(this.state === "connected" ? { kind: "protocol", reason: "version" } : { kind: "handshake", reason: "version" });
      return;
    }
    if (frame.kind === FrameKind.Reject) {
      // The server refused us (in the handshake, or our AUTH just after it) and closes.
      const reason = decodeReject(payloadOf(frame));
      this.abort({ kind: "handshake", reason });
      return;
    }
    if (this.state !== "handshaking") {
      // After WELCOME the server has nothing to say on this connection.
      this.abort({ kind: "protocol", reason: "unexpected_frame" });
      return;
    }
    if (frame.kind !== FrameKind.Welcome) {
      this.abort({ kind: "handshake", reason: "unexpected_frame" });
      return;
    }
    const welcome = decodeWelcome(payloadOf(frame));
    if (!welcome.ok) {
      this.abort({ kind: "handshake", reason: "malformed" });
      return;
    }
    const { config } = this.host;
    const w = welcome.value;
    if (w.clusterId !== config.clusterId) return this.abort({ kind: "handshake", reason: "cluster_id" });
    if (w.serverId !== this.peerId) return this.abort({ kind: "handshake", reason: "wrong_node" });
    const t = { clusterId: config.clusterId, clientId: config.nodeId, serverId: this.peerId, clientNonce: this.clientNonce, serverNonce: w.nonce };
    // Checked before we prove anything ourselves: a server that cannot prove the secret (or
    // has none while we do) learns nothing from us.
    if (!verifyMac(config.secret, w.mac, (secret) => serverMac(secret, t))) return this.abort({ kind: "handshake", reason: "auth" });
    const mac = config.secret === undefined ? EMPTY : clientMac(config.secret, t);
    this.writeNow(socket, encodeFrame(FrameKind.Auth, encodeAuth({ mac })));
    this.onEstablished();
  }

  private onEstablished(): void {
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.state = "connected";
    this.failures = 0;
    this.lastWarned = undefined;
    this.host.metrics.connectionUp(this.peerId, "outbound");
    this.host.log.info(this.fields(), "connected to peer");
    this.flush();
  }

  /** Makes room for `n` more bytes after outEnd, moving the unsent bytes to a new buffer if needed. */
  private reserve(n: number): void {
    if (this.out.length - this.outEnd >= n) return;
    const pending = this.outEnd - this.outStart;
    // pending + n <= maxQueuedBytes (checked by enqueue), so the buffer stays within twice that.
    const size = Math.max(MIN_OUTPUT_BYTES, 2 * (pending + n));
    const next = Buffer.allocUnsafe(size);
    this.out.copy(next, 0, this.outStart, this.outEnd);
    this.out = next;
    this.outStart = 0;
    this.outEnd = pending;
  }

  /**
   * Hands the queued frames to the socket: usually all in one write; in pieces of at most
   * MAX_WRITE_BYTES, cut between frames, when there is more. Until the queue is empty or the
   * socket pushes back.
   */
  private flush(): void {
    this.flushScheduled = false;
    const socket = this.socket;
    if (this.state !== "connected" || this.blocked || socket === undefined || socket.destroyed || this.failure !== undefined) return;
    while (this.outStart < this.outEnd) {
      let end = this.outEnd;
      let frames = this.outMessages;
      if (end - this.outStart > MAX_WRITE_BYTES) {
        // Walk the length prefixes to the last frame boundary within the limit (at least one frame).
        const out = this.out;
        end = this.outStart;
        frames = 0;
        do {
          end += LENGTH_PREFIX_BYTES + out.readUInt32BE(end);
          frames++;
        } while (end < this.outEnd && end + LENGTH_PREFIX_BYTES + out.readUInt32BE(end) - this.outStart <= MAX_WRITE_BYTES);
      }
      const data = this.out.subarray(this.outStart, end);
      this.outStart = end;
      this.outMessages -= frames;
      if (this.outStart === this.outEnd) this.onQueueEmpty();
      const more = socket.write(data);
      this.host.metrics.bytesSent(this.peerId, data.length);
      this.host.metrics.framesSent(this.peerId, frames);
      if (!more) {
        this.blocked = true;
        this.watchForStall(socket);
        return;
      }
    }
  }

  private onQueueEmpty(): void {
    if (this.out.length > RETAIN_OUTPUT_BYTES) {
      // Grown during an outage or a burst: let it go (a pending write keeps what it needs).
      this.out = EMPTY;
      this.outStart = 0;
      this.outEnd = 0;
    }
    // Otherwise keep appending after outEnd in the same buffer while it has room: a steady
    // trickle of small messages then needs no allocation at all.
    if (this.droppedInEpisode > 0) {
      this.host.log.info({ ...this.fields(), dropped: this.droppedInEpisode }, "send queue to peer drained");
      this.droppedInEpisode = 0;
    }
  }

  private onDrain(socket: Socket): void {
    if (socket !== this.socket || !this.blocked) return;
    this.blocked = false;
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.flush();
  }

  /**
   * While blocked, checks every writeStallTimeoutMs that the socket's buffer is shrinking. A
   * peer that accepts no bytes at all for that long has stopped reading (or vanished): close
   * and redial, rather than hold its connection forever.
   */
  private watchForStall(socket: Socket): void {
    let pending = socket.writableLength;
    const check = (): void => {
      if (socket !== this.socket || !this.blocked) return;
      if (socket.writableLength < pending) {
        pending = socket.writableLength;
        this.stallTimer = setTimeout(check, this.host.config.writeStallTimeoutMs);
        return;
      }
      this.abort({ kind: "down", reason: "write_stall" });
    };
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(check, this.host.config.writeStallTimeoutMs);
  }

  /** Closes the current socket for `failure`; onClose reports it and schedules the redial. */
  private abort(failure: Failure): void {
    const socket = this.socket;
    if (socket === undefined || this.failure !== undefined) return;
    this.failure = failure;
    socket.destroy();
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.stallTimer);
    this.handshakeTimer = undefined;
    this.stallTimer = undefined;
    this.blocked = false;
    const failure = this.failure;
    this.failure = undefined;
    const { metrics } = this.host;
    const error = this.lastError === undefined ? undefined : ((this.lastError as NodeJS.ErrnoException).code ?? this.lastError.message);

    switch (this.state) {
      case "connecting":
        if (failure?.kind === "down") {
          // setPeer() moved it before it connected: not a failure of the peer.
        } else if (failure?.kind === "handshake") {
          // TCP came up, TLS did not finish in time.
          metrics.handshakeFailed(this.peerId, "outbound", failure.reason);
          this.warnOnce(`handshake:${failure.reason}`, { reason: failure.reason }, "TLS handshake with peer did not complete");
        } else if (this.host.config.tls !== undefined && this.tcpConnected && failure === undefined) {
          // TCP came up but TLS did not (certificate refused, or the server refused ours).
          metrics.handshakeFailed(this.peerId, "outbound", "tls");
          this.warnOnce(`tls:${error}`, { error }, "TLS handshake with peer failed");
        } else {
          metrics.dialFailed(this.peerId);
          this.warnOnce(`dial:${error ?? failure?.reason}`, { error: error ?? failure?.reason }, "cannot reach peer (retrying with backoff)");
        }
        break;
      case "handshaking": {
        if (failure?.kind === "down") break;
        let reason: HandshakeFailure = failure?.kind === "handshake" || failure?.kind === "dial" ? failure.reason : "closed";
        // With TLS 1.3 the client finishes first, so a server refusing our certificate shows
        // up here, as an alert, after we already sent HELLO.
        if (failure === undefined && this.host.config.tls !== undefined && /SSL|TLS/.test(String(error))) reason = "tls";
        metrics.handshakeFailed(this.peerId, "outbound", reason);
        this.warnOnce(`handshake:${reason}`, { reason, error }, "handshake with peer failed (retrying with backoff)");
        break;
      }
      case "connected": {
        let reason: DisconnectReason;
        if (failure === undefined) {
          reason = error === undefined ? "peer_closed" : "error";
        } else if (failure.kind === "down") {
          reason = failure.reason;
        } else {
          if (failure.kind === "protocol") metrics.protocolError(this.peerId, "outbound", failure.reason);
          if (failure.kind === "handshake") metrics.handshakeFailed(this.peerId, "outbound", failure.reason);
          reason = "protocol_error";
        }
        metrics.connectionDown(this.peerId, "outbound", reason);
        const level = reason === "peer_closed" || reason === "readdressed" ? "info" : "warn";
        this.host.log[level]({ ...this.fields(), reason, error, failure: failure?.reason }, "connection to peer closed");
        break;
      }
      case "idle":
      case "backoff":
      case "closed":
        return;
    }
    this.scheduleReconnect();
  }

  /**
   * Exponential backoff with full jitter: the delay is uniform in [0, ceiling), the ceiling
   * doubling from reconnect.initialMs up to reconnect.maxMs with each consecutive failure.
   * Jitter keeps a cluster that lost a node from redialing it in lockstep.
   */
  private scheduleReconnect(): void {
    this.failures = Math.min(this.failures + 1, 32);
    const { initialMs, maxMs } = this.host.config.reconnect;
    const ceiling = Math.min(maxMs, initialMs * 2 ** (this.failures - 1));
    const delay = Math.random() * ceiling;
    this.state = "backoff";
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === "backoff") this.dial();
    }, delay);
  }

  private writeNow(socket: Socket, frame: Buffer): void {
    socket.write(frame);
    this.host.metrics.bytesSent(this.peerId, frame.length);
    this.host.metrics.framesSent(this.peerId, 1);
  }

  private warnOnce(key: string, fields: Record<string, unknown>, msg: string): void {
    const level = key === this.lastWarned ? "debug" : "warn";
    this.lastWarned = key;
    this.host.log[level]({ ...this.fields(), ...fields, failures: this.failures + 1 }, msg);
  }

  private clearTimers(): void {
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.stallTimer);
    this.handshakeTimer = undefined;
    this.reconnectTimer = undefined;
    this.stallTimer = undefined;
  }
}
