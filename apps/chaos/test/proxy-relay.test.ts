import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FaultProxy, seededRng } from "../src/index.js";
import { frame, Harness, range, sendFrames, sleep, waitFor } from "./helpers.js";

const h = new Harness();
afterEach(() => h.closeAll());

describe("relaying without faults", () => {
  it("relays frames intact and in order, both ways", async () => {
    const target = await h.target({ echo: true });
    const proxy = await h.proxy(target);
    const client = await h.client(proxy.address.port);
    const sent = range(0, 200).map((s) => frame(s, s % 50));
    client.socket.write(Buffer.concat(sent)); // many frames in one write: the proxy must cut them apart
    await waitFor(() => client.arrivals.length === 200, "200 frames echoed back");
    expect(target.connections).toHaveLength(1);
    expect(target.connections[0]!.arrivals.map((a) => a.frame)).toEqual(sent);
    expect(client.arrivals.map((a) => a.frame)).toEqual(sent);
    const c = proxy.counters();
    expect(c.forward.framesForwarded).toBe(200);
    expect(c.backward.framesForwarded).toBe(200);
    expect(c.forward.bytesForwarded).toBe(Buffer.concat(sent).length);
    expect(c.forward.framesDropped + c.forward.framesDuplicated + c.forward.framesDelayed + c.forward.framesBlackholed).toBe(0);
    expect(c.connectionsAccepted).toBe(1);
    expect(proxy.connectionCount).toBe(1);
  });

  it("reassembles a large frame that arrives in many pieces, its length prefix split too", async () => {
    const target = await h.target({ echo: true });
    const proxy = await h.proxy(target);
    const client = await h.client(proxy.address.port);
    const big = frame(7, 3 * 1024 * 1024);
    // The prefix one byte at a time, then the body in 10 KiB pieces, yielding in between so
    // that they arrive as separate reads.
    for (let i = 0; i < 4; i++) {
      client.socket.write(big.subarray(i, i + 1));
      await sleep(2);
    }
    for (let i = 4; i < big.length; i += 10_240) {
      client.socket.write(big.subarray(i, Math.min(big.length, i + 10_240)));
      if (i % (40 * 10_240) === 4) await sleep(1);
    }
    sendFrames(client.socket, 8, 10);
    await waitFor(() => client.arrivals.length === 3, "the big frame and two small ones echoed back");
    expect(client.arrivals[0]!.frame.equals(big)).toBe(true);
    expect(client.arrivals.map((a) => a.seq)).toEqual([7, 8, 9]);
    expect(proxy.counters().forward.framesForwarded).toBe(3);
  });

  it("closes a connection whose frame announces a length over maxFrameBytes, before buffering it", async () => {
    const target = await h.target();
    const proxy = await h.proxy(target, { maxFrameBytes: 1024 });
    const client = await h.client(proxy.address.port);
    sendFrames(client.socket, 0, 1);
    const header = Buffer.alloc(6);
    header.writeUInt32BE(1025, 0);
    client.socket.write(header);
    await waitFor(() => client.closed, "the client's connection closed");
    await waitFor(() => target.connections[0]?.closed === true, "the target's connection closed");
    expect(target.seqs).toEqual([0]);
    expect(proxy.counters().frameErrors).toBe(1);
    await waitFor(() => proxy.connectionCount === 0, "no connection left");
  });

  it("passes a half-close on only after the frames held before it", async () => {
    const target = await h.target();
    const proxy = await h.proxy(target, { faults: { forward: { minDelayMs: 50 } } });
    const client = await h.client(proxy.address.port);
    sendFrames(client.socket, 0, 5);
    client.socket.end();
    await waitFor(() => target.connections[0]?.closed === true, "the target's connection closed");
    expect(target.seqs).toEqual([0, 1, 2, 3, 4]);
    await waitFor(() => client.closed, "the client's connection closed");
  });

  it("closes the dialer's connection when the target cannot be reached", async () => {
    const vacant = await h.target();
    const port = vacant.port;
    await vacant.close();
    const proxy = await h.proxy({ port });
    const client = await h.client(proxy.address.port);
    await waitFor(() => client.closed, "the client's connection closed");
    expect(proxy.counters().targetFailures).toBe(1);
  });
});

describe("bounded memory", () => {
  it("stops reading when the destination pushes back, holding at most maxQueuedBytes, and loses nothing", async () => {
    const target = await h.target({ paused: true });
    const maxQueuedBytes = 1024 * 1024;
    const proxy = await h.proxy(target, { maxQueuedBytes });
    const client = await h.client(proxy.address.port);
    const frames = 512; // 32 MiB, far more than the proxy may hold
    sendFrames(client.socket, 0, frames, 64 * 1024);
    await waitFor(() => proxy.counters().forward.pauses >= 1, "the proxy pausing its reads");
    await sleep(200);
    // The bound: the limit, plus what one read chunk and one frame can add past it. (Here
    // the proxy pauses as soon as the destination needs 'drain', so it holds far less.)
    const slack = 64 * 1024 + (64 * 1024 + 10);
    expect(proxy.queuedBytes()[0]!.forward).toBeLessThanOrEqual(maxQueuedBytes + slack);
    expect(proxy.counters().forward.maxQueuedBytes).toBeLessThanOrEqual(maxQueuedBytes + slack);
    target.connections[0]!.socket.resume();
    await waitFor(() => target.connections[0]!.arrivals.length === frames, "every frame at the target", 30_000);
    expect(target.seqs).toEqual(range(0, frames));
    expect(target.connections[0]!.arrivals.every((a) => a.frame.equals(frame(a.seq, 64 * 1024)))).toBe(true);
    expect(proxy.counters().forward.maxQueuedBytes).toBeLessThanOrEqual(maxQueuedBytes + slack);
  });

  it("stops reading when delayed frames fill the queue, and resumes as they are written", async () => {
    const target = await h.target();
    const maxQueuedBytes = 256 * 1024;
    const proxy = await h.proxy(target, { maxQueuedBytes, faults: { forward: { minDelayMs: 50 } } });
    const client = await h.client(proxy.address.port);
    const frames = 64; // 4 MiB of 64 KiB frames: 16 queue-fulls
    sendFrames(client.socket, 0, frames, 64 * 1024);
    await waitFor(() => target.seqs.length === frames, "every frame at the target", 30_000);
    expect(target.seqs).toEqual(range(0, frames));
    const c = proxy.counters().forward;
    expect(c.pauses).toBeGreaterThanOrEqual(1);
    expect(c.maxQueuedBytes).toBeLessThanOrEqual(maxQueuedBytes + 2 * (64 * 1024 + 10));
  });
});

describe("shutdown", () => {
  const count = (kind: string): number => process.getActiveResourcesInfo().filter((r) => r === kind).length;

  it("close() destroys every socket and the server, and leaves no timer behind", async () => {
    const timers = count("Timeout");
    const target = await h.target();
    const proxy = new FaultProxy({ target: { host: "127.0.0.1", port: target.port }, rng: seededRng(1), faults: { forward: { minDelayMs: 10_000 } } });
    const { port } = await proxy.start();
    const client = await h.client(port);
    sendFrames(client.socket, 0, 10); // held for 10 s: a timer is pending
    await waitFor(() => proxy.counters().forward.framesDelayed === 10, "frames held");
    expect(count("Timeout")).toBeGreaterThan(timers);
    await proxy.close();
    expect(count("Timeout")).toBe(timers);
    await waitFor(() => client.closed, "the client's connection closed");
    await waitFor(() => target.connections[0]?.closed === true, "the target's connection closed");
    expect(target.seqs).toEqual([]);
    // Nothing listens any more.
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        resolve("connected");
      });
      s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
    await proxy.close(); // idempotent
  });
});
