import { MemoryStorage, RaftNode, SeededRng, type Message, type RaftObserver } from "@raft-ts/core";
import pino from "pino";
import { expect } from "vitest";
import { parseClusterConfig, type ClusterConfig } from "../src/config.js";
import { KvStateMachine } from "../src/kv/state-machine.js";
import { RaftDriver, type DriverMetrics } from "../src/raft-driver.js";

export const silent = pino({ level: "silent" });

/**
 * Node 1 of a cluster of `size` (Raft 127.0.0.1:1500N, HTTP 127.0.0.1:1800N, never bound) in
 * this process: MemoryStorage, the real driver and state machine, messages handed to `send`.
 * `configExtra` goes into the cluster config; `wiring` plugs in the core's observer and the
 * driver's metrics (the real metrics wiring, for the metrics tests). Not started.
 */
export function inProcessNode(
  size: number,
  configExtra: Record<string, unknown> = {},
  send: (m: Message) => void = () => {},
  wiring: { observer?: RaftObserver; metrics?: DriverMetrics } = {},
) {
  const config: ClusterConfig = parseClusterConfig({
    clusterId: "test",
    ...configExtra,
    nodes: Array.from({ length: size }, (_, i) => ({ id: i + 1, raft: `127.0.0.1:${15001 + i}`, http: `127.0.0.1:${18001 + i}` })),
  });
  const storage = new MemoryStorage();
  const node = new RaftNode(
    { id: 1, voters: config.nodes.map((n) => n.id), electionTicks: 15, heartbeatTicks: 5, rng: new SeededRng(1), ...(wiring.observer === undefined ? {} : { observer: wiring.observer }) },
    storage,
  );
  const kv = new KvStateMachine();
  const driver = new RaftDriver({
    node,
    storage,
    transport: { send },
    kv,
    tickMs: 2,
    logger: silent,
    maxPending: 100,
    requestTimeoutMs: 2000,
    onFatal: (e) => {
      throw e;
    },
    ...(wiring.metrics === undefined ? {} : { metrics: wiring.metrics }),
  });
  return { config, storage, node, kv, driver };
}

/** Waits (bounded) until the driver's node leads; a single-node cluster elects itself. */
export async function untilLeader(driver: RaftDriver): Promise<void> {
  for (let i = 0; i < 500 && driver.status().role !== "leader"; i++) await new Promise((r) => setTimeout(r, 5));
  expect(driver.status().role).toBe("leader");
}
