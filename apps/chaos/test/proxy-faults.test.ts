import { afterEach, describe, expect, it } from "vitest";
import { FaultConfigError, seededRng } from "../src/index.js";
import { frame, Harness, range, sendFrames, sleep, waitFor } from "./helpers.js";

const h = new Harness();
afterEach(() => h.closeAll());

describe("delay", () => {
  it("holds every frame at least minDelayMs, jittered, without reordering", async () => {
    const target = await h.target();
    const proxy = await h.proxy(target, { faults: { forward: { minDelayMs: 30, maxDelayMs: 60 } } });
    const client = await h.client(proxy.address.port);
    const sentAt: number[] = [];
    // One frame per millisecond or so: with 30 ms of jitter, frames scheduled independently
    // would overtake each other all the time.
    for (const s of range(0, 40)) {
      sentAt.push(performance.now());
      client.socket.write(frame(s));
      await sleep(1);
    }
    await waitFor(() => target.seqs.length === 40, "40 frames at the target");
    expect(target.seqs).toEqual(range(0, 40));
    for (const a of target.connections[0]!.arrivals) expect(a.at - sentAt[a.seq]!).toBeGreaterThanOrEqual(30);
    expect(proxy.counters().forward.framesDelayed).toBe(40);
    expect(proxy.counters().forward.framesForwarded).toBe(40);
  });

  it("applies only to the direction it is set for", async () => {
    const target = await h.target({ echo: true });
    const proxy = await h.proxy(target, { faults: { backward: { minDelayMs: 40 } } });
    const client = await h.client(proxy.address.port);
    const t0 = performance.now();
    sendFrames(client.socket, 0, 3);
    await waitFor(() => client.arrivals.length === 3, "3 frames echoed");
    expect(client.arrivals[0]!.at - t0).toBeGreaterThanOrEqual(40);
    const c = proxy.counters();
    expect(c.forward.framesDelayed).toBe(0);
    expect(c.backward.framesDelayed).toBe(3);
  });
});

describe("drop and duplicate spare the handshake frames", () => {
  it.each([0, 2, 5])("drop = 1 with handshakeFrames = %i: only the first frames arrive", async (n) => {
    const target = await h.target();
    const proxy = await h.proxy(target, { handshakeFrames: n, faults: { forward: { drop: 1 } } });
    const client = await h.client(proxy.address.port);
    sendFrames(client.socket, 0, 10);
    await waitFor(() => proxy.counters().forward.framesDropped === 10 - n, `${10 - n} frames dropped`);
    // A marker after lifting the fault proves the earlier frames were dropped, not late.
    proxy.setFaults({});
    sendFrames(client.socket, 100, 101);
    await waitFor(() => target.seqs.includes(100), "the marker");
    expect(target.seqs).toEqual([...range(0, n), 100]);
  });

  it("defaults to 2 handshake frames, in the backward direction too", async () => {
    const target = await h.target({ echo: true });
    const proxy = await h.proxy(target, { faults: { backward: { drop: 1 } } });
    const client = await h.client(proxy.address.port);
    sendFrames(client.socket, 0, 10);
    await waitFor(() => proxy.counters().backward.framesDropped === 8, "8 echoes dropped");
    // The two echoes it forwarded may still be on their way to the client.
    await waitFor(() => client.arrivals.length === 2, "the 2 handshake echoes at the client");
    expect(target.seqs).toEqual(range(0, 10));
    expect(client.arrivals.map((a) => a.seq)).toEqual([0, 1]);
  });

  it("duplicate = 1: every frame after the handshake frames arrives twice", async () => {
    const target = await h.target();
    const proxy = await h.proxy(target, { faults: { forward: { duplicate: 1 } } });
    const client = await h.client(proxy.address.port);
    sendFrames(client.socket, 0, 10);
    await waitFor(() => target.seqs.length === 18, "18 frames at the target");
    expect(target.seqs).toEqual([0, 1, ...range(2, 10).flatMap((s) => [s, s])]);
    const c = proxy.counters().forward;
    expect(c.framesForwarded).toBe(10);
    expect(c.framesDuplicated).toBe(8);
  });

  it("the handshake count restarts on every connection", async () => {
    const target = await h.target();
    const proxy = await h.proxy(target, { faults: { forward: { drop: 1 } } });
    for (const round of [0, 1]) {
      const client = await h.client(proxy.address.port);
      sendFrames(client.socket, 10 * round, 10 * round + 5);
      await waitFor(() => proxy.counters().forward.framesDropped === 3 * (round + 1), "3 more frames dropped");
      await waitFor(() => target.seqs.length === 2 * (round + 1), "2 more frames at the target");
      client.socket.destroy();
    }
    expect(target.connections).toHaveLength(2);
    expect(target.seqs).toEqual([0, 1, 10, 11]);
  });
});

describe("blocked links", () => {
  it('"reset" severs current connections and refuses new ones until unblocked', async () => {
    const target = await h.target();
    const proxy = await h.proxy(target);
    const first = await h.client(proxy.address.port);
    sendFrames(first.socket, 0, 1);
    await waitFor(() => target.seqs.length === 1, "the first frame");

    proxy.setFaults({ blocked: "reset" });
    await waitFor(() => first.closed, "the current connection severed");
    await waitFor(() => target.connections[0]!.closed, "the target's side severed too");
    for (let i = 0; i < 3; i++) {
      const refused = await h.client(proxy.address.port);
      await waitFor(() => refused.closed, "a new connection closed at once");
      expect(refused.arrivals).toHaveLength(0);
    }
    expect(target.connections).toHaveLength(1); // refused connections never reach the target
    const c = proxy.counters();
    expect(c.connectionsReset).toBe(1);
    expect(c.connectionsRefused).toBe(3);
    expect(c.connectionsAccepted).toBe(4);

    proxy.setFaults({});
    const after = await h.client(proxy.address.port);
    sendFrames(after.socket, 5, 6);
    await waitFor(() => target.connections[1]?.seqs.length === 1, "a frame on a new connection");
    expect(target.connections[1]!.seqs).toEqual([5]);
  });

  it('a one-way "blackhole" drops that direction, keeps the connection, and lets the other direction flow', async () => {
    const target = await h.target();
    const proxy = await h.proxy(target, { faults: { forward: { blackhole: true } } });
    const client = await h.client(proxy.address.port);
    sendFrames(client.socket, 0, 5); // handshake frames included: a partition spares nothing
    await waitFor(() => target.connections.length === 1, "the proxy dialed the target");
    sendFrames(target.connections[0]!.socket, 50, 55);
    await waitFor(() => client.arrivals.length === 5, "5 frames from the target at the client");
    expect(client.arrivals.map((a) => a.seq)).toEqual(range(50, 55));
    await waitFor(() => proxy.counters().forward.framesBlackholed === 5, "5 frames blackholed");
    expect(target.seqs).toEqual([]);
    expect(client.closed).toBe(false);

    proxy.setFaults({});
    sendFrames(client.socket, 100, 101);
    await waitFor(() => target.seqs.length === 1, "a frame after unblocking");
    expect(target.seqs).toEqual([100]);
  });

  it('blocked "blackhole" drops both directions', async () => {
    const target = await h.target({ echo: true });
    const proxy = await h.proxy(target, { faults: { blocked: "blackhole" } });
    const client = await h.client(proxy.address.port);
    sendFrames(client.socket, 0, 5);
    await waitFor(() => target.connections.length === 1, "the proxy dialed the target");
    sendFrames(target.connections[0]!.socket, 50, 52);
    await waitFor(() => proxy.counters().forward.framesBlackholed === 5 && proxy.counters().backward.framesBlackholed === 2, "both directions blackholed");
    expect(target.seqs).toEqual([]);
    expect(client.arrivals).toEqual([]);
  });

  it("reset() severs every current connection once; new ones are relayed", async () => {
    const target = await h.target();
    const proxy = await h.proxy(target);
    const a = await h.client(proxy.address.port);
    const b = await h.client(proxy.address.port);
    await waitFor(() => proxy.connectionCount === 2, "two connections");
    expect(proxy.reset()).toBe(2);
    await waitFor(() => a.closed && b.closed, "both severed");
    expect(proxy.reset()).toBe(0);
    const c = await h.client(proxy.address.port);
    sendFrames(c.socket, 9, 10);
    await waitFor(() => target.seqs.includes(9), "a frame on a new connection");
    expect(proxy.counters().connectionsReset).toBe(2);
  });
});

describe("determinism", () => {
  /** Sends 300 frames through a proxy dropping half, on one connection; returns what arrived. */
  async function delivered(seed: number): Promise<number[]> {
    const target = await h.target();
    const proxy = await h.proxy(target, { rng: seededRng(seed), handshakeFrames: 0, faults: { forward: { drop: 0.5, duplicate: 0.2 } } });
    const client = await h.client(proxy.address.port);
    // In several writes, so that the reads (and so the timing) differ from run to run.
    for (let s = 0; s < 300; s += 50) {
      sendFrames(client.socket, s, s + 50);
      await sleep(1);
    }
    await waitFor(() => {
      const c = proxy.counters().forward;
      return c.framesForwarded + c.framesDropped === 300;
    }, "300 frames decided");
    const c = proxy.counters().forward;
    await waitFor(() => target.seqs.length === c.framesForwarded + c.framesDuplicated, "the survivors at the target");
    return target.seqs;
  }

  it("the same seed makes the same drop and duplicate decisions; another seed others", async () => {
    const first = await delivered(7);
    const again = await delivered(7);
    const other = await delivered(8);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const unique = new Set(first).size;
    expect(unique).toBeGreaterThan(100);
    expect(unique).toBeLessThan(200);
    expect(first.length).toBeGreaterThan(unique); // some duplicated
  });
});

describe("validation", () => {
  it("refuses settings out of range, changing nothing", async () => {
    const target = await h.target();
    const proxy = await h.proxy(target, { faults: { forward: { drop: 0.1 } } });
    expect(() => proxy.setFaults({ forward: { drop: 1.5 } })).toThrow(FaultConfigError);
    expect(() => proxy.setFaults({ backward: { minDelayMs: 10, maxDelayMs: 5 } })).toThrow(/maxDelayMs/);
    expect(() => proxy.setFaults({ forward: { duplicate: -0.1 } })).toThrow(/forward.duplicate/);
    expect(() => proxy.setFaults({ blocked: "sideways" as never })).toThrow(/blocked/);
    expect(proxy.faults.forward.drop).toBe(0.1);
    await expect(h.proxy(target, { handshakeFrames: -1 })).rejects.toThrow(/handshakeFrames/);
  });
});
