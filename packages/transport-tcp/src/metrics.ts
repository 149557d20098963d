import type { NodeId } from "@raft-ts/core";
import type { HandshakeFailure } from "./handshake.js";

/**
 * The metrics sink the transport reports to. Every method is optional; apps/node maps them to
 * prom-client counters (this package never imports prom-client). Calls happen on the hot path,
 * so implementations should only add to counters.
 *
 * `peer` is the remote node id. It is `undefined` only where no authenticated id exists yet:
 * the bytes, frames and failures of an inbound connection before its handshake completes.
 */
export interface TransportMetrics {
  /** Called once per write to a socket: its call count is the number of writes (syscalls). */
  bytesSent?(peer: NodeId | undefined, bytes: number): void;
  /** Frames in that write (handshake frames included). */
  framesSent?(peer: NodeId | undefined, frames: number): void;
  /** Called once per read from a socket. */
  bytesReceived?(peer: NodeId | undefined, bytes: number): void;
  /** Message frames received on an authenticated connection. */
  framesReceived?(peer: NodeId, frames: number): void;
  /** A message not sent or not delivered, and why. */
  messageDropped?(peer: NodeId, reason: DropReason): void;
  /** A connection finished its handshake. */
  connectionUp?(peer: NodeId, direction: Direction): void;
  /** An authenticated connection closed. */
  connectionDown?(peer: NodeId, direction: Direction, reason: DisconnectReason): void;
  /** A connection closed before its handshake completed. */
  handshakeFailed?(peer: NodeId | undefined, direction: Direction, reason: HandshakeFailure): void;
  /** An authenticated connection closed because of what the peer sent. */
  protocolError?(peer: NodeId, direction: Direction, reason: ProtocolError): void;
  /** An outbound connection attempt that never reached the handshake (refused, unreachable). */
  dialFailed?(peer: NodeId): void;
}

/** "outbound": the connection this node dialed and sends on; "inbound": one a peer dialed. */
export type Direction = "inbound" | "outbound";

export type DropReason =
  /** The peer's send queue is at its message or byte limit (the new message is dropped). */
  | "queue_full"
  /** The encoded message exceeds maxFrameBytes and could never be received. */
  | "oversized"
  /** `to` is not a configured peer. */
  | "unknown_peer"
  /** send() after close(), or still queued when close() or removePeer() ran. */
  | "shutdown"
  /** Received: `from` is not the authenticated peer of the connection. */
  | "wrong_sender"
  /** Received: `to` is not this node. */
  | "wrong_recipient";

export type ProtocolError =
  | "frame_too_large"
  | "frame_too_small"
  | "version"
  | "malformed"
  | "unexpected_frame"
  /** The peer closed the connection inside a frame. */
  | "truncated";

export type DisconnectReason =
  | "peer_closed"
  | "error"
  | "protocol_error"
  /** The socket accepted no data for writeStallTimeoutMs: the peer stopped reading. */
  | "write_stall"
  /** A newer authenticated inbound connection from the same peer took its place. */
  | "replaced"
  | "shutdown"
  | "removed"
  /** setPeer() gave the peer a new address. */
  | "readdressed";

const noop = (): void => {};

/** Every hook present: missing ones become no-ops, so the hot path never tests for them. */
export function resolveMetrics(m: TransportMetrics | undefined): Required<TransportMetrics> {
  return {
    bytesSent: m?.bytesSent?.bind(m) ?? noop,
    framesSent: m?.framesSent?.bind(m) ?? noop,
    bytesReceived: m?.bytesReceived?.bind(m) ?? noop,
    framesReceived: m?.framesReceived?.bind(m) ?? noop,
    messageDropped: m?.messageDropped?.bind(m) ?? noop,
    connectionUp: m?.connectionUp?.bind(m) ?? noop,
    connectionDown: m?.connectionDown?.bind(m) ?? noop,
    handshakeFailed: m?.handshakeFailed?.bind(m) ?? noop,
    protocolError: m?.protocolError?.bind(m) ?? noop,
    dialFailed: m?.dialFailed?.bind(m) ?? noop,
  };
}

type Labels = Readonly<Record<string, string | number | undefined>>;

interface Counter {
  readonly name: string;
  readonly labels: Labels;
  value: number;
}

/**
 * An in-memory TransportMetrics that counts everything, for tests and for a node's status
 * page. Counter names follow the hooks: bytes_sent, writes, frames_sent, bytes_received,
 * frames_received, messages_dropped, connections_up, connections_down, handshake_failures,
 * protocol_errors, dial_failures.
 */
export class CountingMetrics implements Required<TransportMetrics> {
  private readonly counters = new Map<string, Counter>();

  /** The sum of the counters called `name` whose labels include all of `labels`. */
  count(name: string, labels: Labels = {}): number {
    let total = 0;
    for (const c of this.counters.values()) {
      if (c.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => c.labels[k] === v)) total += c.value;
    }
    return total;
  }

  /** Every counter, for printing. */
  snapshot(): Array<{ name: string; labels: Labels; value: number }> {
    return [...this.counters.values()].map((c) => ({ name: c.name, labels: c.labels, value: c.value }));
  }

  private add(name: string, labels: Labels, n: number): void {
    const key = `${name}${JSON.stringify(labels)}`;
    const c = this.counters.get(key);
    if (c === undefined) this.counters.set(key, { name, labels, value: n });
    else c.value += n;
  }

  bytesSent(peer: NodeId | undefined, bytes: number): void {
    this.add("bytes_sent", { peer }, bytes);
    this.add("writes", { peer }, 1);
  }
  framesSent(peer: NodeId | undefined, frames: number): void {
    this.add("frames_sent", { peer }, frames);
  }
  bytesReceived(peer: NodeId | undefined, bytes: number): void {
    this.add("bytes_received", { peer }, bytes);
  }
  framesReceived(peer: NodeId, frames: number): void {
    this.add("frames_received", { peer }, frames);
  }
  messageDropped(peer: NodeId, reason: DropReason): void {
    this.add("messages_dropped", { peer, reason }, 1);
  }
  connectionUp(peer: NodeId, direction: Direction): void {
    this.add("connections_up", { peer, direction }, 1);
  }
  connectionDown(peer: NodeId, direction: Direction, reason: DisconnectReason): void {
    this.add("connections_down", { peer, direction, reason }, 1);
  }
  handshakeFailed(peer: NodeId | undefined, direction: Direction, reason: HandshakeFailure): void {
    this.add("handshake_failures", { peer, direction, reason }, 1);
  }
  protocolError(peer: NodeId, direction: Direction, reason: ProtocolError): void {
    this.add("protocol_errors", { peer, direction, reason }, 1);
  }
  dialFailed(peer: NodeId): void {
    this.add("dial_failures", { peer }, 1);
  }
}
