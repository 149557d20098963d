import { connect, createServer, type Server, type Socket } from "node:net";
import type { Logger, Message, NodeId } from "@raft-ts/core";
import {
  clientMac,
  CountingMetrics,
  decodeHello,
  decodeWelcome,
  encodeAuth,
  encodeFrame,
  encodeHello,
  encodeWelcome,
  FrameDecoder,
  FrameKind,
  serverMac,
  TcpTransport,
  payloadOf,
  type BoundAddress,
  type TcpTransportOptions,
} from "../src/index.js";

/** Polls `condition` until it holds or the deadline passes (generous: the machine is shared). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface LogRecord {
  readonly level: "debug" | "info" | "warn";
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

export class RecordingLogger implements Logger {
  readonly records: LogRecord[] = [];
  debug(fields: Record<string, unknown>, msg: string): void {
    this.records.push({ level: "debug", fields, msg });
  }
  info(fields: Record<string, unknown>, msg: string): void {
    this.records.push({ level: "info", fields, msg });
  }
  warn(fields: Record<string, unknown>, msg: string): void {
    this.records.push({ level: "warn", fields, msg });
  }
  warnings(): string[] {
    return this.records.filter((r) => r.level === "warn").map((r) => r.msg);
  }
}

export interface TestNode {
  readonly id: NodeId;
  readonly transport: TcpTransport;
  readonly address: BoundAddress;
  readonly received: Message[];
  readonly metrics: CountingMetrics;
  readonly logger: RecordingLogger;
}

export const CLUSTER_ID = "test-cluster";
export const SECRET = "correct horse battery staple 0123456789";

type NodeOptions = Partial<Omit<TcpTransportOptions, "nodeId" | "onMessage" | "metrics" | "logger">>;

/**
 * Owns everything a test opens (transports, raw sockets, servers) and closes it all in
 * afterEach, so no test leaks a handle into the next.
 */
export class Harness {
  private readonly cleanups: Array<() => Promise<void> | void> = [];

  defer(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  async closeAll(): Promise<void> {
    const cleanups = this.cleanups.splice(0).reverse();
    for (const c of cleanups) await c();
  }

  /** A started transport on 127.0.0.1 (port 0 unless given) with fast reconnects. */
  async node(id: NodeId, options: NodeOptions = {}): Promise<TestNode> {
    const received: Message[] = [];
    const metrics = new CountingMetrics();
    const logger = new RecordingLogger();
    const transport = new TcpTransport({
      nodeId: id,
      clusterId: CLUSTER_ID,
      listen: { host: "127.0.0.1", port: 0 },
      peers: new Map(),
      reconnect: { initialMs: 20, maxMs: 200 },
      handshakeTimeoutMs: 5000,
      ...options,
      metrics,
      logger,
      onMessage: (m) => received.push(m),
    });
    this.defer(() => transport.close());
    const address = await transport.start();
    return { id, transport, address, received, metrics, logger };
  }

  /** Makes `a` and `b` peers of each other. */
  link(a: TestNode, b: TestNode): void {
    a.transport.setPeer(b.id, b.address);
    b.transport.setPeer(a.id, a.address);
  }

  async cluster(ids: NodeId[], options: NodeOptions = {}): Promise<TestNode[]> {
    const nodes: TestNode[] = [];
    for (const id of ids) nodes.push(await this.node(id, options));
    for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) this.link(nodes[i]!, nodes[j]!);
    return nodes;
  }

  /** A plain TCP client speaking frames by hand, to play a misbehaving peer. */
  async rawConnect(port: number): Promise<RawConnection> {
    const socket = connect({ host: "127.0.0.1", port });
    const conn = new RawConnection(socket);
    this.defer(() => conn.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return conn;
  }

  /**
   * A raw client that completes the client side of the handshake as `clientId`, proving
   * `secret` (or sending an empty MAC without one). Resolves once AUTH is written.
   */
  async rawHandshake(port: number, o: { clientId: NodeId; serverId: NodeId; clusterId?: string; secret?: string }): Promise<RawConnection> {
    const conn = await this.rawConnect(port);
    const clusterId = o.clusterId ?? CLUSTER_ID;
    const clientNonce = new Uint8Array(32).fill(7);
    conn.send(FrameKind.Hello, encodeHello({ clusterId, clientId: o.clientId, serverId: o.serverId, nonce: clientNonce }));
    const frame = await conn.nextFrame();
    if (frame.kind !== FrameKind.Welcome) throw new Error(`expected WELCOME, got frame kind ${frame.kind}`);
    const welcome = decodeWelcome(frame.payload);
    if (!welcome.ok) throw new Error(welcome.error);
    const t = { clusterId, clientId: o.clientId, serverId: o.serverId, clientNonce, serverNonce: welcome.value.nonce };
    const mac = o.secret === undefined ? new Uint8Array(0) : clientMac(Buffer.from(o.secret), t);
    conn.send(FrameKind.Auth, encodeAuth({ mac }));
    return conn;
  }

  /**
   * A raw server that completes the server side of the handshake as `serverId` and then
   * hands the socket to `onReady` (which may, say, stop reading from it), with the decoder
   * holding whatever arrived after AUTH, and the connection's number (1, 2, ...).
   */
  async rawServer(o: { serverId: NodeId; secret?: string; onReady: (socket: Socket, decoder: FrameDecoder, connection: number) => void }): Promise<BoundAddress> {
    let connections = 0;
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
      const decoder = new FrameDecoder(1024);
      let clientNonce: Uint8Array | undefined;
      let serverNonce: Uint8Array | undefined;
      let clientId = 0;
      const onData = (chunk: Buffer): void => {
        decoder.push(chunk);
        for (let r = decoder.next(); r.type === "frame"; r = decoder.next()) {
          if (r.kind === FrameKind.Hello) {
            const hello = decodeHello(payloadOf(r));
            if (!hello.ok) return void socket.destroy();
            clientNonce = hello.value.nonce;
            clientId = hello.value.clientId;
            serverNonce = new Uint8Array(32).fill(9);
            const t = { clusterId: CLUSTER_ID, clientId, serverId: o.serverId, clientNonce, serverNonce };
            const mac = o.secret === undefined ? new Uint8Array(0) : serverMac(Buffer.from(o.secret), t);
            socket.write(encodeFrame(FrameKind.Welcome, encodeWelcome({ clusterId: CLUSTER_ID, serverId: o.serverId, nonce: serverNonce, mac })));
          } else if (r.kind === FrameKind.Auth) {
            socket.off("data", onData);
            o.onReady(socket, decoder, ++connections);
            return;
          }
        }
      };
      socket.on("data", onData);
    });
    this.defer(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no address");
    return { host: address.address, port: address.port };
  }
}

export interface ReceivedFrame {
  readonly version: number;
  readonly kind: number;
  readonly payload: Buffer;
}

/** A client socket with a frame reader, and whether (and when) the other side closed it. */
export class RawConnection {
  readonly frames: ReceivedFrame[] = [];
  private readonly decoder = new FrameDecoder(1 << 20);
  private closedFlag = false;
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      this.decoder.push(chunk);
      for (let r = this.decoder.next(); r.type === "frame"; r = this.decoder.next()) {
        // Copy: the payload is a window into a chunk.
        this.frames.push({ version: r.version, kind: r.kind, payload: Buffer.from(payloadOf(r)) });
      }
    });
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.closedFlag = true;
        resolve();
      }),
    );
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  send(kind: number, payload: Uint8Array): void {
    this.socket.write(encodeFrame(kind as FrameKind, payload));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  async nextFrame(): Promise<ReceivedFrame> {
    const seen = this.frames.length;
    await waitFor(() => this.frames.length > seen || this.closedFlag, "a frame from the server");
    const frame = this.frames[seen];
    if (frame === undefined) throw new Error("connection closed before a frame arrived");
    return frame;
  }

  destroy(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }
}
