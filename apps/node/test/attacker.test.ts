import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Membership, Message, NodeId } from "@raft-ts/core";
import {
  clientMac,
  decodeAuth,
  decodeHello,
  decodeMessage,
  decodeReject,
  decodeWelcome,
  encodeAuth,
  encodeFrame,
  encodeHello,
  encodeMessageFrame,
  FrameKind,
  MAC_BYTES,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  serverMac,
  verifyMac,
  type Transcript,
  type Welcome,
} from "@raft-ts/transport-tcp";
import { afterEach, describe, expect, it } from "vitest";
import { parseHostPort } from "../src/config.js";
import { encodeCommand } from "../src/kv/commands.js";
import { encodeKvSnapshot } from "../src/kv/snapshot-codec.js";
import { encodeMemberAddress } from "../src/membership/address-book.js";
import { ProcessCluster, request, sleep, type StatusBody } from "./cluster-harness.js";

/**
 * An attacker on 127.0.0.1 who does not know the cluster secret, against three real node
 * processes that share one: it must not be able to append entries, make a node vote or change
 * term, or read anything, whether it skips the handshake, runs it with a wrong secret, or
 * replays a handshake recorded from a real peer. Every node dials its peers through a small
 * recording proxy (the nodes' `dialOverrides`), which is how the genuine handshake bytes are
 * obtained. The test ends with a positive control: the very same frames, sent after a handshake
 * with the right secret, do take effect, so the negative results are not vacuous.
 */

const SECRET = randomBytes(24).toString("base64");
const WRONG_SECRET = randomBytes(24).toString("base64");
const FAKE_KEY = "attacker-key";
const FAKE_VALUE = "attacker-value";
const FAKE_SNAPSHOT_KEY = "attacker-snapshot-key";
/** How far above the cluster's term the attacker's messages claim to be. */
const APPEND_TERM_STEP = 100;
const VOTE_TERM_STEP = 1000;
const SNAPSHOT_TERM_STEP = 200;
/** Above the node's 3 s handshake timeout: a node that neither closes nor times out fails the test. */
const CLOSE_WAIT_MS = 6000;
const HONEST_KEYS = Array.from({ length: 5 }, (_, i) => [`honest-${i}`, `honest-value-${i}`] as const);

/** /status as the node serves it (the harness's StatusBody names only some fields). */
interface Status extends StatusBody {
  clusterId: string;
  vote: number | null;
  lastTerm: number;
  voters: number[];
}

interface ConfigNode {
  id: number;
  raft: string;
  http: string;
}

interface RawFrame {
  /** The whole frame as it was on the wire, length prefix included. */
  readonly raw: Buffer;
  readonly version: number;
  readonly kind: number;
  readonly payload: Buffer;
}

/**
 * Cuts bytes into frames by the wire format (u32 length | version | kind | payload), written
 * here rather than taken from the transport so that what the node sent is read independently.
 */
function splitFrames(bytes: Buffer): { frames: RawFrame[]; rest: number } {
  const frames: RawFrame[] = [];
  let at = 0;
  while (bytes.length - at >= 4) {
    const length = bytes.readUInt32BE(at);
    if (length < 2 || bytes.length - at - 4 < length) break;
    const raw = bytes.subarray(at, at + 4 + length);
    frames.push({ raw, version: raw[4]!, kind: raw[5]!, payload: raw.subarray(6) });
    at += 4 + length;
  }
  return { frames, rest: bytes.length - at };
}

// ---- a recording TCP proxy, put between each node and the peers that dial it ------------------

interface Recording {
  readonly client: Buffer[];
  readonly server: Buffer[];
}

const RECORD_CAP_BYTES = 256 * 1024;

class RecordingProxy {
  readonly recordings: Recording[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly upstreamPort: number) {
    this.server = createServer((inbound) => this.accept(inbound));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return (this.server.address() as { port: number }).port;
  }

  private accept(inbound: Socket): void {
    const rec: Recording = { client: [], server: [] };
    this.recordings.push(rec);
    const upstream = connect(this.upstreamPort, "127.0.0.1");
    let clientBytes = 0;
    let serverBytes = 0;
    for (const s of [inbound, upstream]) {
      this.sockets.add(s);
      s.on("error", () => {});
      s.once("close", () => {
        this.sockets.delete(s);
        inbound.destroy();
        upstream.destroy();
      });
    }
    inbound.on("data", (chunk: Buffer) => {
      if (clientBytes < RECORD_CAP_BYTES) rec.client.push(Buffer.from(chunk));
      clientBytes += chunk.length;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (serverBytes < RECORD_CAP_BYTES) rec.server.push(Buffer.from(chunk));
      serverBytes += chunk.length;
      inbound.write(chunk);
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

// ---- the attacker's connections -------------------------------------------------------------

/** One attacker connection: keeps every byte the node sends and how the connection ended. */
class AttackerConnection {
  private readonly chunks: Buffer[] = [];
  private closedByUs = false;
  private isClosed = false;
  /** A socket error (ECONNRESET when the node resets), or undefined. */
  error: string | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.chunks.push(Buffer.from(chunk)));
    socket.on("error", (e: NodeJS.ErrnoException) => {
      this.error = e.code ?? e.message;
    });
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static async open(port: number, all: Set<AttackerConnection>): Promise<AttackerConnection> {
    const socket = connect(port, "127.0.0.1");
    const conn = new AttackerConnection(socket);
    all.add(conn);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connecting to 127.0.0.1:${port} timed out`)), 5000);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    return conn;
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  write(bytes: Buffer): void {
    if (!this.isClosed) this.socket.write(bytes);
  }

  /** Waits (bounded) for the node's next complete frame; undefined if the connection closed first. */
  async frame(index: number, timeoutMs = 5000): Promise<RawFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { frames } = splitFrames(this.received);
      if (frames.length > index) return frames[index];
      if (this.isClosed) return undefined;
      if (Date.now() > deadline) throw new Error(`no frame ${index} from the node within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  /** Waits (bounded) for the node to close the connection; true if it did, false if we had to. */
  async closedByNode(timeoutMs = CLOSE_WAIT_MS): Promise<boolean> {
    await Promise.race([this.closed, sleep(timeoutMs)]);
    if (!this.isClosed) {
      this.closedByUs = true;
      this.socket.destroy();
      await this.closed;
    }
    return !this.closedByUs;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** What one attacker connection did and saw. */
interface Attempt {
  readonly label: string;
  readonly closedByNode: boolean;
  readonly received: Buffer;
  readonly error: string | undefined;
}

// ---- the attack frames ----------------------------------------------------------------------

/**
 * The messages a forger would send to `target`, claiming to be `claimed`, built against the
 * target's current state so that each would take effect if delivered:
 * - an AppendEntries from a "leader" of a much higher term whose log check matches the target's
 *   log, carrying a put of FAKE_KEY and a commit index that commits it at once;
 * - a VoteRequest of a much higher term with an unbeatable log, flagged as a leadership
 *   transfer (voters answer those even inside the leader lease);
 * - a TimeoutNow of the current term (a follower campaigns at once: its term would rise);
 * - an InstallSnapshot far ahead of the log, holding a state with FAKE_SNAPSHOT_KEY.
 */
function attackMessages(claimed: NodeId, target: NodeId, base: Status, membership: Membership): Message[] {
  const t = base.term;
  const next = base.lastIndex + 1;
  const put = encodeCommand({ op: "put", clientId: "attacker", seq: 1, key: FAKE_KEY, value: new TextEncoder().encode(FAKE_VALUE) });
  const snapshotIndex = base.lastIndex + 500;
  const snapshot = encodeKvSnapshot({
    applied: snapshotIndex,
    data: new Map([[FAKE_SNAPSHOT_KEY, new TextEncoder().encode(FAKE_VALUE)]]),
    sessions: new Map(),
  });
  return [
    {
      type: "AppendEntries",
      from: claimed,
      to: target,
      term: t + APPEND_TERM_STEP,
      prevLogIndex: base.lastIndex,
      prevLogTerm: base.lastTerm,
      leaderCommit: next,
      entries: [{ index: next, term: t + APPEND_TERM_STEP, type: "normal", data: put }],
    },
    {
      type: "VoteRequest",
      from: claimed,
      to: target,
      term: t + VOTE_TERM_STEP,
      preVote: false,
      lastLogIndex: base.lastIndex + VOTE_TERM_STEP,
      lastLogTerm: t + VOTE_TERM_STEP,
      transfer: true,
    },
    { type: "TimeoutNow", from: claimed, to: target, term: t },
    {
      type: "InstallSnapshot",
      from: claimed,
      to: target,
      term: t + SNAPSHOT_TERM_STEP,
      meta: { index: snapshotIndex, term: t + SNAPSHOT_TERM_STEP, membership },
      offset: 0,
      data: snapshot,
      done: true,
    },
  ];
}

/**
 * Each message as a MESSAGE frame, checked to be one a node would understand: the frame header
 * is right and the payload decodes back to the very message (so a refusal below is the
 * handshake's doing, not a malformed frame's).
 */
function framesOf(messages: readonly Message[]): Buffer[] {
  return messages.map((m) => {
    const frame = encodeMessageFrame(m);
    const [parsed] = splitFrames(frame).frames;
    expect(parsed?.raw.length).toBe(frame.length);
    expect(parsed?.version).toBe(PROTOCOL_VERSION);
    expect(parsed?.kind).toBe(FrameKind.Message);
    const decoded = decodeMessage(parsed!.payload);
    expect(decoded).toEqual({ ok: true, message: m });
    return frame;
  });
}

/**
 * Asserts that `received` is nothing but what a node sends before authentication: at most a
 * WELCOME (only if `welcome`) and then at most a REJECT, whole frames, nothing after, and in
 * particular no MESSAGE frame and none of the cluster's values.
 */
function expectOnlyPreAuthReplies(a: Attempt, opts: { welcome: boolean; target: NodeId; clusterId: string }): { welcome: Welcome | undefined; reject: string | undefined } {
  const { frames, rest } = splitFrames(a.received);
  expect(rest, `${a.label}: bytes after the last whole frame`).toBe(0);
  let welcome: Welcome | undefined;
  let reject: string | undefined;
  frames.forEach((f, i) => {
    expect(f.version, `${a.label}: frame ${i} version`).toBe(PROTOCOL_VERSION);
    expect(f.kind, `${a.label}: frame ${i} kind (no MESSAGE frame may reach an attacker)`).not.toBe(FrameKind.Message);
    if (f.kind === FrameKind.Welcome && i === 0 && opts.welcome) {
      const w = decodeWelcome(f.payload);
      expect(w.ok, `${a.label}: WELCOME decodes`).toBe(true);
      if (w.ok) {
        welcome = w.value;
        expect(w.value.serverId).toBe(opts.target);
        expect(w.value.clusterId).toBe(opts.clusterId);
      }
    } else if (f.kind === FrameKind.Reject && i === frames.length - 1) {
      reject = decodeReject(f.payload);
    } else {
      expect.fail(`${a.label}: unexpected frame ${i} of kind ${f.kind} (of ${frames.length})`);
    }
  });
  for (const [, value] of HONEST_KEYS) expect(a.received.includes(Buffer.from(value)), `${a.label}: received a stored value`).toBe(false);
  return { welcome, reject };
}

// ---- reading the nodes ----------------------------------------------------------------------

async function statusOf(c: ProcessCluster, id: number): Promise<Status> {
  const r = await request("GET", `${c.url(id)}/status`);
  expect(r.status, `node ${id} /status`).toBe(200);
  return JSON.parse(r.text) as Status;
}

async function allStatus(c: ProcessCluster): Promise<Map<number, Status>> {
  const out = new Map<number, Status>();
  for (const id of [1, 2, 3]) out.set(id, await statusOf(c, id));
  return out;
}

/** The node's handshake failure counters, by reason (absent reasons read as 0). */
async function handshakeFailures(c: ProcessCluster, id: number): Promise<Map<string, number>> {
  const text = (await request("GET", `${c.url(id)}/metrics`)).text;
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("raft_transport_handshake_failures_total{")) continue;
    const reason = /reason="([^"]*)"/.exec(line)?.[1];
    if (reason !== undefined) out.set(reason, (out.get(reason) ?? 0) + Number(line.split(" ").pop()));
  }
  return out;
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

// ---- the test -------------------------------------------------------------------------------

let cluster: ProcessCluster | undefined;
const proxies: RecordingProxy[] = [];
const connections = new Set<AttackerConnection>();

afterEach(async () => {
  for (const conn of connections) conn.destroy();
  connections.clear();
  try {
    await cluster?.stop();
  } finally {
    cluster = undefined;
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  }
});

describe("an attacker on 127.0.0.1 without the cluster secret, against three node processes", () => {
  it("cannot append entries, make a node vote or change term, or read anything; a replayed handshake fails", { timeout: 110_000 }, async () => {
    // -- a 3-node cluster with a secret, every peer link through a recording proxy --
    const c = new ProcessCluster(3);
    cluster = c;
    // Long election timeouts: the term and leader must stay put for honest reasons while the
    // attack runs on a loaded machine, so that any change is the attacker's.
    await c.init({ tickMs: 10, electionTimeoutMs: [1000, 2000], heartbeatMs: 100 });
    const configFile = join(c.dir, "cluster.json");
    if (!existsSync(configFile)) throw new Error(`the harness no longer writes ${configFile}; this test adds the secret to it`);
    const config = JSON.parse(readFileSync(configFile, "utf8")) as { clusterId: string; nodes: ConfigNode[] } & Record<string, unknown>;
    const raftPort = new Map(config.nodes.map((n) => [n.id, parseHostPort(n.raft)!.port]));
    const dialOverrides: Record<string, string> = {};
    const proxyOf = new Map<number, RecordingProxy>();
    for (const n of config.nodes) {
      const proxy = new RecordingProxy(raftPort.get(n.id)!);
      proxies.push(proxy);
      proxyOf.set(n.id, proxy);
      dialOverrides[String(n.id)] = `127.0.0.1:${await proxy.listen()}`;
    }
    writeFileSync(configFile, JSON.stringify({ ...config, secret: SECRET, dialOverrides }, null, 2));
    const clusterId = config.clusterId;
    const membership: Membership = {
      members: config.nodes.map((n) => ({ id: n.id, role: "voter", address: encodeMemberAddress({ raft: parseHostPort(n.raft)!, http: parseHostPort(n.http)! }) })),
    };
    c.startAll();
    const leader = await c.waitForLeader();

    // -- honest writes, then the state every node has once they are applied everywhere --
    let lastWrite = 0;
    for (const [key, value] of HONEST_KEYS) {
      const r = await request("PUT", `${c.url(leader)}/kv/${key}`, value);
      expect(r.status, r.text).toBe(200);
      lastWrite = Math.max(lastWrite, (JSON.parse(r.text) as { index: number }).index);
    }
    for (const id of [1, 2, 3]) await c.waitForApplied(id, lastWrite);
    // Followers learn the commit index from the leader's next heartbeat.
    await waitUntil("every node reports the same commit index", 10_000, async () => {
      const s = await allStatus(c);
      return [...s.values()].every((x) => x.commit === lastWrite && x.applied === lastWrite && x.lastIndex === lastWrite);
    });
    const before = await allStatus(c);
    for (const s of before.values()) {
      expect(s.leader).toBe(leader);
      expect(s.clusterId).toBe(clusterId);
    }
    expect(before.get(leader)!.role).toBe("leader");

    // The target: a follower; the attacker claims to be the other follower.
    const target = [1, 2, 3].find((id) => id !== leader)!;
    const claimed = [1, 2, 3].find((id) => id !== leader && id !== target)!;
    const targetPort = raftPort.get(target)!;
    const base = before.get(target)!;
    expect(base.role).toBe("follower");
    const failuresBefore = await handshakeFailures(c, target);

    const attempts: Attempt[] = [];
    const finish = async (label: string, conn: AttackerConnection): Promise<void> => {
      const closedByNode = await conn.closedByNode();
      attempts.push({ label, closedByNode, received: conn.received, error: conn.error });
    };
    const messages = attackMessages(claimed, target, base, membership);
    const frames = framesOf(messages);

    // -- 1. Raft frames with no handshake at all, one connection per frame --
    for (const [i, frame] of frames.entries()) {
      const conn = await AttackerConnection.open(targetPort, connections);
      conn.write(frame);
      await finish(`no handshake, ${messages[i]!.type}`, conn);
    }

    // -- 2. the handshake done right, but with a wrong secret, then the frames --
    let wrongSecretWelcome: Welcome | undefined;
    for (const [i, frame] of frames.entries()) {
      const conn = await AttackerConnection.open(targetPort, connections);
      const nonce = randomBytes(NONCE_BYTES);
      conn.write(encodeFrame(FrameKind.Hello, encodeHello({ clusterId, clientId: claimed, serverId: target, nonce })));
      const reply = await conn.frame(0);
      expect(reply?.kind, "the node answers a well-formed HELLO with WELCOME").toBe(FrameKind.Welcome);
      const welcome = decodeWelcome(reply!.payload);
      if (!welcome.ok) throw new Error(`WELCOME does not decode: ${welcome.error}`);
      wrongSecretWelcome = welcome.value;
      const transcript: Transcript = { clusterId, clientId: claimed, serverId: target, clientNonce: nonce, serverNonce: welcome.value.nonce };
      // Our transcript is the node's: its proof checks out under the real secret (and only it).
      expect(verifyMac(Buffer.from(SECRET), welcome.value.mac, (s) => serverMac(s, transcript))).toBe(true);
      expect(verifyMac(Buffer.from(WRONG_SECRET), welcome.value.mac, (s) => serverMac(s, transcript))).toBe(false);
      const auth = encodeFrame(FrameKind.Auth, encodeAuth({ mac: clientMac(Buffer.from(WRONG_SECRET), transcript) }));
      conn.write(Buffer.concat([auth, frame]));
      await finish(`wrong secret, ${messages[i]!.type}`, conn);
    }

    // -- 3. a replayed handshake of a real peer, recorded by the proxy in front of the target --
    const recorded = proxyOf
      .get(target)!
      .recordings.map((rec) => ({ client: splitFrames(Buffer.concat(rec.client)).frames, server: splitFrames(Buffer.concat(rec.server)).frames }))
      .filter(
        (r) =>
          r.client[0]?.kind === FrameKind.Hello &&
          r.client[1]?.kind === FrameKind.Auth &&
          r.client.slice(2).some((f) => f.kind === FrameKind.Message) &&
          r.server[0]?.kind === FrameKind.Welcome &&
          !r.server.some((f) => f.kind === FrameKind.Reject),
      );
    expect(recorded.length, "the proxy recorded at least one successful peer handshake with the target").toBeGreaterThan(0);
    // The leader's connection if there is one: it is the peer whose messages the target obeys.
    const clientOf = (r: (typeof recorded)[number]) => {
      const h = decodeHello(r.client[0]!.payload);
      return h.ok ? h.value.clientId : undefined;
    };
    const replay = recorded.find((r) => clientOf(r) === leader) ?? recorded[0]!;
    const hello = decodeHello(replay.client[0]!.payload);
    const recordedAuth = decodeAuth(replay.client[1]!.payload);
    const recordedWelcome = decodeWelcome(replay.server[0]!.payload);
    if (!hello.ok || !recordedAuth.ok || !recordedWelcome.ok) throw new Error("the recorded handshake does not decode");
    expect(hello.value.serverId).toBe(target);
    expect(hello.value.clusterId).toBe(clusterId);
    expect(recordedAuth.value.mac.length).toBe(MAC_BYTES);
    expect(recordedWelcome.value.mac.length).toBe(MAC_BYTES);
    const replayedPeer = hello.value.clientId;
    // The frames now claim to come from the peer whose handshake is replayed (as they must to be
    // delivered if the replay worked).
    const replayMessages = attackMessages(replayedPeer, target, base, membership);
    const replayFrames = framesOf(replayMessages);
    // HELLO, AUTH and the peer's first recorded messages: a bounded stream the node reads at once.
    const recordedStream = Buffer.concat(replay.client.slice(0, 22).map((f) => f.raw));
    const replayWelcomes: Welcome[] = [];
    {
      // 3a. the whole recorded client stream at once (HELLO, AUTH, the peer's real messages), then the frames
      const conn = await AttackerConnection.open(targetPort, connections);
      conn.write(Buffer.concat([recordedStream, ...replayFrames]));
      await finish("replayed stream", conn);
    }
    for (const [i, frame] of replayFrames.entries()) {
      // 3b. the recorded HELLO, the node's WELCOME awaited, then the recorded AUTH and one frame
      const conn = await AttackerConnection.open(targetPort, connections);
      conn.write(replay.client[0]!.raw);
      const reply = await conn.frame(0);
      expect(reply?.kind).toBe(FrameKind.Welcome);
      conn.write(Buffer.concat([replay.client[1]!.raw, frame]));
      await finish(`replayed handshake, ${replayMessages[i]!.type}`, conn);
    }

    // -- what the attacker saw: only pre-authentication handshake frames, and always a close --
    for (const a of attempts) {
      expect(a.closedByNode, `${a.label}: the node closed the connection (socket error: ${a.error ?? "none"})`).toBe(true);
      if (a.label.startsWith("no handshake")) {
        const seen = expectOnlyPreAuthReplies(a, { welcome: false, target, clusterId });
        expect(seen.welcome).toBeUndefined();
        expect(a.received.length, `${a.label}: the node sends nothing to a connection that skips HELLO`).toBe(0);
      } else {
        const seen = expectOnlyPreAuthReplies(a, { welcome: true, target, clusterId });
        expect(seen.welcome, `${a.label}: WELCOME`).toBeDefined();
        expect(seen.reject, `${a.label}: REJECT reason`).toBe("auth");
        if (a.label.startsWith("replayed")) replayWelcomes.push(seen.welcome!);
      }
    }
    expect(attempts.length).toBe(4 + 4 + 1 + 4);
    // Fresh server nonces: none of the replayed connections got the recorded connection's nonce.
    const nonces = [recordedWelcome.value, wrongSecretWelcome!, ...replayWelcomes].map((w) => Buffer.from(w.nonce).toString("hex"));
    expect(new Set(nonces).size).toBe(nonces.length);

    // -- the cluster's state: exactly as before the attack --
    // Long enough for anything delivered to show (a campaign, a step down, an apply).
    await sleep(1500);
    const after = await allStatus(c);
    for (const id of [1, 2, 3]) {
      const b = before.get(id)!;
      const a = after.get(id)!;
      expect(a.term, `node ${id} term`).toBe(b.term);
      expect(a.term, `node ${id} term`).toBeLessThan(base.term + APPEND_TERM_STEP);
      expect(a.vote, `node ${id} vote`).toBe(b.vote);
      expect(a.leader, `node ${id} leader`).toBe(leader);
      expect(a.role, `node ${id} role`).toBe(b.role);
      expect(a.commit, `node ${id} commit`).toBe(b.commit);
      expect(a.lastIndex, `node ${id} lastIndex`).toBe(b.lastIndex);
      expect(a.lastTerm, `node ${id} lastTerm`).toBe(b.lastTerm);
      expect(a.applied, `node ${id} applied`).toBe(b.applied);
      expect(a.snapshotIndex, `node ${id} snapshotIndex`).toBe(b.snapshotIndex);
      for (const key of [FAKE_KEY, FAKE_SNAPSHOT_KEY]) {
        const r = await request("GET", `${c.url(id)}/kv/${key}?consistency=stale`);
        expect(r.status, `node ${id} ${key}: ${r.text}`).toBe(404);
      }
      for (const [key, value] of HONEST_KEYS) {
        expect(await request("GET", `${c.url(id)}/kv/${key}?consistency=stale`)).toEqual({ status: 200, text: value });
      }
    }
    // The target counted every refusal: 4 frames before any HELLO, 9 failed proofs.
    const failuresAfter = await handshakeFailures(c, target);
    const delta = (reason: string) => (failuresAfter.get(reason) ?? 0) - (failuresBefore.get(reason) ?? 0);
    expect(delta("unexpected_frame"), "handshake failures: unexpected_frame").toBe(4);
    expect(delta("auth"), "handshake failures: auth").toBe(4 + 1 + 4);

    // -- the cluster still serves writes and linearizable reads --
    const put = await request("PUT", `${c.url(leader)}/kv/after-attack`, "still-here");
    expect(put.status, put.text).toBe(200);
    const afterIndex = (JSON.parse(put.text) as { index: number }).index;
    for (const id of [1, 2, 3]) {
      await c.waitForApplied(id, afterIndex);
      expect(await request("GET", `${c.url(id)}/kv/after-attack?consistency=stale`)).toEqual({ status: 200, text: "still-here" });
    }
    expect(await request("GET", `${c.url(leader)}/kv/${HONEST_KEYS[0]![0]}`)).toEqual({ status: 200, text: HONEST_KEYS[0]![1] });
    expect((await statusOf(c, leader)).term).toBe(before.get(leader)!.term);

    // -- positive control: the same AppendEntries after a handshake with the right secret works --
    // (This deposes the honest leader; it runs last.)
    const now = await statusOf(c, target);
    const [append] = attackMessages(claimed, target, now, membership);
    const [appendFrame] = framesOf([append!]);
    const honest = await AttackerConnection.open(targetPort, connections);
    const nonce = randomBytes(NONCE_BYTES);
    honest.write(encodeFrame(FrameKind.Hello, encodeHello({ clusterId, clientId: claimed, serverId: target, nonce })));
    const reply = await honest.frame(0);
    expect(reply?.kind).toBe(FrameKind.Welcome);
    const welcome = decodeWelcome(reply!.payload);
    if (!welcome.ok) throw new Error(`WELCOME does not decode: ${welcome.error}`);
    const transcript: Transcript = { clusterId, clientId: claimed, serverId: target, clientNonce: nonce, serverNonce: welcome.value.nonce };
    honest.write(Buffer.concat([encodeFrame(FrameKind.Auth, encodeAuth({ mac: clientMac(Buffer.from(SECRET), transcript) })), appendFrame!]));
    await waitUntil("the target adopts the forged leader's term and applies its entry", 10_000, async () => {
      const s = await statusOf(c, target);
      const r = await request("GET", `${c.url(target)}/kv/${FAKE_KEY}?consistency=stale`);
      return s.term >= now.term + APPEND_TERM_STEP && r.status === 200 && r.text === FAKE_VALUE;
    });
    // Nothing came back on it but WELCOME, and no REJECT: a node answers on its own outbound
    // connection, never on one a peer dialed. (Whether it is still open says nothing: the real
    // peer, whose connection ours replaced, redials and replaces ours in turn.)
    const control = expectOnlyPreAuthReplies({ label: "right secret", closedByNode: false, received: honest.received, error: undefined }, { welcome: true, target, clusterId });
    expect(control.welcome).toBeDefined();
    expect(control.reject).toBeUndefined();
    honest.destroy();
  });
});
