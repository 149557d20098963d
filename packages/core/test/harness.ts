import {
  MemoryStorage,
  RaftNode,
  SeededRng,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
  type Ready,
  type Snapshot,
} from "../src/index.js";

export interface HarnessNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  raft: RaftNode;
  /** Committed entries this incarnation applied, in order. */
  applied: Entry[];
  readStates: ReadState[];
  /** Every Ready this incarnation produced, for tests that inspect outputs. */
  readies: Ready[];
  /** Snapshots this incarnation received from a leader and installed. */
  installed: Snapshot[];
}

export type HarnessOptions = Partial<Omit<RaftConfig, "id" | "voters" | "rng">> & {
  seed?: number;
  /**
   * The nodes that bootstrap the cluster (default: all). The others start with no
   * configuration, as nodes waiting to join do.
   */
  bootstrapVoters?: NodeId[];
};

/**
 * A small synchronous cluster for unit tests: messages go into one queue and are delivered by
 * deliverAll()/stabilize(); links can be cut. Deterministic: the RNG is seeded per node.
 */
export class TestCluster {
  readonly nodes = new Map<NodeId, HarnessNode>();
  readonly ids: NodeId[];
  queue: Message[] = [];
  /** Directed links that drop messages: "from>to". */
  private readonly cut = new Set<string>();
  /** When set, every message sent is also recorded here. */
  readonly sent: Message[] = [];

  constructor(
    idsOrCount: number | NodeId[],
    private readonly opts: HarnessOptions = {},
    storages: Map<NodeId, MemoryStorage> = new Map(),
  ) {
    this.ids = typeof idsOrCount === "number" ? Array.from({ length: idsOrCount }, (_, i) => i + 1) : idsOrCount;
    for (const id of this.ids) {
      const storage = storages.get(id) ?? new MemoryStorage();
      this.nodes.set(id, { id, storage, raft: this.makeRaft(id, storage), applied: [], readStates: [], readies: [], installed: [] });
    }
  }

  private makeRaft(id: NodeId, storage: MemoryStorage): RaftNode {
    const { seed, bootstrapVoters, ...rest } = this.opts;
    const voters = bootstrapVoters === undefined ? this.ids : bootstrapVoters.includes(id) ? bootstrapVoters : [];
    return new RaftNode(
      {
        electionTicks: 10,
        heartbeatTicks: 1,
        // The state machine restarts from the latest snapshot.
        applied: storage.snapshotMeta()?.index ?? 0,
        ...rest,
        id,
        voters,
        rng: new SeededRng((seed ?? 1) * 1000 + id),
      },
      storage,
    );
  }

  node(id: NodeId): HarnessNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  raft(id: NodeId): RaftNode {
    return this.node(id).raft;
  }

  /** Restart a node from its storage: volatile state is lost, persisted state kept. */
  restart(id: NodeId): void {
    const n = this.node(id);
    n.raft = this.makeRaft(id, n.storage);
    n.applied = [];
    n.readStates = [];
    n.readies = [];
    n.installed = [];
    this.queue = this.queue.filter((m) => m.to !== id);
  }

  isolate(id: NodeId): void {
    for (const other of this.ids) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Carry out the node's Readys as a driver would: send, persist, send, apply, advance. */
  drain(id: NodeId): void {
    const n = this.node(id);
    let guard = 0;
    while (n.raft.hasReady()) {
      if (++guard > 1000) throw new Error(`node ${id} keeps producing Readys`);
      const rd = n.raft.ready();
      n.readies.push(rd);
      this.enqueue(rd.messages);
      if (rd.snapshot !== undefined) {
        n.storage.saveSnapshot(rd.snapshot);
        n.installed.push(rd.snapshot);
      }
      n.storage.persist(rd.hardState, rd.entries);
      this.enqueue(rd.persistedMessages);
      n.applied.push(...rd.committedEntries);
      n.readStates.push(...rd.readStates);
      n.raft.advance();
    }
  }

  private enqueue(ms: readonly Message[]): void {
    for (const m of ms) {
      this.sent.push(m);
      if (!this.cut.has(`${m.from}>${m.to}`)) this.queue.push(m);
    }
  }

  drainAll(): void {
    for (const id of this.ids) this.drain(id);
  }

  /** Deliver the queued messages (only those queued now); returns how many were delivered. */
  deliverAll(filter: (m: Message) => boolean = () => true): number {
    const batch = this.queue;
    this.queue = [];
    let n = 0;
    for (const m of batch) {
      if (!filter(m)) continue;
      this.raft(m.to).step(m);
      this.drain(m.to);
      n++;
    }
    return n;
  }

  /** Drain and deliver until no node has anything to do. Returns the number of rounds. */
  stabilize(maxRounds = 1000): number {
    this.drainAll();
    let rounds = 0;
    while (this.queue.length > 0) {
      if (++rounds > maxRounds) throw new Error(`no quiescence after ${maxRounds} rounds`);
      this.deliverAll();
    }
    return rounds;
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.raft(id).tick();
      this.drain(id);
    }
  }

  /** Tick every node once. */
  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const id of this.ids) this.tick(id);
  }

  /**
   * Make `id` campaign by ticking it alone past its election timeout, then let the cluster
   * settle. Returns whether it became leader.
   */
  elect(id: NodeId): boolean {
    const raft = this.raft(id);
    const term = raft.status().term;
    for (let i = 0; i < 100 && raft.status().role === "follower" && raft.status().term === term; i++) {
      raft.tick();
      this.drain(id);
    }
    this.stabilize();
    return this.raft(id).status().role === "leader";
  }

  leader(): NodeId | undefined {
    const leaders = this.ids.filter((id) => this.raft(id).status().role === "leader");
    if (leaders.length > 1) {
      const terms = leaders.map((id) => this.raft(id).status().term);
      if (new Set(terms).size === leaders.length) {
        // stale leaders in older terms can coexist until they hear of the new term
        return leaders.reduce((a, b) => (this.raft(a).status().term >= this.raft(b).status().term ? a : b));
      }
      throw new Error(`two leaders in one term: ${leaders.join(", ")}`);
    }
    return leaders[0];
  }

  /** Propose on `id` and settle; returns the index, or throws if `id` is not leader. */
  propose(id: NodeId, data: string): number {
    const r = this.raft(id).propose(new TextEncoder().encode(data));
    if (!r.ok) throw new Error(`node ${id} cannot take a proposal: ${JSON.stringify(r.error)}`);
    this.stabilize();
    return r.value.index;
  }

  /** The data of the normal entries a node applied, as strings. */
  appliedData(id: NodeId): string[] {
    return this.node(id)
      .applied.filter((e) => e.type === "normal")
      .map((e) => new TextDecoder().decode(e.data));
  }

  /** The node's persisted log as [index, term] pairs. */
  logTerms(id: NodeId): [number, number][] {
    const s = this.node(id).storage;
    const out: [number, number][] = [];
    for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push([i, s.term(i)!]);
    return out;
  }
}

/** Build a MemoryStorage holding entries with the given terms (index = position + 1), and a term. */
export function storageWithTerms(terms: readonly number[], currentTerm?: number): MemoryStorage {
  const s = new MemoryStorage();
  const entries: Entry[] = terms.map((term, i) => ({
    index: i + 1,
    term,
    type: "normal",
    data: new TextEncoder().encode(`e${i + 1}t${term}`),
  }));
  s.persist({ term: currentTerm ?? terms[terms.length - 1] ?? 0, vote: 0, commit: 0 }, entries);
  return s;
}
