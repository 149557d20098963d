// What the heartbeat benchmark and its peer processes (heartbeat-peer.ts) say to each other
// over the IPC channel. Only control travels here; measured traffic goes over TCP.

/** Raft timing in ticks, and the tick period. */
export interface Timing {
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
}

/** What a peer process runs, given as JSON in its first argument. */
export type PeerSpec =
  /** A Raft follower: RaftNode + MemoryStorage + TcpTransport, driven by apps/node's RaftDriver. */
  | { readonly mode: "raft"; readonly id: number; readonly voters: readonly number[]; readonly timing: Timing }
  /** A node:net server answering each length-prefixed frame with `pongHex`. */
  | { readonly mode: "raw"; readonly pongHex: string };

export type ToPeer =
  /** Raft only: where every other node listens (127.0.0.1). */
  | { readonly type: "peers"; readonly ports: readonly (readonly [number, number])[] }
  /** Raft only: start the tick timer (the leader is elected by then). */
  | { readonly type: "start" }
  | { readonly type: "stop" };

export type FromPeer =
  | { readonly type: "listening"; readonly port: number }
  /** Raft only: connected both ways to every peer it was given. */
  | { readonly type: "connected" }
  | { readonly type: "failed"; readonly message: string };

export const CLUSTER_ID = "raft-ts-bench-heartbeat";
export const HOST = "127.0.0.1";
