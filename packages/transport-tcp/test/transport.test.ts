import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "@raft-ts/core";
import { TcpTransport } from "../src/index.js";
import { appendOfSize, heartbeat, oneOfEach } from "./arbitraries.js";
import { Harness, SECRET, waitFor, type TestNode } from "./helpers.js";

/** Messages in oneOfEach(): one of every message type (and variant). */
const EACH = oneOfEach(1, 2).length;

const h = new Harness();
afterEach(() => h.closeAll());

const from = (node: TestNode, sender: number): Message[] => node.received.filter((m) => m.from === sender);

/** Starts a node, notes its address, closes it: a port where nothing listens, for now. */
async function vacantAddress(id: number): Promise<{ host: string; port: number }> {
  const n = await h.node(id);
  await n.transport.close();
  return n.address;
}

describe("delivery", () => {
  it("two transports exchange every message type, both ways, in order", async () => {
    const [a, b] = await h.cluster([1, 2]);
    for (const m of oneOfEach(1, 2)) a!.transport.send(m);
    for (const m of oneOfEach(2, 1)) b!.transport.send(m);
    await waitFor(() => a!.received.length === EACH && b!.received.length === EACH, "one of each message type each way");
    expect(b!.received).toEqual(oneOfEach(1, 2));
    expect(a!.received).toEqual(oneOfEach(2, 1));
    expect(a!.metrics.count("connections_up", { peer: 2, direction: "outbound" })).toBe(1);
    expect(a!.metrics.count("connections_up", { peer: 2, direction: "inbound" })).toBe(1);
  });

  it("three transports: every node delivers every message type to every other", async () => {
    const nodes = await h.cluster([1, 2, 3], { secret: SECRET });
    for (const sender of nodes) for (const receiver of nodes) if (sender !== receiver) for (const m of oneOfEach(sender.id, receiver.id)) sender.transport.send(m);
    await waitFor(() => nodes.every((n) => n.received.length === 2 * EACH), "one of each message type from each peer at every node");
    for (const receiver of nodes) {
      for (const sender of nodes) if (sender !== receiver) expect(from(receiver, sender.id)).toEqual(oneOfEach(sender.id, receiver.id));
    }
    for (const n of nodes) expect(n.metrics.count("handshake_failures")).toBe(0);
  });

  it("reports bytes and frames in and out", async () => {
    const [a, b] = await h.cluster([1, 2]);
    await waitFor(() => a!.transport.status()[0]!.outbound === "connected", "connected");
    for (let i = 0; i < 10; i++) a!.transport.send(heartbeat(1, 2, i));
    await waitFor(() => b!.received.length === 10, "ten heartbeats");
    expect(b!.metrics.count("frames_received", { peer: 1 })).toBe(10);
    expect(a!.metrics.count("frames_sent", { peer: 2 })).toBeGreaterThanOrEqual(12); // HELLO, AUTH, 10 messages
    expect(a!.metrics.count("bytes_sent", { peer: 2 })).toBeGreaterThan(0);
    expect(b!.metrics.count("bytes_received")).toBeGreaterThanOrEqual(a!.metrics.count("bytes_sent", { peer: 2 }));
  });
});

describe("peers that are down or restart", () => {
  it("a peer that is down does not block delivery to another", async () => {
    const down = await vacantAddress(2);
    const a = await h.node(1);
    const c = await h.node(3);
    a.transport.setPeer(2, down);
    h.link(a, c);
    for (let i = 0; i < 100; i++) {
      a.transport.send(heartbeat(1, 2, i));
      a.transport.send(heartbeat(1, 3, i));
    }
    await waitFor(() => c.received.length === 100, "100 heartbeats at node 3");
    expect(c.received.map((m) => (m.type === "Heartbeat" ? m.readSeq : -1))).toEqual([...Array(100).keys()]);
    await waitFor(() => a.metrics.count("dial_failures", { peer: 2 }) >= 2, "node 1 retrying node 2");
    const status = a.transport.status().find((p) => p.id === 2)!;
    expect(status.outbound).not.toBe("connected");
    expect(status.queuedMessages).toBe(100);
  });

  it("reconnects after the peer restarts on the same port, and delivers what was queued meanwhile", async () => {
    const [a, b] = await h.cluster([1, 2]);
    a!.transport.send(heartbeat(1, 2, 0));
    await waitFor(() => b!.received.length === 1, "first heartbeat");
    await b!.transport.close();
    await waitFor(() => a!.metrics.count("connections_down", { peer: 2, direction: "outbound" }) === 1, "node 1 sees the connection go down");
    for (let i = 1; i <= 5; i++) a!.transport.send(heartbeat(1, 2, i));

    const b2 = await h.node(2, { listen: b!.address, peers: new Map([[1, a!.address]]) });
    expect(b2.address.port).toBe(b!.address.port);
    await waitFor(() => b2.received.length === 5, "the five queued heartbeats at the restarted node 2");
    expect(b2.received.map((m) => (m.type === "Heartbeat" ? m.readSeq : -1))).toEqual([1, 2, 3, 4, 5]);
    a!.transport.send(heartbeat(1, 2, 6));
    b2.transport.send(heartbeat(2, 1, 7));
    await waitFor(() => b2.received.length === 6 && a!.received.length === 1, "traffic both ways after the restart");
    expect(a!.metrics.count("connections_up", { peer: 2, direction: "outbound" })).toBe(2);
  });

  it("redials a peer as soon as it connects to us, instead of waiting out the backoff", async () => {
    // A backoff of up to a minute: without the redial, node 1 would not reach node 2 in time.
    const slow = { reconnect: { initialMs: 60_000, maxMs: 60_000 } };
    const [a, b] = await h.cluster([1, 2], slow);
    a!.transport.send(heartbeat(1, 2, 0));
    await waitFor(() => b!.received.length === 1, "first heartbeat");
    await b!.transport.close();
    await waitFor(() => a!.transport.status()[0]!.outbound === "backoff", "node 1 backing off from node 2");
    const b2 = await h.node(2, { ...slow, listen: b!.address, peers: new Map([[1, a!.address]]) });
    b2.transport.send(heartbeat(2, 1, 1)); // node 2 dials node 1, which learns it is back
    await waitFor(() => a!.received.length === 1, "node 2's heartbeat at node 1");
    a!.transport.send(heartbeat(1, 2, 2));
    await waitFor(() => b2.received.length === 1, "node 1's heartbeat at the restarted node 2", 5000);
  });

  it("setPeer with a new address redials the peer there", async () => {
    const [a, b] = await h.cluster([1, 2]);
    a!.transport.send(heartbeat(1, 2, 0));
    await waitFor(() => b!.received.length === 1, "first heartbeat");
    await b!.transport.close();
    const b2 = await h.node(2, { peers: new Map([[1, a!.address]]) });
    expect(b2.address.port).not.toBe(b!.address.port);
    a!.transport.setPeer(2, b2.address);
    a!.transport.send(heartbeat(1, 2, 1));
    await waitFor(() => b2.received.length === 1, "the heartbeat at the new address");
  });

  it("removePeer closes its connections and refuses it afterwards", async () => {
    const [a, b] = await h.cluster([1, 2]);
    b!.transport.send(heartbeat(2, 1, 0));
    await waitFor(() => a!.received.length === 1, "first heartbeat");
    await a!.transport.removePeer(2);
    expect(a!.transport.status()).toEqual([]);
    await waitFor(() => a!.metrics.count("handshake_failures", { direction: "inbound", reason: "unknown_node" }) >= 1, "node 2's redial refused");
    b!.transport.send(heartbeat(2, 1, 1));
    a!.transport.send(heartbeat(1, 2, 2));
    expect(a!.metrics.count("messages_dropped", { peer: 2, reason: "unknown_peer" })).toBe(1);
    await waitFor(() => b!.metrics.count("handshake_failures", { peer: 1, direction: "outbound", reason: "unknown_node" }) >= 2, "node 2 keeps being refused");
    expect(a!.received).toHaveLength(1);
  });
});

describe("the send queue", () => {
  it("is bounded: when full, the newest message is dropped and counted (drop-newest)", async () => {
    const addr2 = await vacantAddress(2);
    const a = await h.node(1, { maxQueuedMessages: 10, peers: new Map([[2, addr2]]) });
    for (let i = 0; i < 25; i++) a.transport.send(heartbeat(1, 2, i));
    expect(a.metrics.count("messages_dropped", { peer: 2, reason: "queue_full" })).toBe(15);
    expect(a.transport.status()[0]!.queuedMessages).toBe(10);
    expect(a.logger.warnings().filter((w) => w.includes("send queue to peer is full"))).toHaveLength(1);

    const b = await h.node(2, { listen: addr2, peers: new Map([[1, a.address]]) });
    await waitFor(() => b.received.length === 10, "the ten queued heartbeats");
    expect(b.received.map((m) => (m.type === "Heartbeat" ? m.readSeq : -1))).toEqual([...Array(10).keys()]);
    await waitFor(() => a.transport.status()[0]!.queuedMessages === 0, "an empty queue");
  });

  it("is bounded in bytes too", async () => {
    const addr2 = await vacantAddress(2);
    const a = await h.node(1, { maxFrameBytes: 4096, maxQueuedBytes: 10_000, peers: new Map([[2, addr2]]) });
    const big: Message = appendOfSize(1, 2, 3000);
    for (let i = 0; i < 5; i++) a.transport.send(big);
    expect(a.metrics.count("messages_dropped", { peer: 2, reason: "queue_full" })).toBe(2);
    expect(a.transport.status()[0]!.queuedBytes).toBeLessThanOrEqual(10_000);
  });

  it("drops a message larger than maxFrameBytes, counts it, and still sends the rest", async () => {
    const [a, b] = await h.cluster([1, 2], { maxFrameBytes: 4096 });
    const tooBig: Message = appendOfSize(1, 2, 5000);
    a!.transport.send(tooBig);
    a!.transport.send(heartbeat(1, 2, 1));
    await waitFor(() => b!.received.length === 1, "the heartbeat");
    expect(b!.received[0]).toEqual(heartbeat(1, 2, 1));
    expect(a!.metrics.count("messages_dropped", { peer: 2, reason: "oversized" })).toBe(1);
    expect(a!.logger.warnings().some((w) => w.includes("larger than maxFrameBytes"))).toBe(true);
  });

  it("coalesces a burst sent in one event-loop turn into one socket write", async () => {
    const [a, b] = await h.cluster([1, 2]);
    await waitFor(() => a!.transport.status()[0]!.outbound === "connected", "connected");
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the handshake writes settle
    const writes = a!.metrics.count("writes", { peer: 2 });
    const frames = a!.metrics.count("frames_sent", { peer: 2 });
    for (let i = 0; i < 100; i++) a!.transport.send(heartbeat(1, 2, i));
    await waitFor(() => b!.received.length === 100, "100 heartbeats");
    expect(a!.metrics.count("writes", { peer: 2 }) - writes).toBe(1);
    expect(a!.metrics.count("frames_sent", { peer: 2 }) - frames).toBe(100);
  });
});

describe("the API's edges", () => {
  it("drops and counts messages to a node that is not a peer, warning once", async () => {
    const a = await h.node(1);
    a.transport.send(heartbeat(1, 9, 0));
    a.transport.send(heartbeat(1, 9, 1));
    expect(a.metrics.count("messages_dropped", { peer: 9, reason: "unknown_peer" })).toBe(2);
    expect(a.logger.warnings().filter((w) => w.includes("not a configured peer"))).toHaveLength(1);
  });

  it("send() of a message from another node is a caller's bug and throws", async () => {
    const [a] = await h.cluster([1, 2]);
    expect(() => a!.transport.send(heartbeat(3, 2, 0))).toThrow(/from node 3, but this transport is node 1/);
  });

  it("after close(), sends are dropped as shutdown and nothing more is delivered", async () => {
    const [a, b] = await h.cluster([1, 2]);
    await a!.transport.close();
    a!.transport.send(heartbeat(1, 2, 0));
    expect(a!.metrics.count("messages_dropped", { reason: "shutdown" })).toBe(1);
    b!.transport.send(heartbeat(2, 1, 0));
    await waitFor(() => b!.metrics.count("dial_failures", { peer: 1 }) >= 1, "node 2 cannot reach the closed node 1");
    expect(a!.received).toHaveLength(0);
    expect(b!.received).toHaveLength(0);
  });

  it("close() during start() makes start() reject instead of hang", async () => {
    const t = new TcpTransport({ nodeId: 1, clusterId: "c", listen: { host: "127.0.0.1", port: 0 }, peers: new Map(), onMessage: () => {} });
    const started = t.start();
    await t.close();
    await expect(started).rejects.toThrow(/closed while starting/);
  });

  it("start() on a port in use rejects", async () => {
    const a = await h.node(1);
    const t = new TcpTransport({ nodeId: 2, clusterId: "c", listen: a.address, peers: new Map(), onMessage: () => {} });
    h.defer(() => t.close());
    await expect(t.start()).rejects.toThrow(/EADDRINUSE/);
  });

  it("start() twice is refused", async () => {
    const a = await h.node(1);
    await expect(a.transport.start()).rejects.toThrow(/start\(\) on a transport that is running/);
  });

  it("close() leaves no sockets, servers or timers behind", async () => {
    const handles = (): string[] => process.getActiveResourcesInfo().filter((r) => /TCP|TLS|Pipe/.test(r)).sort();
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    // A closed handle leaves the list only in the loop's close phase, just after close() resolves.
    const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));
    await settle();
    const handlesBefore = handles();
    const timersBefore = timers();
    const local = new Harness();
    const down = await local.node(9);
    await down.transport.close();
    const nodes = await local.cluster([1, 2, 3]);
    for (const n of nodes) n.transport.setPeer(9, down.address); // a peer in backoff: a live timer each
    nodes[0]!.transport.send(heartbeat(1, 2, 0));
    await waitFor(() => nodes[1]!.received.length === 1, "a heartbeat");
    await waitFor(() => nodes.every((n) => n.transport.status().find((p) => p.id === 9)!.outbound === "backoff"), "backoff timers running");
    expect(handles().length).toBeGreaterThan(handlesBefore.length);
    // At least the three backoff timers (not "before + 3": a timer the runner held before may be gone).
    expect(timers()).toBeGreaterThanOrEqual(3);
    await local.closeAll();
    await settle();
    expect(handles()).toEqual(handlesBefore);
    // The test runner may hold a timer of its own at either moment, so: no more than before.
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  });

  it("warns loudly when listening beyond loopback without a secret or TLS", async () => {
    const open = await h.node(1, { listen: { host: "0.0.0.0", port: 0 } });
    expect(open.logger.warnings().some((w) => w.startsWith("SECURITY WARNING") && w.includes("0.0.0.0"))).toBe(true);
    const withSecret = await h.node(2, { listen: { host: "0.0.0.0", port: 0 }, secret: SECRET });
    expect(withSecret.logger.warnings().some((w) => w.startsWith("SECURITY WARNING"))).toBe(false);
    const loopback = await h.node(3);
    expect(loopback.logger.warnings().some((w) => w.startsWith("SECURITY WARNING"))).toBe(false);
  });

  it("validates its options in the constructor", () => {
    expect(
      () =>
        new TcpTransport({
          nodeId: 1,
          clusterId: "c",
          listen: { host: "127.0.0.1", port: 0 },
          peers: new Map(),
          secret: "short",
          onMessage: () => {},
        }),
    ).toThrow(/invalid transport config: secret: is 5 bytes, at least 16/);
  });
});
