import { afterEach, describe, expect, it } from "vitest";
import { Harness, range, sleep, waitFor } from "./helpers.js";
import { isConnected, proxiedCluster, sendRange, seqsFrom } from "./transport-cluster.js";

/**
 * Two real @raft-ts/transport-tcp transports, with the HMAC handshake, talking only through
 * proxies: 1 -> 2 through proxy 1->2, 2 -> 1 through proxy 2->1.
 */

const h = new Harness();
afterEach(() => h.closeAll());

/** A subsequence of 0, 1, 2, ...: strictly increasing, so nothing reordered or duplicated. */
function strictlyIncreasing(xs: readonly number[]): boolean {
  return xs.every((x, i) => i === 0 || x > xs[i - 1]!);
}

describe("TcpTransport through fault proxies", () => {
  it("the handshake survives loss from the first frame; messages flow, some lost, in order; healing restores everything", async () => {
    const { nodes, links } = await proxiedCluster(h, [1, 2], 2024);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    // Set before any connection exists: the handshake frames cross these same proxies.
    links.setConditions({ drop: 0.3, minDelayMs: 1, maxDelayMs: 5 });
    sendRange(a, 2, 0, 200);
    sendRange(b, 1, 0, 200);

    const decided = (from: number, to: number): number => {
      const c = links.proxy(from, to).counters().forward;
      return c.framesForwarded + c.framesDropped;
    };
    // 2 handshake frames + 200 messages through each proxy, and the survivors delivered.
    await waitFor(() => decided(1, 2) === 202 && decided(2, 1) === 202, "every frame through both proxies");
    await waitFor(
      () => b.received.length === links.proxy(1, 2).counters().forward.framesForwarded - 2 && a.received.length === links.proxy(2, 1).counters().forward.framesForwarded - 2,
      "the survivors delivered",
    );
    for (const [node, from] of [[b, 1], [a, 2]] as const) {
      const seqs = seqsFrom(node, from);
      expect(strictlyIncreasing(seqs)).toBe(true);
      expect(seqs.length).toBeGreaterThan(100);
      expect(seqs.length).toBeLessThan(180);
      expect(node.metrics.count("handshake_failures")).toBe(0);
      expect(node.metrics.count("protocol_errors")).toBe(0);
    }
    expect(isConnected(a, 2) && isConnected(b, 1)).toBe(true);
    for (const l of links.counters()) {
      expect(l.counters.connectionsAccepted).toBe(1); // one handshake each, never redone
      expect(l.counters.forward.framesDropped).toBeGreaterThan(0);
      expect(l.counters.forward.framesDelayed).toBe(l.counters.forward.framesForwarded); // every survivor, handshake included
    }

    links.clearFaults();
    sendRange(a, 2, 200, 300);
    sendRange(b, 1, 200, 300);
    await waitFor(() => seqsFrom(b, 1).filter((s) => s >= 200).length === 100 && seqsFrom(a, 2).filter((s) => s >= 200).length === 100, "all 100 after healing, both ways");
    expect(seqsFrom(b, 1).filter((s) => s >= 200)).toEqual(range(200, 300));
    expect(seqsFrom(a, 2).filter((s) => s >= 200)).toEqual(range(200, 300));
  });

  it('a full partition ("reset"): nothing flows, nothing crashes, the queued messages arrive after healing', async () => {
    const { nodes, links } = await proxiedCluster(h, [1, 2], 7);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    sendRange(a, 2, 0, 5);
    sendRange(b, 1, 0, 5);
    await waitFor(() => a.received.length === 5 && b.received.length === 5, "traffic before the partition");

    links.partition([[1], [2]]);
    await waitFor(() => !isConnected(a, 2) && !isConnected(b, 1), "both outbound connections down");
    sendRange(a, 2, 5, 15);
    sendRange(b, 1, 5, 15);
    // The transports keep redialing (every 20-200 ms) and every attempt is refused.
    await waitFor(() => links.proxy(1, 2).counters().connectionsRefused >= 2 && links.proxy(2, 1).counters().connectionsRefused >= 2, "redials refused");
    await sleep(100);
    expect(a.received).toHaveLength(5);
    expect(b.received).toHaveLength(5);

    links.heal();
    await waitFor(() => a.received.length === 15 && b.received.length === 15, "the queued messages after healing");
    expect(seqsFrom(b, 1)).toEqual(range(0, 15));
    expect(seqsFrom(a, 2)).toEqual(range(0, 15));
    for (const n of nodes) expect(n.metrics.count("handshake_failures")).toBe(0);
  });

  it('a full partition ("blackhole"): connections stay up, messages vanish; after healing new ones flow', async () => {
    const { nodes, links } = await proxiedCluster(h, [1, 2], 8);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    sendRange(a, 2, 0, 5);
    await waitFor(() => b.received.length === 5 && isConnected(b, 1), "traffic before the partition");

    links.partition([[1], [2]], "blackhole");
    sendRange(a, 2, 5, 15);
    await waitFor(() => links.proxy(1, 2).counters().forward.framesBlackholed === 10, "10 messages blackholed");
    expect(b.received).toHaveLength(5);
    expect(isConnected(a, 2)).toBe(true); // nothing told node 1

    links.heal();
    sendRange(a, 2, 15, 20);
    await waitFor(() => b.received.length === 10, "new messages after healing");
    expect(seqsFrom(b, 1)).toEqual([...range(0, 5), ...range(15, 20)]);
  });
});
