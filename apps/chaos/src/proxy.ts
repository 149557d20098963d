import { createServer, type Server, type Socket } from "node:net";
import { ProxiedConnection, resetSocket, type Address, type ConnectionHost } from "./connection.js";
import { copyCounters, newProxyCounters, type ProxyCounters } from "./counters.js";
import type { PipeSettings } from "./direction-pipe.js";
import { FaultConfigError, resolveLinkFaults, type LinkFaults, type ResolvedLinkFaults } from "./faults.js";
import { drawSeed, type Rng } from "./rng.js";

/**
 * Frames at the start of each direction of each connection that drop and duplicate spare.
 *
 * 2, from packages/transport-tcp's handshake: the dialer writes HELLO then AUTH (2 frames)
 * before its first MESSAGE (which may follow AUTH at once); the listener writes WELCOME, then
 * a REJECT if it refuses AUTH, or REJECT alone if it refuses HELLO (at most 2), and nothing
 * after the handshake (its own messages go out on its own outbound connection). So 2 covers
 * the whole handshake in both directions, and in the forward direction the first frame at
 * risk is exactly the first MESSAGE. Losing or doubling a handshake frame would break the
 * HMAC exchange and test only the handshake's failure path, not Raft under loss.
 */
export const DEFAULT_HANDSHAKE_FRAMES = 2;
/** Above the transport's own default limit (4 MiB), so the proxy never refuses what a node would accept. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Per direction of each connection, the bytes that may be held for delay before reading pauses. */
export const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024;

export interface FaultProxyOptions {
  /** Where every accepted connection is forwarded (the real listener of the link's target node). */
  readonly target: Address;
  /**
   * The source of every random decision. Each accepted connection draws one seed from it
   * and derives independent streams for its two directions, so a proxy built with the same
   * seeded Rng makes the same decisions for the n-th frame of the k-th connection.
   */
  readonly rng: Rng;
  /** Default 127.0.0.1, port 0 (the OS picks one; start() returns it). */
  readonly listen?: { readonly host?: string; readonly port?: number };
  /** Faults from the start. Default none. */
  readonly faults?: LinkFaults;
  /** Default DEFAULT_HANDSHAKE_FRAMES (2). */
  readonly handshakeFrames?: number;
  /** Largest frame `length` relayed; a larger one closes that connection. Default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** Default 16 MiB. */
  readonly maxQueuedBytes?: number;
}

/**
 * A fault-injecting TCP proxy for one directed peer link. It listens, forwards every accepted
 * connection to `target`, and relays both directions frame by frame, applying the faults in
 * force when each frame arrives (see LinkFaults). Frames of one connection stay in order.
 *
 * The proxy only works on plaintext connections: inside TLS the length prefixes it parses are
 * encrypted. Run chaos clusters with the shared secret (the HMAC handshake) and without TLS.
 */
export class FaultProxy {
  private server: Server | undefined;
  private bound: Address | undefined;
  private readonly connections = new Set<ProxiedConnection>();
  private current: ResolvedLinkFaults;
  private target: Address;
  private readonly rng: Rng;
  private readonly listenAt: { readonly host: string; readonly port: number };
  private readonly live: ProxyCounters = newProxyCounters();
  private readonly host: ConnectionHost;
  private closing: Promise<void> | undefined;

  constructor(options: FaultProxyOptions) {
    const settings: PipeSettings = {
      handshakeFrames: integerOption("handshakeFrames", options.handshakeFrames ?? DEFAULT_HANDSHAKE_FRAMES, 0, Number.MAX_SAFE_INTEGER),
      maxFrameBytes: integerOption("maxFrameBytes", options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 1, 0xffff_ffff),
      maxQueuedBytes: integerOption("maxQueuedBytes", options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES, 1, Number.MAX_SAFE_INTEGER),
    };
    this.current = resolveLinkFaults(options.faults ?? {});
    this.target = options.target;
    this.rng = options.rng;
    this.listenAt = { host: options.listen?.host ?? "127.0.0.1", port: options.listen?.port ?? 0 };
    // The connections read the faults through this object, so setFaults reaches them at once.
    this.host = {
      faults: () => this.current,
      counters: this.live,
      settings,
    };
  }

  /** Starts listening; resolves with the bound address. */
  async start(): Promise<Address> {
    if (this.server !== undefined) throw new Error("FaultProxy already started");
    // allowHalfOpen: a dialer's FIN is passed on only after the frames held before it.
    // pauseOnConnect: read nothing from a dialer until its target connection is up.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.listenAt.port, this.listenAt.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    // A listening server reports errors only for accept failures (say, out of file
    // descriptors); those lose one connection, which a chaos run tolerates by design.
    server.on("error", () => {});
    const a = server.address();
    if (a === null || typeof a === "string") throw new Error("FaultProxy: no TCP address");
    this.bound = { host: a.address, port: a.port };
    return this.bound;
  }

  /** The address dialers should use (after start()). */
  get address(): Address {
    if (this.bound === undefined) throw new Error("FaultProxy not started");
    return this.bound;
  }

  get targetAddress(): Address {
    return this.target;
  }

  /**
   * Where new connections go from now on (the target node restarted on another port).
   * Current connections keep their target; call reset() to move them too.
   */
  setTarget(target: Address): void {
    this.target = target;
  }

  /** The faults in force. */
  get faults(): ResolvedLinkFaults {
    return this.current;
  }

  /**
   * Replaces the faults (it does not merge: omitted fields mean none). Frames already held
   * for delay keep their due times; every frame arriving from now on gets the new faults.
   * Becoming blocked in "reset" mode severs every current connection.
   * Throws FaultConfigError, changing nothing, for an invalid setting.
   */
  setFaults(faults: LinkFaults): void {
    this.current = resolveLinkFaults(faults);
    if (this.current.blocked === "reset") this.live.connectionsReset += this.severAll();
  }

  /** Severs every current connection once (RST to both ends); returns how many. New connections are accepted as usual. */
  reset(): number {
    const n = this.severAll();
    this.live.connectionsReset += n;
    return n;
  }

  /** Connections being relayed now. */
  get connectionCount(): number {
    let n = 0;
    for (const c of this.connections) if (c.live) n++;
    return n;
  }

  /** Held-for-delay bytes of every current connection, per direction (for tests of the memory bound). */
  queuedBytes(): Array<{ forward: number; backward: number }> {
    return [...this.connections].map((c) => c.queuedBytes());
  }

  /** A snapshot of the counters. */
  counters(): ProxyCounters {
    return copyCounters(this.live);
  }

  /**
   * Stops listening and destroys every connection; resolves when the server and every
   * socket have closed. No timer outlives it. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    const serverClosed =
      server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve())); // an error here only means "not listening"
    const connections = [...this.connections];
    for (const c of connections) c.teardown();
    await Promise.all([serverClosed, ...connections.map((c) => c.closed)]);
  }

  private onConnection(socket: Socket): void {
    this.live.connectionsAccepted++;
    socket.on("error", () => {});
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    if (this.current.blocked === "reset") {
      // Accept and reset at once: the dialer's connect succeeds and then fails, and it
      // backs off as it would from a refused connection.
      this.live.connectionsRefused++;
      resetSocket(socket);
      return;
    }
    const conn = new ProxiedConnection(socket, this.target, drawSeed(this.rng), this.host);
    this.connections.add(conn);
    void conn.closed.then(() => this.connections.delete(conn));
  }

  private severAll(): number {
    // Only live ones: a severed connection stays in the set until its sockets report 'close'.
    const live = [...this.connections].filter((c) => c.live);
    for (const c of live) c.sever();
    return live.length;
  }
}

function integerOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new FaultConfigError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}
