import type { Heartbeat, Message, NodeId } from "@raft-ts/core";
import { CountingMetrics, TcpTransport, type PeerAddress } from "@raft-ts/transport-tcp";
import { LinkMap } from "../src/index.js";
import type { Harness } from "./helpers.js";

/** A real transport whose every peer link goes through a proxy of `links`. */
export interface ProxiedNode {
  readonly id: NodeId;
  readonly transport: TcpTransport;
  readonly address: PeerAddress;
  readonly received: Message[];
  readonly metrics: CountingMetrics;
}

/** With a secret, so every connection runs the HMAC handshake the proxy must not break. */
export const SECRET = "chaos-suite shared secret 0123456789";

/**
 * Starts one TcpTransport per id on 127.0.0.1, a LinkMap over them, and points each
 * transport's peers at its proxies. Everything is closed by the harness.
 */
export async function proxiedCluster(h: Harness, ids: readonly NodeId[], seed: number): Promise<{ nodes: ProxiedNode[]; links: LinkMap }> {
  const nodes: ProxiedNode[] = [];
  for (const id of ids) {
    const received: Message[] = [];
    const metrics = new CountingMetrics();
    const transport = new TcpTransport({
      nodeId: id,
      clusterId: "chaos-test",
      listen: { host: "127.0.0.1", port: 0 },
      peers: new Map(),
      secret: SECRET,
      reconnect: { initialMs: 20, maxMs: 200 },
      handshakeTimeoutMs: 2000,
      metrics,
      onMessage: (m) => received.push(m),
    });
    h.defer(() => transport.close());
    const address = await transport.start();
    nodes.push({ id, transport, address, received, metrics });
  }
  const links = await LinkMap.create({ nodes: nodes.map((n) => ({ id: n.id, address: n.address })), seed });
  h.defer(() => links.close());
  for (const n of nodes) for (const [peer, address] of links.peersFor(n.id)) n.transport.setPeer(peer, address);
  return { nodes, links };
}

export function heartbeat(from: NodeId, to: NodeId, readSeq: number): Heartbeat {
  return { type: "Heartbeat", from, to, term: 1, commit: 0, readSeq };
}

/** The readSeqs of the heartbeats `node` received from `from`, in arrival order. */
export function seqsFrom(node: ProxiedNode, from: NodeId): number[] {
  return node.received.filter((m) => m.from === from && m.type === "Heartbeat").map((m) => (m as Heartbeat).readSeq);
}

export function sendRange(from: ProxiedNode, to: NodeId, first: number, end: number): void {
  for (let s = first; s < end; s++) from.transport.send(heartbeat(from.id, to, s));
}

export function isConnected(node: ProxiedNode, peer: NodeId): boolean {
  return node.transport.status().find((p) => p.id === peer)?.outbound === "connected";
}
