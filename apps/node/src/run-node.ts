import { randomInt } from "node:crypto";
import { RaftNode, SeededRng } from "@raft-ts/core";
import { SqliteStorage } from "@raft-ts/storage-sqlite";
import { TcpTransport } from "@raft-ts/transport-tcp";
import type { Logger } from "pino";
import { dataDirOf, nodeOf, url, type ClusterConfig } from "./config.js";
import { buildHttpServer } from "./http/server.js";
import { KvStateMachine } from "./kv/state-machine.js";
import { NodeMetrics } from "./metrics/node-metrics.js";
import { RaftDriver } from "./raft-driver.js";

export interface RunningNode {
  readonly id: number;
  readonly httpUrl: string;
  /** Stop accepting requests, answer what waits, close the transport and the database. */
  shutdown(): Promise<void>;
}

/**
 * Start one node of `config`: open its data directory (recovering term, vote and log), join
 * the peers over TCP, serve HTTP, and drive Raft. `onFatal` is called when the node must stop
 * (a write that could not be made durable).
 */
export async function runNode(config: ClusterConfig, id: number, logger: Logger, onFatal: (e: unknown) => void): Promise<RunningNode> {
  const self = nodeOf(config, id);
  const dataDir = dataDirOf(config, self);
  // The metrics read the node's status at scrape time; `node` exists by the first scrape.
  const peerIds = config.nodes.filter((n) => n.id !== id).map((n) => n.id);
  const metrics: NodeMetrics = new NodeMetrics(id, config.clusterId, peerIds, () => ({
    node: node.status(),
    logEntries: storage.lastIndex() - storage.firstIndex() + 1,
    snapshotIndex: storage.snapshotMeta()?.index ?? 0,
  }));
  const storage = SqliteStorage.open(dataDir, { onPersist: (stats) => metrics.storagePersisted(stats) });
  const hs = storage.hardState();
  if (storage.lastIndex() > 0 || hs.term > 0) {
    logger.info(
      { dataDir, term: hs.term, vote: hs.vote || null, commit: hs.commit, firstIndex: storage.firstIndex(), lastIndex: storage.lastIndex() },
      "recovered from disk",
    );
  } else {
    logger.info({ dataDir }, "new node: empty data directory");
  }

  const kv = new KvStateMachine();
  // The state machine starts from the latest snapshot; the log after it is applied on top.
  const snapshot = storage.snapshot();
  if (snapshot !== undefined) {
    try {
      kv.restore(snapshot.data, snapshot.meta.index);
    } catch (e) {
      storage.close();
      throw e;
    }
    logger.info({ index: snapshot.meta.index, term: snapshot.meta.term, keys: kv.size, bytes: snapshot.data.length }, "state machine loaded from the snapshot");
  }
  const tickMs = config.tickMs;
  const node = new RaftNode(
    {
      id,
      voters: config.nodes.map((n) => n.id),
      electionTicks: config.electionTimeoutMs[0] / tickMs,
      heartbeatTicks: config.heartbeatMs / tickMs,
      rng: new SeededRng(randomInt(0x7fffffff)),
      applied: kv.applied,
      logger: logger.child({ component: "raft" }),
      observer: metrics.raftObserver(),
    },
    storage,
  );

  const transport = new TcpTransport({
    nodeId: id,
    clusterId: config.clusterId,
    listen: self.raft,
    peers: new Map(config.nodes.filter((n) => n.id !== id).map((n) => [n.id, n.raft])),
    ...(config.secret === undefined ? {} : { secret: config.secret }),
    logger, // the transport binds its own component name
    metrics: metrics.transportMetrics(),
    // Messages arrive only after start(), by which time the driver exists.
    onMessage: (m) => driver.receive(m),
  });
  const driver: RaftDriver = new RaftDriver({
    node,
    storage,
    transport,
    kv,
    tickMs,
    logger: logger.child({ component: "driver" }),
    maxPending: config.limits.maxPendingRequests,
    requestTimeoutMs: config.limits.requestTimeoutMs,
    onFatal,
    metrics: metrics.driverMetrics(),
    snapshot: config.snapshot,
  });

  const http = buildHttpServer({ config, self, driver, kv, logger, metrics });
  try {
    await transport.start();
    await http.listen({ host: self.http.host, port: self.http.port });
  } catch (e) {
    await http.close().catch(() => {});
    await transport.close().catch(() => {});
    storage.close();
    throw e;
  }
  driver.start();
  logger.info({ raft: `${self.raft.host}:${self.raft.port}`, http: url(self.http), dataDir }, "node started");

  let closing: Promise<void> | undefined;
  return {
    id,
    httpUrl: url(self.http),
    shutdown() {
      closing ??= (async () => {
        logger.info("shutting down");
        if (driver.status().role === "leader") {
          // Hand over first, so the cluster has a leader at once instead of after an election timeout.
          const outcome = await driver.transferLeadership(undefined, 2 * config.electionTimeoutMs[1]);
          if (outcome.type === "done") logger.info({ to: outcome.to, term: outcome.term }, "handed leadership over before stopping");
          else logger.warn({ outcome }, "could not hand leadership over before stopping");
        }
        const httpClosed = http.close();
        driver.stop();
        await httpClosed;
        await transport.close();
        storage.close();
        logger.info("stopped cleanly");
      })();
      return closing;
    },
  };
}
