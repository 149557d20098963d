import { randomInt } from "node:crypto";
import { describeMembership, RaftNode, SeededRng, type Membership } from "@raft-ts/core";
import { SqliteStorage } from "@raft-ts/storage-sqlite";
import { TcpTransport } from "@raft-ts/transport-tcp";
import type { Logger } from "pino";
import { dataDirOf, nodeOf, url, type ClusterConfig } from "./config.js";
import { buildHttpServer } from "./http/server.js";
import { AddressBook, encodeMemberAddress } from "./membership/address-book.js";
import { joinCluster, JoinRefused } from "./membership/join.js";
import { KvStateMachine } from "./kv/state-machine.js";
import { NodeMetrics } from "./metrics/node-metrics.js";
import { RaftDriver } from "./raft-driver.js";
import { UiEventHub } from "./ui/event-hub.js";

export interface RunningNode {
  readonly id: number;
  readonly httpUrl: string;
  /** Stop accepting requests, answer what waits, close the transport and the database. */
  shutdown(): Promise<void>;
}

/** How long connections to a removed member outlive its removal (see onMembership). */
const REMOVED_PEER_GRACE_MS = 1000;

export interface RunNodeOptions {
  /**
   * Join a running cluster through this member's HTTP address instead of bootstrapping one:
   * the node starts with no configuration and asks the leader to add it (skipped when its log
   * already makes it a member, as after a restart).
   */
  readonly join?: string;
  /**
   * The URL of the `pnpm start` launcher that started this node: the live view's `hello`
   * reports it (the page stops and starts nodes through it) and pages there may call the API.
   */
  readonly launcher?: string;
}

/**
 * Start one node of `config`: open its data directory (recovering term, vote and log), join
 * the peers over TCP, serve HTTP, and drive Raft. `onFatal` is called when the node must stop
 * (a write that could not be made durable, or a cluster that refused to let it join).
 */
export async function runNode(config: ClusterConfig, id: number, logger: Logger, onFatal: (e: unknown) => void, options: RunNodeOptions = {}): Promise<RunningNode> {
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
      // The bootstrap membership: used until the log records one (the first leader does).
      voters: options.join === undefined ? config.nodes.map((n) => n.id) : [],
      addresses: Object.fromEntries(config.nodes.map((n) => [n.id, encodeMemberAddress(n)])),
      electionTicks: config.electionTimeoutMs[0] / tickMs,
      heartbeatTicks: config.heartbeatMs / tickMs,
      rng: new SeededRng(randomInt(0x7fffffff)),
      applied: kv.applied,
      logger: logger.child({ component: "raft" }),
      observer: metrics.raftObserver(),
    },
    storage,
  );

  // Peers: the members of the configuration in force (the log's, once it has one), else the
  // config file's nodes. Kept in step with membership changes (onMembership below).
  const book = new AddressBook(config.nodes);
  book.update(node.membership());
  const connect = (peers: readonly number[]): void => {
    for (const peer of peers) {
      if (peer === id) continue;
      const raft = config.dialOverrides.get(peer) ?? book.lookup(peer)?.raft;
      if (raft !== undefined) transport.setPeer(peer, raft);
    }
  };
  let wasMember = node.membership().members.some((m) => m.id === id);
  const onMembership = (m: Membership, committed: boolean): void => {
    if (!committed) {
      // The configuration in force (newest in the log): who is where, and whom to connect to.
      book.update(m);
      connect(m.members.map((x) => x.id));
      return;
    }
    // Forget nodes a committed configuration removed (unless a newer one has them again), a
    // moment later, not now: the leader's last messages to them (the commit index that tells
    // them their removal is final) are still queued in this turn.
    const removed = transport.status().filter((p) => !m.members.some((x) => x.id === p.id) && !book.current().members.some((x) => x.id === p.id));
    if (removed.length > 0) {
      setTimeout(() => {
        for (const p of removed) {
          if (!book.current().members.some((x) => x.id === p.id)) void transport.removePeer(p.id);
        }
      }, REMOVED_PEER_GRACE_MS).unref();
    }
    const isMember = m.members.some((x) => x.id === id);
    if (wasMember && !isMember) {
      logger.warn({ membership: describeMembership(m) }, "this node was removed from the cluster: it takes no further part and can be stopped");
    }
    wasMember = isMember;
  };

  const transport = new TcpTransport({
    nodeId: id,
    clusterId: config.clusterId,
    listen: self.raft,
    peers: new Map(), // connect() below
    ...(config.secret === undefined ? {} : { secret: config.secret }),
    logger, // the transport binds its own component name
    metrics: metrics.transportMetrics(),
    // Messages arrive only after start(), by which time the driver exists.
    onMessage: (m) => driver.receive(m),
  });
  // The live view's events (GET /events): idle until a client connects.
  const hub = new UiEventHub({
    id,
    config,
    launcher: options.launcher ?? null,
    status: () => node.status(),
    storageFull: () => driver.storageFull,
    storage,
    book,
    logger: logger.child({ component: "ui" }),
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
    observer: hub,
    snapshot: config.snapshot,
    onMembership,
    // A leader whose write takes an election timeout holds every commit that long: hand over.
    syncStallMs: config.electionTimeoutMs[0],
  });

  connect(node.membership().members.length > 0 ? node.membership().members.map((m) => m.id) : config.nodes.map((n) => n.id));

  const http = buildHttpServer({
    config,
    self,
    driver,
    kv,
    logger,
    metrics,
    book,
    events: hub,
    ...(options.launcher === undefined ? {} : { launcher: options.launcher }),
  });
  try {
    await transport.start();
    await http.listen({ host: self.http.host, port: self.http.port });
  } catch (e) {
    hub.close();
    await http.close().catch(() => {});
    await transport.close().catch(() => {});
    storage.close();
    throw e;
  }
  driver.start();
  logger.info({ raft: `${self.raft.host}:${self.raft.port}`, http: url(self.http), dataDir, membership: describeMembership(node.membership()) }, "node started");

  const joining = new AbortController();
  if (options.join !== undefined) {
    if (wasMember) {
      logger.info({ membership: describeMembership(node.membership()) }, "--join ignored: this node's log already makes it a member");
    } else {
      joinCluster({
        via: options.join,
        id,
        self,
        logger: logger.child({ component: "join" }),
        onMembers: (members) => {
          for (const m of members) transport.setPeer(m.id, config.dialOverrides.get(m.id) ?? m.raft);
        },
        // Catching up a large state can take a while; the learner keeps replicating meanwhile.
        timeoutMs: 10 * 60_000,
        signal: joining.signal,
        ...(config.apiToken === undefined ? {} : { token: config.apiToken }),
      }).catch((e: unknown) => {
        if (e instanceof JoinRefused) onFatal(e);
        else logger.error({ err: e }, "could not join the cluster; add this node with POST /admin/members");
      });
    }
  }

  let closing: Promise<void> | undefined;
  return {
    id,
    httpUrl: url(self.http),
    shutdown() {
      closing ??= (async () => {
        logger.info("shutting down");
        joining.abort();
        if (driver.status().role === "leader") {
          // Hand over first, so the cluster has a leader at once instead of after an election timeout.
          const outcome = await driver.transferLeadership(undefined, 2 * config.electionTimeoutMs[1]);
          if (outcome.type === "done") logger.info({ to: outcome.to, term: outcome.term }, "handed leadership over before stopping");
          else logger.warn({ outcome }, "could not hand leadership over before stopping");
        }
        // Closing HTTP ends the live view's streams too (an open one must not hold shutdown up).
        const httpClosed = http.close();
        driver.stop();
        await httpClosed;
        hub.close();
        await transport.close();
        storage.close();
        logger.info("stopped cleanly");
      })();
      return closing;
    },
  };
}
