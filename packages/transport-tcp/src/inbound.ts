import type { Socket } from "node:net";
import type { Logger, Message, NodeId } from "@raft-ts/core";
import { tryDecodeMessage } from "./codec.js";
import { TCP_KEEPALIVE_MS, type ResolvedTransportConfig } from "./config.js";
import { encodeFrame, FrameDecoder, FrameKind, HANDSHAKE_MAX_FRAME_BYTES, payloadOf, PROTOCOL_VERSION, type Frame, type FrameError } from "./frame.js";
import {
  clientMac,
  decodeAuth,
  decodeHello,
  encodeReject,
  encodeWelcome,
  newNonce,
  serverMac,
  verifyMac,
  type HandshakeFailure,
  type RejectReason,
  type Transcript,
} from "./handshake.js";
import type { DisconnectReason, ProtocolError, TransportMetrics } from "./metrics.js";

/** What an inbound connection needs from the transport that accepted it. */
export interface InboundHost {
  readonly config: ResolvedTransportConfig;
  readonly metrics: Required<TransportMetrics>;
  readonly log: Logger;
  /** Whether `id` is a configured peer right now (the list can change at run time). */
  isPeer(id: NodeId): boolean;
  /** The handshake completed: the connection now speaks for `conn.peerId`. */
  onEstablished(conn: InboundConnection): void;
  /** The connection is closed, whatever the reason; called once. */
  onClosed(conn: InboundConnection): void;
  /** A message that passed every check. */
  deliver(message: Message): void;
}

type InboundState = "awaiting_hello" | "awaiting_auth" | "established" | "closed";

/**
 * A connection a peer dialed to us: the server side of the handshake, then a stream of
 * MESSAGE frames from that one authenticated peer. We never send messages on it (we send on
 * our own outbound connection to that peer), only WELCOME or REJECT.
 *
 * Invariant: a message reaches host.deliver only if the handshake completed on this
 * connection, the frame and payload are well-formed, `from` is the authenticated peer and
 * `to` is this node. Any malformed frame closes this connection and nothing else; frames after
 * it in the same read are never looked at.
 */
export class InboundConnection {
  private state: InboundState = "awaiting_hello";
  /** The authenticated peer, once established. */
  private peer: NodeId | undefined;
  /** The id the client claims in HELLO: for logs only until AUTH succeeds. */
  private claimed: NodeId | undefined;
  private transcript: Transcript | undefined;
  private readonly decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
  private handshakeTimer: NodeJS.Timeout | undefined;
  private warnedWrongAddress = false;
  /** Well-formed message frames in the current read, reported once per read. */
  private messageFrames = 0;
  private readonly remote: string;
  /** Resolves once the socket has fully closed. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly host: InboundHost,
  ) {
    this.remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    // 'close' always follows 'error'; the reason is decided there.
    socket.on("error", (err) => host.log.debug({ ...this.fields(), err: err.message }, "inbound connection error"));
    socket.on("close", (hadError) => this.onSocketClose(hadError));
    this.handshakeTimer = setTimeout(() => this.failHandshake("timeout"), host.config.handshakeTimeoutMs);
  }

  /** The authenticated peer id, once the handshake completed. */
  get peerId(): NodeId | undefined {
    return this.peer;
  }

  get established(): boolean {
    return this.state === "established";
  }

  /** Closes the connection from our side (shutdown, a newer connection, a removed peer). */
  close(reason: DisconnectReason): Promise<void> {
    if (this.state === "established") this.host.metrics.connectionDown(this.peer!, "inbound", reason);
    this.finish();
    this.socket.destroy();
    return this.closed;
  }

  private isOpen(): boolean {
    return this.state !== "closed";
  }

  private fields(): Record<string, unknown> {
    return {
      component: "transport-tcp",
      node: this.host.config.nodeId,
      peer: this.peer ?? this.claimed,
      remote: this.remote,
      direction: "inbound",
    };
  }

  private onData(chunk: Buffer): void {
    if (!this.isOpen()) return;
    this.host.metrics.bytesReceived(this.peer, chunk.length);
    this.decoder.push(chunk);
    this.messageFrames = 0;
    // Each frame may close the connection; what follows it is then never looked at.
    while (this.isOpen()) {
      const r = this.decoder.next();
      if (r.type === "incomplete") break;
      if (r.type === "error") {
        this.failFraming(r.error, r.length);
        break;
      }
      this.onFrame(r);
    }
    // One call per read rather than per frame: the hook sits on the hot path.
    if (this.messageFrames > 0) this.host.metrics.framesReceived(this.peer!, this.messageFrames);
  }

  private onFrame(frame: Frame): void {
    if (frame.version !== PROTOCOL_VERSION) {
      if (this.state === "established") this.failProtocol("version", `frame version ${frame.version}`);
      else this.reject("version", `peer speaks protocol version ${frame.version}, this node ${PROTOCOL_VERSION}`);
      return;
    }
    switch (this.state) {
      case "awaiting_hello":
        this.onHello(frame);
        return;
      case "awaiting_auth":
        this.onAuth(frame);
        return;
      case "established":
        this.onMessageFrame(frame);
        return;
      case "closed":
        return;
    }
  }

  private onHello(frame: Frame): void {
    if (frame.kind !== FrameKind.Hello) return this.failHandshake("unexpected_frame", `frame kind ${frame.kind} before HELLO`);
    const hello = decodeHello(payloadOf(frame));
    if (!hello.ok) return this.failHandshake("malformed", hello.error);
    const { config } = this.host;
    const h = hello.value;
    this.claimed = h.clientId;
    if (h.clusterId !== config.clusterId) {
      return this.reject("cluster_id", `peer is in cluster ${JSON.stringify(h.clusterId)}, this node in ${JSON.stringify(config.clusterId)}`);
    }
    if (h.serverId !== config.nodeId) return this.reject("wrong_node", `peer meant to reach node ${h.serverId}`);
    if (!this.host.isPeer(h.clientId)) return this.reject("unknown_node", `node ${h.clientId} is not a configured peer`);

    const nonce = newNonce();
    this.transcript = { clusterId: config.clusterId, clientId: h.clientId, serverId: config.nodeId, clientNonce: h.nonce, serverNonce: nonce };
    const mac = config.secret === undefined ? new Uint8Array(0) : serverMac(config.secret, this.transcript);
    this.write(encodeFrame(FrameKind.Welcome, encodeWelcome({ clusterId: config.clusterId, serverId: config.nodeId, nonce, mac })));
    this.state = "awaiting_auth";
  }

  private onAuth(frame: Frame): void {
    if (frame.kind !== FrameKind.Auth) return this.failHandshake("unexpected_frame", `frame kind ${frame.kind} before AUTH`);
    const auth = decodeAuth(payloadOf(frame));
    if (!auth.ok) return this.failHandshake("malformed", auth.error);
    const t = this.transcript!;
    if (!verifyMac(this.host.config.secret, auth.value.mac, (secret) => clientMac(secret, t))) {
      return this.reject("auth", "the peer did not prove the cluster secret");
    }
    // A peer removed while it was in the middle of its handshake is refused here too.
    if (!this.host.isPeer(t.clientId)) return this.reject("unknown_node", `node ${t.clientId} is no longer a configured peer`);

    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.state = "established";
    this.peer = t.clientId;
    this.transcript = undefined;
    // Only now may frames be as large as maxFrameBytes: a stranger gets the handshake limit.
    this.decoder.setMaxFrameBytes(this.host.config.maxFrameBytes);
    this.host.metrics.connectionUp(this.peer, "inbound");
    this.host.log.info(this.fields(), "inbound connection authenticated");
    this.host.onEstablished(this);
  }

  private onMessageFrame(frame: Frame): void {
    if (frame.kind !== FrameKind.Message) return this.failProtocol("unexpected_frame", `frame kind ${frame.kind} after the handshake`);
    const m = tryDecodeMessage(frame.bytes, frame.start, frame.end);
    if (typeof m === "string") return this.failProtocol("malformed", m);
    const peer = this.peer!;
    this.messageFrames++;
    if (m.from !== peer || m.to !== this.host.config.nodeId) {
      const reason = m.from !== peer ? "wrong_sender" : "wrong_recipient";
      this.host.metrics.messageDropped(peer, reason);
      if (!this.warnedWrongAddress) {
        this.warnedWrongAddress = true;
        this.host.log.warn(
          { ...this.fields(), from: m.from, to: m.to, type: m.type },
          "dropping a message whose from/to does not match the connection (further ones are only counted)",
        );
      }
      return;
    }
    this.host.deliver(m);
  }

  private failFraming(error: FrameError, length: number): void {
    if (this.state === "established") this.failProtocol(error, `frame length ${length}`);
    else this.failHandshake(error, `frame length ${length} during the handshake`);
  }

  /** A handshake that cannot succeed: tell the client why, then close. */
  private reject(reason: RejectReason, detail: string): void {
    this.host.metrics.handshakeFailed(undefined, "inbound", reason);
    this.host.log.warn({ ...this.fields(), reason, detail }, "rejected an inbound handshake");
    this.finish();
    const socket = this.socket;
    const frame = encodeFrame(FrameKind.Reject, encodeReject(reason));
    this.host.metrics.bytesSent(undefined, frame.length);
    this.host.metrics.framesSent(undefined, 1);
    // Close once the REJECT is handed to the kernel; REJECT is advice, so an error is fine.
    socket.write(frame, () => socket.destroy());
  }

  private failHandshake(reason: HandshakeFailure, detail?: string): void {
    if (this.state === "closed") return;
    this.host.metrics.handshakeFailed(undefined, "inbound", reason);
    this.host.log.warn({ ...this.fields(), reason, detail }, "inbound handshake failed");
    this.finish();
    this.socket.destroy();
  }

  private failProtocol(reason: ProtocolError, detail: string): void {
    const peer = this.peer!;
    this.host.metrics.protocolError(peer, "inbound", reason);
    this.host.metrics.connectionDown(peer, "inbound", "protocol_error");
    this.host.log.warn({ ...this.fields(), reason, detail }, "closing an inbound connection: protocol error");
    this.finish();
    this.socket.destroy();
  }

  /** The peer (or the network) closed the socket; we did not. */
  private onSocketClose(hadError: boolean): void {
    if (this.state === "closed") return;
    if (this.state === "established") {
      const peer = this.peer!;
      if (this.decoder.inFrame) {
        this.host.metrics.protocolError(peer, "inbound", "truncated");
        this.host.metrics.connectionDown(peer, "inbound", "protocol_error");
        this.host.log.warn({ ...this.fields(), buffered: this.decoder.bufferedBytes }, "peer closed the connection inside a frame");
      } else {
        this.host.metrics.connectionDown(peer, "inbound", hadError ? "error" : "peer_closed");
        this.host.log.info(this.fields(), "inbound connection closed by the peer");
      }
    } else {
      this.host.metrics.handshakeFailed(undefined, "inbound", "closed");
      this.host.log.warn(this.fields(), "peer closed the connection during the handshake");
    }
    this.finish();
  }

  /** Becomes closed exactly once: timers cleared, the transport told. */
  private finish(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.host.onClosed(this);
  }

  private write(frame: Buffer): void {
    this.host.metrics.bytesSent(this.peer, frame.length);
    this.host.metrics.framesSent(this.peer, 1);
    this.socket.write(frame);
  }
}
