import fc from "fast-check";
import type { Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Message } from "@raft-ts/core";
import {
  decodeMessage,
  clientMac,
  decodeReject,
  decodeWelcome,
  encodeAuth,
  encodeFrame,
  encodeHello,
  encodeMessage,
  encodeMessageFrame,
  FrameKind,
  MAC_BYTES,
  PROTOCOL_VERSION,
} from "../src/index.js";
import { appendOfSize, heartbeat, messageArb, mutate, mutationsArb } from "./arbitraries.js";
import { CLUSTER_ID, Harness, SECRET, waitFor, type RawConnection, type TestNode } from "./helpers.js";

const h = new Harness();
afterEach(() => h.closeAll());

/**
 * Node 1 is the node under attack. Node 3 is a healthy peer of it: every test ends by
 * checking that node 1 still delivers node 3's messages. Node 2 is a configured peer of node 1
 * that never runs: the raw sockets play it (node 1's own dials to it fail, harmlessly).
 */
let n1: TestNode;
let n3: TestNode;
let readSeq = 0;

beforeEach(async () => {
  const vacant = await h.node(2);
  await vacant.transport.close();
  n1 = await h.node(1, { secret: SECRET, maxFrameBytes: 64 * 1024, handshakeTimeoutMs: 1000, peers: new Map([[2, vacant.address]]) });
  n3 = await h.node(3, { secret: SECRET });
  h.link(n1, n3);
});

async function expectStillDelivering(): Promise<void> {
  const m = heartbeat(3, 1, ++readSeq);
  n3.transport.send(m);
  await waitFor(() => n1.received.some((r) => r.from === 3 && r.type === "Heartbeat" && r.readSeq === m.readSeq), "node 3's heartbeat at node 1");
}

const fromNode2 = (): Message[] => n1.received.filter((m) => m.from === 2);

function hello(clientId = 2, serverId = 1, clusterId = CLUSTER_ID): Uint8Array {
  return encodeHello({ clusterId, clientId, serverId, nonce: new Uint8Array(32).fill(1) });
}

async function expectRejected(conn: RawConnection, reason: string): Promise<void> {
  await conn.closed;
  const reject = conn.frames.find((f) => f.kind === FrameKind.Reject);
  expect(reject && decodeReject(reject.payload)).toBe(reason);
}

const handshakeFailures = (reason: string): number => n1.metrics.count("handshake_failures", { direction: "inbound", reason });
const protocolErrors = (reason: string): number => n1.metrics.count("protocol_errors", { peer: 2, direction: "inbound", reason });

describe("handshake failures: the connection is closed, counted, and delivers nothing", () => {
  it("wrong cluster id (a raw client)", async () => {
    const conn = await h.rawConnect(n1.address.port);
    conn.send(FrameKind.Hello, hello(2, 1, "another-cluster"));
    await expectRejected(conn, "cluster_id");
    expect(handshakeFailures("cluster_id")).toBe(1);
    await expectStillDelivering();
  });

  it("wrong cluster id (a real transport): both ends count it, nothing is delivered either way", async () => {
    const other = await h.node(4, { clusterId: "another-cluster", secret: SECRET });
    n1.transport.setPeer(4, other.address);
    other.transport.setPeer(1, n1.address);
    other.transport.send(heartbeat(4, 1, 0));
    n1.transport.send(heartbeat(1, 4, 0));
    await waitFor(() => other.metrics.count("handshake_failures", { peer: 1, direction: "outbound", reason: "cluster_id" }) >= 1, "node 4 refused by node 1");
    await waitFor(() => n1.metrics.count("handshake_failures", { peer: 4, direction: "outbound", reason: "cluster_id" }) >= 1, "node 1 refuses node 4's WELCOME");
    expect(handshakeFailures("cluster_id")).toBeGreaterThanOrEqual(1);
    expect(n1.metrics.count("connections_up", { peer: 4 })).toBe(0);
    expect(n1.received.filter((m) => m.from === 4)).toHaveLength(0);
    expect(other.received).toHaveLength(0);
    await expectStillDelivering();
  });

  it("wrong secret (a real transport): each side refuses the other's proof", async () => {
    const liar = await h.node(4, { secret: "not the cluster secret, but long" });
    n1.transport.setPeer(4, liar.address);
    liar.transport.setPeer(1, n1.address);
    liar.transport.send(heartbeat(4, 1, 0));
    n1.transport.send(heartbeat(1, 4, 0));
    // Each client checks the server's proof first, and hangs up when it is wrong.
    await waitFor(() => liar.metrics.count("handshake_failures", { peer: 1, direction: "outbound", reason: "auth" }) >= 1, "node 4 refuses node 1's proof");
    await waitFor(() => n1.metrics.count("handshake_failures", { peer: 4, direction: "outbound", reason: "auth" }) >= 1, "node 1 refuses node 4's proof");
    await waitFor(() => handshakeFailures("closed") >= 1, "node 1 sees node 4 hang up mid-handshake");
    expect(n1.metrics.count("connections_up", { peer: 4 })).toBe(0);
    expect(n1.received.filter((m) => m.from === 4)).toHaveLength(0);
    expect(liar.received).toHaveLength(0);
    await expectStillDelivering();
  });

  it("wrong secret (a raw client): messages pipelined after the bad AUTH are never delivered", async () => {
    const conn = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: "not the cluster secret, but long" });
    conn.write(encodeMessageFrame(heartbeat(2, 1, 1)));
    await expectRejected(conn, "auth");
    expect(handshakeFailures("auth")).toBe(1);
    expect(fromNode2()).toHaveLength(0);
    await expectStillDelivering();
  });

  it("a replayed handshake: an AUTH recorded from a good connection fails on a new one", async () => {
    // A legitimate handshake, as an eavesdropper would record it.
    const clientNonce = new Uint8Array(32).fill(7);
    const helloBytes = encodeHello({ clusterId: CLUSTER_ID, clientId: 2, serverId: 1, nonce: clientNonce });
    const first = await h.rawConnect(n1.address.port);
    first.send(FrameKind.Hello, helloBytes);
    const welcome1 = decodeWelcome((await first.nextFrame()).payload);
    if (!welcome1.ok) throw new Error(welcome1.error);
    const recordedAuth = encodeAuth({
      mac: clientMac(Buffer.from(SECRET), { clusterId: CLUSTER_ID, clientId: 2, serverId: 1, clientNonce, serverNonce: welcome1.value.nonce }),
    });
    first.send(FrameKind.Auth, recordedAuth);
    first.write(encodeMessageFrame(heartbeat(2, 1, 1)));
    await waitFor(() => fromNode2().length === 1, "the legitimate connection's message");
    first.socket.destroy();

    // The same bytes replayed: the server's fresh nonce makes the recorded proof worthless.
    const replay = await h.rawConnect(n1.address.port);
    replay.send(FrameKind.Hello, helloBytes);
    const welcome2 = decodeWelcome((await replay.nextFrame()).payload);
    if (!welcome2.ok) throw new Error(welcome2.error);
    expect(Buffer.from(welcome2.value.nonce).equals(Buffer.from(welcome1.value.nonce))).toBe(false);
    replay.send(FrameKind.Auth, recordedAuth);
    replay.write(encodeMessageFrame(heartbeat(2, 1, 2)));
    await expectRejected(replay, "auth");
    expect(fromNode2().map((m) => (m.type === "Heartbeat" ? m.readSeq : -1))).toEqual([1]);
    await expectStillDelivering();
  });

  it("no MAC at all when the server has a secret (no downgrade)", async () => {
    const conn = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1 });
    conn.write(encodeMessageFrame(heartbeat(2, 1, 1)));
    await expectRejected(conn, "auth");
    expect(handshakeFailures("auth")).toBe(1);
    expect(fromNode2()).toHaveLength(0);
    await expectStillDelivering();
  });

  it("a node id that is not a configured peer", async () => {
    const conn = await h.rawConnect(n1.address.port);
    conn.send(FrameKind.Hello, hello(9, 1));
    await expectRejected(conn, "unknown_node");
    expect(handshakeFailures("unknown_node")).toBe(1);
    await expectStillDelivering();
  });

  it("a HELLO meant for another node", async () => {
    const conn = await h.rawConnect(n1.address.port);
    conn.send(FrameKind.Hello, hello(2, 3));
    await expectRejected(conn, "wrong_node");
    expect(handshakeFailures("wrong_node")).toBe(1);
    await expectStillDelivering();
  });

  it("another protocol version", async () => {
    const conn = await h.rawConnect(n1.address.port);
    const frame = encodeFrame(FrameKind.Hello, hello());
    frame[4] = PROTOCOL_VERSION + 1;
    conn.write(frame);
    await expectRejected(conn, "version");
    expect(handshakeFailures("version")).toBe(1);
    await expectStillDelivering();
  });

  it("a peer that connects and sends nothing is closed at the handshake timeout", async () => {
    const conn = await h.rawConnect(n1.address.port);
    await conn.closed;
    expect(handshakeFailures("timeout")).toBe(1);
    await expectStillDelivering();
  });

  it("a peer that stops after HELLO is closed at the handshake timeout", async () => {
    const conn = await h.rawConnect(n1.address.port);
    conn.send(FrameKind.Hello, hello());
    await conn.closed;
    expect(conn.frames.map((f) => f.kind)).toEqual([FrameKind.Welcome]);
    expect(handshakeFailures("timeout")).toBe(1);
    await expectStillDelivering();
  });

  it("a frame over the handshake limit is refused before the handshake, whatever maxFrameBytes is", async () => {
    const conn = await h.rawConnect(n1.address.port);
    const header = Buffer.alloc(6);
    header.writeUInt32BE(2000, 0); // far below maxFrameBytes (64 KiB), above the 1 KiB handshake limit
    header[4] = PROTOCOL_VERSION;
    header[5] = FrameKind.Hello;
    conn.write(header);
    await conn.closed;
    expect(handshakeFailures("frame_too_large")).toBe(1);
    await expectStillDelivering();
  });

  it("a MESSAGE frame instead of AUTH", async () => {
    const conn = await h.rawConnect(n1.address.port);
    conn.send(FrameKind.Hello, hello());
    await conn.nextFrame();
    conn.write(encodeMessageFrame(heartbeat(2, 1, 1)));
    await conn.closed;
    expect(handshakeFailures("unexpected_frame")).toBe(1);
    expect(fromNode2()).toHaveLength(0);
    await expectStillDelivering();
  });

  it("a malformed AUTH", async () => {
    const conn = await h.rawConnect(n1.address.port);
    conn.send(FrameKind.Hello, hello());
    await conn.nextFrame();
    conn.send(FrameKind.Auth, Uint8Array.of(MAC_BYTES, 1, 2, 3));
    await conn.closed;
    expect(handshakeFailures("malformed")).toBe(1);
    await expectStillDelivering();
  });

  it("more unauthenticated connections than maxPendingHandshakes are refused", async () => {
    const guarded = await h.node(5, { maxPendingHandshakes: 2, handshakeTimeoutMs: 10_000 });
    const a = await h.rawConnect(guarded.address.port);
    const b = await h.rawConnect(guarded.address.port);
    await waitFor(() => guarded.metrics.count("bytes_received") === 0 && a.socket.readyState === "open" && b.socket.readyState === "open", "two connections");
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the server accept both
    const c = await h.rawConnect(guarded.address.port);
    await c.closed;
    expect(guarded.metrics.count("handshake_failures", { reason: "busy" })).toBe(1);
    expect(a.isClosed || b.isClosed).toBe(false);
  });
});

describe("bad frames after the handshake: only that connection closes", () => {
  it("an oversized frame is refused from its length alone", async () => {
    const conn = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: SECRET });
    conn.write(encodeMessageFrame(heartbeat(2, 1, 1)));
    const header = Buffer.alloc(6);
    header.writeUInt32BE(64 * 1024 + 1, 0);
    header[4] = PROTOCOL_VERSION;
    header[5] = FrameKind.Message;
    conn.write(header);
    await conn.closed;
    expect(protocolErrors("frame_too_large")).toBe(1);
    expect(n1.metrics.count("connections_down", { peer: 2, direction: "inbound", reason: "protocol_error" })).toBe(1);
    expect(fromNode2()).toEqual([heartbeat(2, 1, 1)]);
    await expectStillDelivering();
  });

  it("a peer that vanishes mid-frame", async () => {
    const conn = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: SECRET });
    conn.write(encodeMessageFrame(heartbeat(2, 1, 1)));
    await waitFor(() => fromNode2().length === 1, "the first heartbeat");
    const next = encodeMessageFrame(heartbeat(2, 1, 2));
    conn.write(next.subarray(0, next.length - 3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await conn.destroy();
    await waitFor(() => protocolErrors("truncated") === 1, "the truncated frame counted");
    expect(n1.metrics.count("connections_down", { peer: 2, direction: "inbound", reason: "protocol_error" })).toBe(1);
    expect(fromNode2()).toEqual([heartbeat(2, 1, 1)]);
    await expectStillDelivering();
  });

  it("a malformed payload: what came before it is delivered, what comes after it is not", async () => {
    const conn = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: SECRET });
    conn.write(
      Buffer.concat([
        encodeMessageFrame(heartbeat(2, 1, 1)),
        encodeFrame(FrameKind.Message, Uint8Array.of(99, 1, 2, 3)),
        encodeMessageFrame(heartbeat(2, 1, 2)),
      ]),
    );
    await conn.closed;
    expect(protocolErrors("malformed")).toBe(1);
    expect(fromNode2()).toEqual([heartbeat(2, 1, 1)]);
    await expectStillDelivering();
  });

  it("a handshake frame after the handshake", async () => {
    const conn = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: SECRET });
    conn.send(FrameKind.Hello, hello());
    await conn.closed;
    expect(protocolErrors("unexpected_frame")).toBe(1);
    await expectStillDelivering();
  });

  it("a frame of another protocol version after the handshake", async () => {
    const conn = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: SECRET });
    const frame = encodeMessageFrame(heartbeat(2, 1, 1));
    frame[4] = 7;
    conn.write(frame);
    await conn.closed;
    expect(protocolErrors("version")).toBe(1);
    expect(fromNode2()).toHaveLength(0);
    await expectStillDelivering();
  });

  it("a message claiming another sender, or another recipient, is dropped and counted", async () => {
    const conn = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: SECRET });
    conn.write(encodeMessageFrame(heartbeat(3, 1, 1))); // node 2 posing as node 3
    conn.write(encodeMessageFrame(heartbeat(2, 5, 2))); // not for node 1
    conn.write(encodeMessageFrame(heartbeat(2, 1, 3)));
    await waitFor(() => fromNode2().length === 1, "the honest heartbeat");
    expect(n1.received.filter((m) => m.type === "Heartbeat" && m.readSeq < 3)).toHaveLength(0);
    expect(n1.metrics.count("messages_dropped", { peer: 2, reason: "wrong_sender" })).toBe(1);
    expect(n1.metrics.count("messages_dropped", { peer: 2, reason: "wrong_recipient" })).toBe(1);
    expect(conn.isClosed).toBe(false);
    await expectStillDelivering();
  });

  it("a newer connection from the same peer replaces the older one", async () => {
    const first = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: SECRET });
    first.write(encodeMessageFrame(heartbeat(2, 1, 1)));
    await waitFor(() => fromNode2().length === 1, "a heartbeat on the first connection");
    const second = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: SECRET });
    second.write(encodeMessageFrame(heartbeat(2, 1, 2)));
    await first.closed;
    await waitFor(() => fromNode2().length === 2, "a heartbeat on the second connection");
    expect(n1.metrics.count("connections_down", { peer: 2, direction: "inbound", reason: "replaced" })).toBe(1);
    expect(second.isClosed).toBe(false);
  });

  it("random and mutated frames: no throw escapes, and a bad frame closes only its own connection", async () => {
    // A frame: a valid message frame mutated, or a valid header around random bytes.
    const frameArb = fc.oneof(
      fc.tuple(messageArb, mutationsArb).map(([m, mutations]) => mutate(encodeMessageFrame({ ...m, from: 2, to: 1 }), mutations)),
      fc.uint8Array({ maxLength: 60 }).map((payload) => Uint8Array.from(encodeFrame(FrameKind.Message, payload))),
      fc.uint8Array({ maxLength: 60 }),
    );
    let sentinel = 1_000_000;
    const outcomes = { closed: 0, delivered: 0, truncated: 0 };
    await fc.assert(
      fc.asyncProperty(frameArb, async (bytes) => {
        const upBefore = n1.metrics.count("connections_up", { peer: 2, direction: "inbound" });
        const conn = await h.rawHandshake(n1.address.port, { clientId: 2, serverId: 1, secret: SECRET });
        await waitFor(() => n1.metrics.count("connections_up", { peer: 2, direction: "inbound" }) === upBefore + 1, "the raw peer authenticated");
        const mark = ++sentinel;
        const stream = Buffer.concat([bytes, encodeMessageFrame(heartbeat(2, 1, mark))]);
        const errorsBefore = n1.metrics.count("protocol_errors", { peer: 2 });
        const truncatedBefore = n1.metrics.count("protocol_errors", { peer: 2, reason: "truncated" });
        const bytesBefore = n1.metrics.count("bytes_received", { peer: 2 });
        const receivedBefore = n1.received.length;
        conn.write(stream);
        const delivered = (): boolean => n1.received.some((m) => m.type === "Heartbeat" && m.from === 2 && m.readSeq === mark);
        // Node 1 has read everything we sent, or closed the connection on the way. It counts a
        // read and handles it in the same callback, so its counters are final from here on.
        await waitFor(() => conn.isClosed || n1.metrics.count("bytes_received", { peer: 2 }) - bytesBefore >= stream.length, "node 1 read it all");
        const errors = n1.metrics.count("protocol_errors", { peer: 2 }) - errorsBefore;
        if (errors > 0) {
          // Node 1 closed it: exactly one protocol error, and nothing after the bad frame delivered.
          expect(errors).toBe(1);
          outcomes.closed++;
          await conn.closed;
          expect(delivered()).toBe(false);
        } else if (delivered()) {
          // The bytes were (or contained) valid frames: the connection stays up.
          expect(conn.isClosed).toBe(false);
          outcomes.delivered++;
        } else {
          outcomes.truncated++;
          // The bad frame's length swallowed the sentinel: node 1 waits inside a frame until
          // the peer vanishes, which is then counted as a truncated frame.
          expect(conn.isClosed).toBe(false);
          await conn.destroy();
          await waitFor(() => n1.metrics.count("protocol_errors", { peer: 2 }) === errorsBefore + 1, "a protocol error counted");
          expect(n1.metrics.count("protocol_errors", { peer: 2, reason: "truncated" })).toBe(truncatedBefore + 1);
        }
        for (const m of n1.received.slice(receivedBefore)) {
          expect(m.to).toBe(1);
          expect([2, 3]).toContain(m.from);
        }
        await conn.destroy();
        await expectStillDelivering();
      }),
      // No shrinking: each run costs a handshake, and the failing input is printed anyway.
      { numRuns: 60, endOnFailure: true },
    );
    // Not vacuous: most random frames are bad and must have closed their connection.
    expect(outcomes.closed).toBeGreaterThan(0);
  });
});

describe("a slow reader (backpressure)", () => {
  it("fills its bounded queue, drops and counts, is closed on write stall, and others still get their messages", async () => {
    const stalled = new Set<Socket>();
    const slow = await h.rawServer({
      serverId: 2,
      secret: SECRET,
      onReady: (socket) => {
        stalled.add(socket);
        socket.pause(); // never read again: the kernel buffers fill, then writes stop draining
      },
    });
    const a = await h.node(11, { secret: SECRET, maxFrameBytes: 256 * 1024, maxQueuedBytes: 1024 * 1024, writeStallTimeoutMs: 300 });
    const c = await h.node(13, { secret: SECRET });
    a.transport.setPeer(2, slow);
    h.link(a, c);
    await waitFor(() => a.transport.status().every((p) => p.outbound === "connected"), "connected to both");

    const big: Message = appendOfSize(11, 2, 60 * 1024);
    let seq = 0;
    let maxQueued = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 8; i++) a.transport.send(big);
      a.transport.send(heartbeat(11, 13, ++seq));
      maxQueued = Math.max(maxQueued, a.transport.status().find((p) => p.id === 2)!.queuedBytes);
    }, 5);
    h.defer(() => clearInterval(pump));
    await waitFor(() => a.metrics.count("connections_down", { peer: 2, direction: "outbound", reason: "write_stall" }) >= 1, "the stalled connection closed");
    await waitFor(() => a.metrics.count("messages_dropped", { peer: 2, reason: "queue_full" }) > 0, "drops counted");
    clearInterval(pump);

    expect(stalled.size).toBeGreaterThanOrEqual(1);
    expect(maxQueued).toBeLessThanOrEqual(1024 * 1024);
    // Node 13 got every heartbeat sent while node 2 was stalling.
    await waitFor(() => c.received.length === seq, `all ${seq} heartbeats at node 13`);
    const last = heartbeat(11, 13, ++seq);
    a.transport.send(last);
    await waitFor(() => c.received.length === seq, "one more");
    expect(c.received.at(-1)).toEqual(last);
  });
});

describe("a connection lost in the middle of a large queue", () => {
  it("leaves whole frames for the next connection (writes are cut between frames)", async () => {
    const firstDone = { value: false };
    const second = { frames: 0, malformed: 0, otherKinds: 0 };
    const server = await h.rawServer({
      serverId: 2,
      secret: SECRET,
      onReady: (socket, decoder, connection) => {
        if (connection === 1) {
          // Read nothing until the sender is blocked with most of its queue unsent, then vanish.
          socket.pause();
          const check = setInterval(() => {
            if (a.transport.status()[0]!.queuedBytes > 1024 * 1024) {
              clearInterval(check);
              socket.destroy();
              firstDone.value = true;
            }
          }, 5);
          h.defer(() => clearInterval(check));
          return;
        }
        decoder.setMaxFrameBytes(1 << 20); // the helper's decoder has the handshake limit
        const read = (): void => {
          for (let r = decoder.next(); r.type !== "incomplete"; r = decoder.next()) {
            if (r.type === "error" || r.kind !== FrameKind.Message) {
              second.otherKinds++;
              socket.destroy();
              return;
            }
            if (decodeMessage(r.bytes, r.start, r.end).ok) second.frames++;
            else second.malformed++;
          }
        };
        read();
        socket.on("data", (chunk: Buffer) => {
          decoder.push(chunk);
          read();
        });
      },
    });
    const a = await h.node(11, { secret: SECRET, maxFrameBytes: 128 * 1024, maxQueuedMessages: 10_000, maxQueuedBytes: 64 * 1024 * 1024, peers: new Map([[2, server]]) });
    await waitFor(() => a.transport.status()[0]!.outbound === "connected", "connected");
    const entry = { index: 1, term: 1, type: "normal" as const, data: new Uint8Array(60 * 1024).fill(1) };
    const total = 300; // ~18 MB: far more than the kernel buffers of a paused loopback connection
    for (let i = 0; i < total; i++) {
      a.transport.send({ type: "AppendEntries", from: 11, to: 2, term: 1, prevLogIndex: i, prevLogTerm: 1, leaderCommit: 0, entries: [entry] });
    }
    await waitFor(() => firstDone.value, "the first connection cut while blocked");
    await waitFor(() => a.metrics.count("connections_up", { peer: 2, direction: "outbound" }) === 2, "reconnected");
    await waitFor(() => a.transport.status()[0]!.queuedMessages === 0 && second.frames > 0, "the queue delivered on the second connection");
    // Let the last bytes arrive, then check: every frame whole and valid, nothing garbled.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(second.otherKinds).toBe(0);
    expect(second.malformed).toBe(0);
    expect(second.frames).toBeGreaterThan(0);
    expect(second.frames).toBeLessThan(total);
  });
});

describe("the codec at the socket", () => {
  it("a message frame the codec produced is what the decoder accepted (sanity for the raw helpers)", () => {
    const m = heartbeat(2, 1, 5);
    expect(encodeMessageFrame(m).subarray(6)).toEqual(Buffer.from(encodeMessage(m)));
    expect(encodeAuth({ mac: new Uint8Array(0) })).toEqual(Uint8Array.of(0));
  });
});
