import { connect, createServer, type Server, type Socket } from "node:net";
import { FaultProxy, seededRng, type FaultProxyOptions } from "../src/index.js";

/** Polls `condition` until it holds or the deadline passes (generous: the machine is shared). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A test frame: the raft-ts layout (length:u32 BE, version, kind, payload) with a sequence
 * number first in the payload and `filler` patterned bytes after it, so corruption shows.
 */
export function frame(seq: number, filler = 0): Buffer {
  const length = 2 + 4 + filler;
  const buf = Buffer.allocUnsafe(4 + length);
  buf.writeUInt32BE(length, 0);
  buf[4] = 2; // version
  buf[5] = 5; // MESSAGE
  buf.writeUInt32BE(seq, 6);
  for (let i = 0; i < filler; i++) buf[10 + i] = (seq + i) & 0xff;
  return buf;
}

export function seqOf(f: Buffer): number {
  return f.readUInt32BE(6);
}

/** The frames in `stream` (a test-side parser, independent of the proxy's). */
export class TestFrameParser {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const total = 4 + this.buf.readUInt32BE(0);
      if (this.buf.length < total) break;
      out.push(Buffer.from(this.buf.subarray(0, total)));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }
}

export interface Arrival {
  readonly frame: Buffer;
  readonly seq: number;
  /** performance.now() when it was parsed. */
  readonly at: number;
}

/** Records the frames arriving on a socket, and when it closes. */
export class FrameSink {
  readonly arrivals: Arrival[] = [];
  closed = false;
  readonly whenClosed: Promise<void>;
  constructor(readonly socket: Socket) {
    const parser = new TestFrameParser();
    socket.on("data", (chunk: Buffer) => {
      const at = performance.now();
      for (const f of parser.push(chunk)) this.arrivals.push({ frame: f, seq: seqOf(f), at });
    });
    socket.on("error", () => {});
    this.whenClosed = new Promise((resolve) =>
      socket.once("close", () => {
        this.closed = true;
        resolve();
      }),
    );
  }
  get seqs(): number[] {
    return this.arrivals.map((a) => a.seq);
  }
}

/**
 * Owns everything a test opens (proxies, servers, sockets) and closes it all in afterEach,
 * so no test leaks a handle into the next.
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

  /**
   * A plain TCP server standing in for the target node: records frames per connection;
   * `echo` writes every byte back; `paused` reads nothing until the test resumes the socket.
   */
  async target(o: { echo?: boolean; paused?: boolean } = {}): Promise<TestTarget> {
    const t = new TestTarget(o.echo ?? false, o.paused ?? false);
    this.defer(() => t.close());
    await t.listen();
    return t;
  }

  async proxy(target: TestTarget | { port: number }, options: Partial<FaultProxyOptions> = {}): Promise<FaultProxy> {
    const proxy = new FaultProxy({ target: { host: "127.0.0.1", port: target.port }, rng: seededRng(42), ...options });
    this.defer(() => proxy.close());
    await proxy.start();
    return proxy;
  }

  /**
   * A client socket, recording the frames it receives. Resolves once connected, or once
   * closed if the connection failed (a proxy that resets it may beat the 'connect' event).
   */
  async client(port: number): Promise<FrameSink> {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setNoDelay(true);
    const sink = new FrameSink(socket);
    this.defer(() => {
      socket.destroy();
      return sink.whenClosed;
    });
    await Promise.race([new Promise<void>((resolve) => socket.once("connect", resolve)), sink.whenClosed]);
    return sink;
  }
}

export class TestTarget {
  private readonly server: Server;
  /** One sink per accepted connection, in accept order. */
  readonly connections: FrameSink[] = [];
  port = 0;

  constructor(echo: boolean, paused: boolean) {
    this.server = createServer((socket) => {
      socket.setNoDelay(true);
      this.connections.push(new FrameSink(socket));
      if (echo) socket.on("data", (chunk: Buffer) => socket.write(chunk));
      if (paused) socket.pause();
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const a = this.server.address();
    if (a === null || typeof a === "string") throw new Error("no address");
    this.port = a.port;
  }

  /** Every frame received, over all connections, in connection order. */
  get seqs(): number[] {
    return this.connections.flatMap((c) => c.seqs);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await Promise.all(this.connections.map((c) => c.whenClosed));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Writes frames seq from..to-1 (with `filler` bytes each) to `socket`, in one write. */
export function sendFrames(socket: Socket, from: number, to: number, filler = 0): void {
  const frames: Buffer[] = [];
  for (let s = from; s < to; s++) frames.push(frame(s, filler));
  socket.write(Buffer.concat(frames));
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
