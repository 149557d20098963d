import { connect, type Socket } from "node:net";
import {
  clientMac,
  decodeReject,
  decodeWelcome,
  encodeAuth,
  encodeFrame,
  encodeHello,
  FrameDecoder,
  FrameKind,
  HANDSHAKE_MAX_FRAME_BYTES,
  serverMac,
  verifyMac,
  type Transcript,
} from "@raft-ts/transport-tcp";
import { hexPreview } from "../mutate.js";
import { accepted, FuzzFailure, rejected, type Outcome } from "../types.js";
import type { NetworkTarget } from "./network.js";
import { raftCaseArb, type Identity, type RaftCase } from "./raft-cases.js";
import type { FuzzNode } from "./real-node.js";

/** A raw connection to the node's Raft port, reading the (handshake) frames the node sends. */
class RawPeer {
  private readonly decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
  private readonly frames: { kind: number; payload: Buffer }[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.decoder.push(chunk);
      for (let r = this.decoder.next(); r.type === "frame"; r = this.decoder.next()) this.frames.push({ kind: r.kind, payload: Buffer.from(r.bytes.subarray(r.start, r.end)) });
      this.wake();
    });
    socket.on("error", () => {}); // resets: "close" follows
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => resolve(new RawPeer(socket)));
      socket.once("error", (e: NodeJS.ErrnoException) =>
        reject(e.code === "ECONNREFUSED" ? new FuzzFailure("exit", "the Raft port refused a connection: the node is down") : e),
      );
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves on the next frame or close, or after `ms`. */
  private change(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** The next frame the node sends, or undefined if it closes or stays silent for `ms`. */
  async nextFrame(ms: number): Promise<{ kind: number; payload: Buffer } | undefined> {
    const deadline = performance.now() + ms;
    while (this.frames.length === 0 && !this.closed && performance.now() < deadline) await this.change(deadline - performance.now());
    return this.frames.shift();
  }

  /** Waits until the node closes the connection, or it has been quiet for `idleMs`; true if closed. */
  async waitClose(idleMs: number): Promise<boolean> {
    const deadline = performance.now() + idleMs;
    while (!this.closed && performance.now() < deadline) await this.change(deadline - performance.now());
    return this.closed;
  }

  rejectReason(): string | undefined {
    const r = this.frames.find((f) => f.kind === FrameKind.Reject);
    return r === undefined ? undefined : decodeReject(r.payload);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export const RAFT_PORT_DESCRIPTION = "a real node's Raft port: malformed frames before, during and after the HMAC handshake";

/**
 * How long a connection the node has not closed is watched before it counts as kept open.
 * The node closes a bad connection as soon as it reads the bad frame: a few milliseconds.
 */
const KEPT_OPEN_MS = 150;

/**
 * A real node's Raft port: malformed frames from a stranger, after a valid HELLO, and on a
 * connection authenticated as the learner node 2. The node must close the connection (with a
 * REJECT where the protocol has one) or keep reading, and go on running: a valid HELLO left
 * unanswered, a refused connection or an exit is a crash. Connections authenticated as node 2
 * take turns (a new one replaces the old); the others run alongside.
 */
export function raftTarget(node: FuzzNode): NetworkTarget<RaftCase> {
  const id: Identity = { clusterId: node.clusterId, serverId: node.id, clientId: node.peerId };
  const secret = Buffer.from(node.secret, "utf8");
  let authenticatedTurn: Promise<unknown> = Promise.resolve();

  const handshake = async (peer: RawPeer, c: RaftCase): Promise<void> => {
    const hello = { clusterId: id.clusterId, clientId: id.clientId, serverId: id.serverId, nonce: c.nonce };
    peer.write(encodeFrame(FrameKind.Hello, encodeHello(hello)));
    const answer = await peer.nextFrame(3000);
    if (answer?.kind !== FrameKind.Welcome) {
      const why = answer === undefined ? (peer.closed ? "closed the connection" : "did not answer within 3000 ms") : `answered frame kind ${answer.kind} (${peer.rejectReason() ?? ""})`;
      throw new FuzzFailure(answer === undefined && !peer.closed ? "hang" : "invariant", `the node ${why} to a valid HELLO from node ${id.clientId}`);
    }
    const welcome = decodeWelcome(answer.payload);
    if (!welcome.ok) throw new FuzzFailure("invariant", `the node's WELCOME does not decode: ${welcome.error}`);
    const t: Transcript = { clusterId: id.clusterId, clientId: id.clientId, serverId: id.serverId, clientNonce: c.nonce, serverNonce: welcome.value.nonce };
    if (!verifyMac(secret, welcome.value.mac, (s) => serverMac(s, t))) throw new FuzzFailure("invariant", "the node's WELCOME does not prove the cluster secret");
    if (c.stage === "authenticated") peer.write(encodeFrame(FrameKind.Auth, encodeAuth({ mac: clientMac(secret, t) })));
  };

  const exchange = async (c: RaftCase): Promise<Outcome> => {
    const peer = await RawPeer.open(node.raftPort);
    try {
      if (c.stage !== "stranger") await handshake(peer, c);
      peer.write(c.bytes);
      const closed = await peer.waitClose(KEPT_OPEN_MS);
      if (node.exited !== undefined) throw new FuzzFailure("exit", node.exited);
      if (!closed) return accepted(`${c.stage}: kept open`);
      const reason = peer.rejectReason();
      return rejected(`${c.stage}: ${reason === undefined ? "closed" : `REJECT ${reason}`}`);
    } finally {
      peer.destroy();
    }
  };

  return {
    name: "raft-port",
    description: RAFT_PORT_DESCRIPTION,
    arbitrary: raftCaseArb(id),
    concurrency: 4,
    show: (c) => `${c.stage}: ${hexPreview(c.bytes, 200)}`,
    run(c): Promise<Outcome> {
      if (c.stage !== "authenticated") return exchange(c);
      const turn = authenticatedTurn.then(() => exchange(c));
      authenticatedTurn = turn.catch(() => undefined);
      return turn;
    },
  };
}
