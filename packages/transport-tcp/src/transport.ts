import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { Logger, Message, NodeId } from "@raft-ts/core";
import { messageSize } from "./codec.js";
import {
  exposureWarning,
  resolveTransportConfig,
  TransportConfigError,
  validatePeerAddress,
  type PeerAddress,
  type ResolvedTransportConfig,
  type TcpTransportOptions,
} from "./config.js";
import { frameLength } from "./frame.js";
import { InboundConnection, type InboundHost } from "./inbound.js";
import { resolveMetrics, type TransportMetrics } from "./metrics.js";
import { PeerConnection, type OutboundHost, type OutboundState } from "./peer-connection.js";

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

export interface PeerStatus {
  readonly id: NodeId;
  readonly address: PeerAddress;
  /** Our connection to the peer, on which we send. */
  readonly outbound: OutboundState;
  /** Whether the peer has an authenticated connection to us, on which we receive. */
  readonly inbound: boolean;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
}

/**
 * Carries the core's messages between nodes over TCP.
 *
 * Each node sends on its own outbound connection to each peer (PeerConnection) and receives
 * on the connections its peers dialed (InboundConnection). So between two nodes there are two
 * connections, one per direction, and "one persistent outbound connection per peer" holds for
 * every node.
 *
 * Contract with the driver loop:
 * - send() never blocks and never throws for a peer that is down or slow: the message is
 *   queued (bounded) or dropped and counted. Raft tolerates loss; it does not tolerate a
 *   stalled loop. It throws only for a caller's bug (a message not from this node, or with a
 *   number that is not a non-negative safe integer).
 * - onMessage is called synchronously from socket reads, once per message, in the order each
 *   peer sent them (no order across peers). It must not throw; if it does, the error is
 *   rethrown asynchronously (an uncaught exception) after the transport's state is consistent.
 */
export class TcpTransport {
  private readonly config: ResolvedTransportConfig;
  private readonly metrics: Required<TransportMetrics>;
  private readonly log: Logger;
  private readonly peers = new Map<NodeId, PeerAddress>();
  private readonly outbound = new Map<NodeId, PeerConnection>();
  /** Authenticated inbound connections, at most one per peer (the newest wins). */
  private readonly inbound = new Map<NodeId, InboundConnection>();
  /** Inbound connections still in their handshake. */
  private readonly pending = new Set<InboundConnection>();
  private readonly warnedUnknownPeer = new Set<NodeId>();
  private warnedOversized = false;
  private server: Server | undefined;
  /** Every accepted TCP socket, TLS ones still in their TLS handshake included, for close(). */
  private readonly sockets = new Set<Socket>();
  private state: "new" | "starting" | "running" | "closed" = "new";
  private closing: Promise<void> | undefined;
  private readonly outboundHost: OutboundHost;
  private readonly inboundHost: InboundHost;

  /** Validates the options (throws TransportConfigError naming the field); opens nothing yet. */
  constructor(options: TcpTransportOptions) {
    this.config = resolveTransportConfig(options);
    this.metrics = resolveMetrics(this.config.metrics);
    this.log = this.config.logger;
    this.outboundHost = { config: this.config, metrics: this.metrics, log: this.log };
    this.inboundHost = {
      config: this.config,
      metrics: this.metrics,
      log: this.log,
      isPeer: (id) => this.peers.has(id),
      onEstablished: (conn) => this.onInboundEstablished(conn),
      onClosed: (conn) => this.onInboundClosed(conn),
      deliver: (m) => this.deliver(m),
    };
    for (const [id, address] of this.config.peers) {
      this.peers.set(id, address);
      this.outbound.set(id, new PeerConnection(id, address, this.outboundHost));
    }
  }

  get nodeId(): NodeId {
    return this.config.nodeId;
  }

  /**
   * Listens, then starts dialing every peer. Resolves with the bound address (useful with
   * port 0). Messages sent before start() wait in the queues. Rejects if the address cannot
   * be bound, or if close() is called before it is.
   */
  async start(): Promise<BoundAddress> {
    if (this.state !== "new") throw new Error(`start() on a transport that is ${this.state}`);
    this.state = "starting";
    const { config } = this;
    const warning = exposureWarning(config);
    if (warning !== undefined) this.log.warn({ component: "transport-tcp", node: config.nodeId, listen: config.listen }, warning);

    const server = this.createServer();
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      // close() before the bind completes aborts the listen; without this, start() would hang.
      const onClose = (): void => reject(new Error("transport closed while starting"));
      server.once("error", reject);
      server.once("close", onClose);
      server.listen(config.listen.port, config.listen.host, () => {
        server.off("error", reject);
        server.off("close", onClose);
        resolve();
      });
    });
    server.on("error", (err) => this.log.warn({ component: "transport-tcp", node: config.nodeId, err: err.message }, "listener error"));
    const address = server.address() as AddressInfo;
    if (this.state !== "starting") {
      // close() ran while we were binding; its server.close() came too early to stop the listen.
      server.close();
      return { host: address.address, port: address.port };
    }
    this.state = "running";
    for (const peer of this.outbound.values()) peer.start();
    this.log.info({ component: "transport-tcp", node: config.nodeId, host: address.address, port: address.port, tls: config.tls !== undefined, secret: config.secret !== undefined }, "transport listening");
    return { host: address.address, port: address.port };
  }

  /**
   * Writes every queued message to its socket now. send() otherwise writes at the end of the
   * current task, so that many sends share one write; a caller about to block (a leader before
   * its fsync) flushes first so its messages travel meanwhile.
   */
  flush(): void {
    for (const peer of this.outbound.values()) peer.flushNow();
  }

  /** Sends `m` to `m.to`. Never blocks; never throws for a down or slow peer (see the class doc). */
  send(m: Message): void {
    if (this.state === "closed") {
      this.metrics.messageDropped(m.to, "shutdown");
      return;
    }
    if (m.from !== this.config.nodeId) {
      throw new Error(`send: message ${m.type} is from node ${m.from}, but this transport is node ${this.config.nodeId}`);
    }
    const peer = this.outbound.get(m.to);
    if (peer === undefined) {
      this.metrics.messageDropped(m.to, "unknown_peer");
      if (!this.warnedUnknownPeer.has(m.to)) {
        this.warnedUnknownPeer.add(m.to);
        this.log.warn({ component: "transport-tcp", node: this.config.nodeId, to: m.to, type: m.type }, "dropping messages to a node that is not a configured peer");
      }
      return;
    }
    const size = messageSize(m); // validates every number; throws EncodeError on a caller's bug
    if (frameLength(size) > this.config.maxFrameBytes) {
      // No peer would accept it. Raft's own limits (maxBytesPerMessage) should keep messages
      // well below maxFrameBytes; seeing this means the two settings disagree.
      this.metrics.messageDropped(m.to, "oversized");
      if (!this.warnedOversized) {
        this.warnedOversized = true;
        this.log.warn(
          { component: "transport-tcp", node: this.config.nodeId, to: m.to, type: m.type, bytes: frameLength(size), maxFrameBytes: this.config.maxFrameBytes },
          "dropping a message larger than maxFrameBytes (raise maxFrameBytes on every node, or lower the core's maxBytesPerMessage)",
        );
      }
      return;
    }
    peer.enqueue(m, size);
  }

  /**
   * Adds a peer, or gives an existing one a new address (its connection redials). The peer
   * may then connect to us, and we dial it.
   */
  setPeer(id: NodeId, address: PeerAddress): void {
    if (this.state === "closed") return;
    if (!Number.isSafeInteger(id) || id < 1) throw new TransportConfigError("setPeer id", `must be a positive integer, got ${id}`);
    if (id === this.config.nodeId) throw new TransportConfigError("setPeer id", `is this node's own id ${id}`);
    const checked = validatePeerAddress(`setPeer(${id})`, address);
    this.peers.set(id, checked);
    this.warnedUnknownPeer.delete(id);
    const existing = this.outbound.get(id);
    if (existing !== undefined) {
      existing.setAddress(checked);
      return;
    }
    const peer = new PeerConnection(id, checked, this.outboundHost);
    this.outbound.set(id, peer);
    if (this.state === "running") peer.start();
  }

  /** Forgets a peer: its connections close, its queued messages are dropped, it is refused. */
  async removePeer(id: NodeId): Promise<void> {
    this.peers.delete(id);
    const waits: Array<Promise<void>> = [];
    const peer = this.outbound.get(id);
    if (peer !== undefined) {
      this.outbound.delete(id);
      waits.push(peer.close("removed"));
    }
    const conn = this.inbound.get(id);
    if (conn !== undefined) waits.push(conn.close("removed"));
    await Promise.all(waits);
  }

  /** Every configured peer and the state of its connections. */
  status(): PeerStatus[] {
    return [...this.peers].map(([id, address]) => {
      const out = this.outbound.get(id)?.status;
      return {
        id,
        address,
        outbound: out?.state ?? "closed",
        inbound: this.inbound.get(id)?.established ?? false,
        queuedMessages: out?.queuedMessages ?? 0,
        queuedBytes: out?.queuedBytes ?? 0,
      };
    });
  }

  /**
   * Closes the listener and every connection, clears every timer, and resolves when all
   * sockets have closed (so a test that awaits it leaves no handles behind). Idempotent.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.state = "closed";
    const waits: Array<Promise<void>> = [];
    for (const peer of this.outbound.values()) waits.push(peer.close("shutdown"));
    for (const conn of [...this.pending, ...this.inbound.values()]) waits.push(conn.close("shutdown"));
    const server = this.server;
    if (server !== undefined) waits.push(new Promise((resolve) => server.close(() => resolve())));
    // What is left: sockets a TLS server accepted that never finished TLS. server.close()
    // would otherwise wait for them.
    for (const socket of this.sockets) socket.destroy();
    this.closing = Promise.all(waits).then(() => undefined);
    return this.closing;
  }

  private createServer(): Server {
    const server = this.createListener();
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    return server;
  }

  private createListener(): Server {
    const { config } = this;
    if (config.tls === undefined) {
      const server = createNetServer();
      server.on("connection", (socket) => this.accept(socket));
      return server;
    }
    const { key, cert, ca } = config.tls;
    const server = createTlsServer({
      key,
      cert,
      ca: typeof ca === "string" || Buffer.isBuffer(ca) ? ca : [...ca],
      // Mutual TLS: a client without a certificate signed by `ca` never gets past TLS.
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: config.handshakeTimeoutMs,
    });
    server.on("secureConnection", (socket) => this.accept(socket));
    server.on("tlsClientError", (err, socket) => {
      this.metrics.handshakeFailed(undefined, "inbound", "tls");
      this.log.warn(
        { component: "transport-tcp", node: config.nodeId, remote: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`, err: err.message },
        "rejected an inbound TLS handshake",
      );
      socket.destroy();
    });
    return server;
  }

  private accept(socket: Socket): void {
    if (this.state !== "running") {
      socket.destroy();
      return;
    }
    if (this.pending.size >= this.config.maxPendingHandshakes) {
      // Unauthenticated connections cost memory and a timer each; their number is bounded.
      this.metrics.handshakeFailed(undefined, "inbound", "busy");
      this.log.warn({ component: "transport-tcp", node: this.config.nodeId, pending: this.pending.size }, "too many inbound handshakes in progress: refusing a connection");
      socket.destroy();
      return;
    }
    this.pending.add(new InboundConnection(socket, this.inboundHost));
  }

  private onInboundEstablished(conn: InboundConnection): void {
    this.pending.delete(conn);
    const id = conn.peerId!;
    const previous = this.inbound.get(id);
    this.inbound.set(id, conn);
    // A peer keeps one outbound connection to us, so a new one means the old is dead (the peer
    // restarted, or the old one is half-open). Closing it also drops nothing the core needs.
    if (previous !== undefined) void previous.close("replaced");
    this.outbound.get(id)?.peerIsUp();
  }

  private onInboundClosed(conn: InboundConnection): void {
    this.pending.delete(conn);
    const id = conn.peerId;
    if (id !== undefined && this.inbound.get(id) === conn) this.inbound.delete(id);
  }

  private deliver(m: Message): void {
    if (this.state === "closed") return;
    try {
      this.config.onMessage(m);
    } catch (e) {
      // Not ours to swallow, but not ours to crash inside a socket handler either.
      queueMicrotask(() => {
        throw e;
      });
    }
  }
}
