import { connect, type Socket } from "node:net";
import type { ProxyCounters } from "./counters.js";
import { DirectionPipe, type PipeSettings } from "./direction-pipe.js";
import type { ResolvedLinkFaults } from "./faults.js";
import { deriveSeed, seededRng } from "./rng.js";

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** What a connection needs from the proxy that accepted it. */
export interface ConnectionHost {
  /** The link's faults now (read per frame, so changes apply at once). */
  faults(): ResolvedLinkFaults;
  readonly counters: ProxyCounters;
  readonly settings: PipeSettings;
}

/**
 * One accepted connection and the one it opened to the target, with a DirectionPipe each way.
 *
 * Half-closes pass through (both sockets allow half-open): when the dialer ends its side,
 * the target's side is ended only after every held frame is written, so a delayed frame is
 * never cut off by a FIN that overtook it. When either socket closes for good (error, reset,
 * or both sides ended) the pair is torn down together.
 */
export class ProxiedConnection {
  private readonly target: Socket;
  private readonly pipes: DirectionPipe[] = [];
  private connected = false;
  private torn = false;
  /** Resolves once both sockets have emitted 'close'. */
  readonly closed: Promise<void>;

  /**
   * @param client the accepted socket, paused (the server uses pauseOnConnect) so nothing is
   *   read before the target is reached.
   * @param seed this connection's seed; its two directions get independent streams from it.
   */
  constructor(
    private readonly client: Socket,
    targetAddress: Address,
    seed: number,
    private readonly host: ConnectionHost,
  ) {
    // Like the transport: frames are small and latency matters; Nagle would add delay of its own.
    client.setNoDelay(true);
    // Errors always end in 'close', which tears the pair down; without a listener they would crash the process.
    client.on("error", () => {});
    const target = connect({ host: targetAddress.host, port: targetAddress.port, allowHalfOpen: true });
    this.target = target;
    target.setNoDelay(true);
    target.on("error", () => {});
    target.once("connect", () => this.onConnect(seed));
    const closedClient = new Promise<void>((resolve) => client.once("close", () => resolve()));
    const closedTarget = new Promise<void>((resolve) =>
      target.once("close", () => {
        // A target that never answered: the dialer sees its connection close, as if refused.
        if (!this.connected && !this.torn) host.counters.targetFailures++;
        resolve();
      }),
    );
    client.once("close", () => this.teardown());
    target.once("close", () => this.teardown());
    this.closed = Promise.all([closedClient, closedTarget]).then(() => undefined);
  }

  /** False once torn down (its sockets may still be closing). */
  get live(): boolean {
    return !this.torn;
  }

  /** Held bytes per direction, for tests and reports. */
  queuedBytes(): { forward: number; backward: number } {
    return { forward: this.pipes[0]?.queuedBytes ?? 0, backward: this.pipes[1]?.queuedBytes ?? 0 };
  }

  /**
   * Cuts the connection abruptly: an RST to both ends where the socket is connected (the
   * dialer sees ECONNRESET, as when a host drops its connections), else a plain destroy.
   */
  sever(): void {
    if (this.torn) return;
    resetSocket(this.client);
    resetSocket(this.target);
    this.teardown();
  }

  /** Destroys both sockets; every timer and held frame goes with the pipes. Idempotent. */
  teardown(): void {
    if (this.torn) return;
    this.torn = true;
    for (const p of this.pipes) p.stop();
    this.client.destroy();
    this.target.destroy();
  }

  private onConnect(seed: number): void {
    if (this.torn) return;
    this.connected = true;
    const { counters, settings } = this.host;
    const onFrameTooLarge = (): void => {
      counters.frameErrors++;
      this.teardown();
    };
    this.pipes.push(
      new DirectionPipe({
        source: this.client,
        dest: this.target,
        rng: seededRng(deriveSeed(seed, 0)),
        faults: () => this.host.faults().forward,
        counters: counters.forward,
        settings,
        onFrameTooLarge,
      }),
      new DirectionPipe({
        source: this.target,
        dest: this.client,
        rng: seededRng(deriveSeed(seed, 1)),
        faults: () => this.host.faults().backward,
        counters: counters.backward,
        settings,
        onFrameTooLarge,
      }),
    );
    for (const p of this.pipes) p.start();
  }
}

/** RST where possible (a connected socket), else destroy. */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
