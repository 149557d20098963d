// A Raft cluster for the heartbeat benchmark: node 1, the leader, in this process; followers
// 2..n+1 in peer processes (heartbeat-peer.ts); real RaftNodes talking over real TcpTransports
// on 127.0.0.1. Node 1 is made to campaign first, so it is the leader every run.
import { defaultClusterConfig } from "../../node/src/config.js";
import { KvStateMachine } from "../../node/src/kv/state-machine.js";
import { createLogger } from "../../node/src/logger.js";
import { RaftDriver } from "../../node/src/raft-driver.js";
import { CLUSTER_ID, HOST, type Timing } from "./heartbeat-ipc.js";
import { PeerProcess } from "./peer-processes.js";
import { MemoryStorage, RaftNode, SeededRng, type Message, type RaftObserver } from "@raft-ts/core";
import { TcpTransport } from "@raft-ts/transport-tcp";

const LEADER_ID = 1;
/** Starting a peer is starting Node and tsx: seconds on a busy 2-core machine. */
const PEER_START_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 15_000;
const ELECTION_TIMEOUT_MS = 10_000;

/** The timing `pnpm start` runs with (apps/node's config defaults), in ticks as run-node.ts derives them. */
export function defaultTiming(): Timing {
  const c = defaultClusterConfig();
  return { tickMs: c.tickMs, electionTicks: c.electionTimeoutMs[0] / c.tickMs, heartbeatTicks: c.heartbeatMs / c.tickMs };
}

export interface ClusterOptions {
  readonly followers: number;
  /**
   * "timer": apps/node's RaftDriver ticks the leader every `leader.tickMs`, as a real node.
   * "bench": the caller ticks it with tick(); `leader.tickMs` is unused.
   */
  readonly clock: "timer" | "bench";
  readonly leader: Timing;
  readonly follower: Timing;
  /** The leader's protocol events (heartbeatSent, heartbeatAnswered, ...). */
  readonly observer: RaftObserver;
  /** Called after each message from a follower has been stepped and its Ready carried out. */
  readonly afterMessage?: () => void;
  readonly onProgress?: (line: string) => void;
  /** Names this cluster in progress lines and errors. */
  readonly name: string;
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export class BenchCluster {
  readonly node: RaftNode;
  private readonly storage = new MemoryStorage();
  private readonly transport: TcpTransport;
  private readonly driver: RaftDriver | undefined;
  private followers: PeerProcess[] = [];
  /** An error thrown while stepping a message (a broken invariant): reported by check(). */
  private failure: unknown;
  /** The first heartbeat sent and the first answer received, as they went over the wire. */
  firstHeartbeat: Message | undefined;
  firstResponse: Message | undefined;

  private constructor(private readonly o: ClusterOptions) {
    const voters = Array.from({ length: o.followers + 1 }, (_, i) => i + 1);
    const { electionTicks, heartbeatTicks } = o.leader;
    this.node = new RaftNode({ id: LEADER_ID, voters, electionTicks, heartbeatTicks, rng: new SeededRng(LEADER_ID), observer: o.observer }, this.storage);
    this.transport = new TcpTransport({
      nodeId: LEADER_ID,
      clusterId: CLUSTER_ID,
      listen: { host: HOST, port: 0 },
      peers: new Map(),
      onMessage: (m) => this.receive(m),
    });
    if (o.clock === "timer") {
      this.driver = new RaftDriver({
        node: this.node,
        storage: this.storage,
        transport: { send: (m) => this.send(m) },
        kv: new KvStateMachine(),
        tickMs: o.leader.tickMs,
        logger: createLogger({ nodeId: LEADER_ID, level: "warn", format: "json" }),
        maxPending: 10_000,
        requestTimeoutMs: 5000,
        onFatal: (e) => (this.failure = e),
      });
    }
  }

  /**
   * Start the followers and node 1, connect them all, elect node 1 and wait until every
   * follower holds its log (the no-op of its term), then start the followers' clocks.
   */
  static async start(o: ClusterOptions): Promise<BenchCluster> {
    const c = new BenchCluster(o);
    try {
      await c.assemble();
      return c;
    } catch (e) {
      await c.stop();
      throw e;
    }
  }

  private async assemble(): Promise<void> {
    const { o } = this;
    const voters = Array.from({ length: o.followers + 1 }, (_, i) => i + 1);
    this.followers = voters
      .filter((id) => id !== LEADER_ID)
      .map((id) => PeerProcess.spawn(`${o.name}: follower ${id}`, { mode: "raft", id, voters, timing: o.follower }));
    o.onProgress?.(`${o.name}: starting ${o.followers} follower processes (pids ${this.followers.map((f) => f.pid).join(", ")})`);
    const ports: [number, number][] = [[LEADER_ID, (await this.transport.start()).port]];
    for (const [i, f] of this.followers.entries()) ports.push([i + 2, (await f.next("listening", PEER_START_TIMEOUT_MS)).port]);
    for (const [id, port] of ports) if (id !== LEADER_ID) this.transport.setPeer(id, { host: HOST, port });
    for (const f of this.followers) f.send({ type: "peers", ports });
    await Promise.all(this.followers.map((f) => f.next("connected", CONNECT_TIMEOUT_MS)));
    const connected = () => this.transport.status().every((p) => p.outbound === "connected" && p.inbound);
    await until(connected, CONNECT_TIMEOUT_MS, `${o.name}: node 1 did not connect to every follower`);

    // Campaign at once instead of after a random timeout: run the election timer out (it fires
    // within 2T ticks). The followers' clocks are not running yet, so none competes.
    for (let i = 0; i < 2 * o.leader.electionTicks && this.node.status().role === "follower"; i++) this.node.tick();
    if (this.driver !== undefined) this.driver.start();
    else this.process();
    const settled = () => {
      this.check();
      const s = this.node.status();
      return s.role === "leader" && s.commit === s.lastIndex && s.peers.every((p) => p.match === s.lastIndex);
    };
    await until(settled, ELECTION_TIMEOUT_MS, `${o.name}: node 1 was not elected with its log on every follower`);
    for (const f of this.followers) f.send({ type: "start" });
  }

  /** Bench clock: one tick (a heartbeat to every follower when heartbeatTicks is 1), carried out. */
  tick(): void {
    this.node.tick();
    this.process();
  }

  /** Throw what went wrong inside a message handler, if anything did. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  async stop(): Promise<void> {
    this.driver?.stop();
    await Promise.all(this.followers.map((f) => f.stop()));
    await this.transport.close();
  }

  private receive(m: Message): void {
    if (this.failure !== undefined) return;
    if (m.type === "HeartbeatResponse") this.firstResponse ??= m;
    try {
      if (this.driver !== undefined) {
        this.driver.receive(m);
      } else {
        this.node.step(m);
        this.process();
      }
      this.o.afterMessage?.();
    } catch (e) {
      this.failure = e;
    }
  }

  private send(m: Message): void {
    if (m.type === "Heartbeat") this.firstHeartbeat ??= m;
    this.transport.send(m);
  }

  /**
   * Bench clock: carry out every Ready in RaftDriver's order (persist, send, advance). There
   * is nothing to apply: the only entry is the leader's no-op.
   */
  private process(): void {
    while (this.node.hasReady()) {
      const rd = this.node.ready();
      this.storage.persist(rd.hardState, rd.entries);
      for (const m of rd.messages) this.send(m);
      for (const m of rd.persistedMessages) this.send(m);
      this.node.advance();
    }
  }
}
