import {
  describeMembership,
  MemoryStorage,
  RaftNode,
  SeededRng,
  voterIds,
  type ConfChange,
  type Entry,
  type Logger,
  type Message,
  type NodeId,
  type Ready,
  type TestingBugs,
} from "../src/index.js";
import { entryDigest, SafetyChecker, Violation } from "./checker.js";
import { CALM, SimNetwork, type LinkFaults } from "./network.js";

export interface SimOptions {
  readonly seed: number;
  /** Cluster size (3 and 5 are the usual). */
  readonly nodes: number;
  /** Milliseconds of faults before everything heals. */
  readonly chaosMs?: number;
  /** After healing: how long a leader and then a committed proposal may take to appear. */
  readonly livenessBoundMs?: number;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Receives a readable trace of the run (slows it down). */
  readonly trace?: (line: string) => void;
  /** Also trace every message delivery and the core's debug logs. */
  readonly verbose?: boolean;
  readonly testingBugs?: TestingBugs;
}

export interface SimStats {
  ms: number;
  messagesSent: number;
  messagesDropped: number;
  messagesDuplicated: number;
  crashes: number;
  partitions: number;
  /** Leadership transfers asked of a leader (whether or not they succeeded). */
  transfers: number;
  /** Membership changes a leader accepted (add learner, promote, add voter, remove). */
  membershipChanges: number;
  /** Removed nodes whose storage was wiped before they were added back, as a new machine would be. */
  wipes: number;
  /** Snapshots nodes took of their state machine (and compacted behind). */
  snapshotsTaken: number;
  /** Snapshots followers received from a leader and installed. */
  snapshotsInstalled: number;
  leaderTerms: number;
  writesAcked: number;
  readsChecked: number;
  checks: number;
  /** Milliseconds from healing to a leader known by every node. */
  healToLeaderMs: number | undefined;
  /** Milliseconds from that leader to a proposal applied on every node. */
  healToCommitMs: number | undefined;
  finalCommit: number;
}

export interface SimResult {
  readonly ok: boolean;
  readonly seed: number;
  readonly nodes: number;
  readonly failure?: { readonly property: string; readonly message: string; readonly atMs: number };
  readonly stats: SimStats;
}

interface SimNode {
  readonly id: NodeId;
  storage: MemoryStorage;
  /** The voters it bootstraps with: the initial cluster's, or none for a spare or a wiped node (it joins). */
  bootstrap: NodeId[];
  /** Stopped by the operator after its removal committed (see changeMembership()); started again if added back. */
  decommissioned: boolean;
  raft: RaftNode | undefined;
  readonly tickPhase: number;
  restarts: number;
  /** The state machine: digests of the normal entries applied, by index. */
  applied: number[];
  /** Writes proposed through this node, by log index, waiting to be applied. */
  pendingWrites: Map<number, PendingWrite>;
  /** Reads asked of this node: ctx -> the highest acknowledged write index when asked. */
  pendingReads: Map<string, number>;
}

interface PendingWrite {
  readonly term: number;
  readonly data: Uint8Array;
}

interface Client {
  readonly id: number;
  nextActionAt: number;
  leader: NodeId | undefined;
  seq: number;
}

const encoder = new TextEncoder();

/** Deterministic seed mixing for derived RNG streams. */
function mix(...parts: number[]): number {
  let h = 0x12345678;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return h;
}

/**
 * One simulated run: a cluster of RaftNodes on a faulty network, with crashes, partitions and
 * clients, driven entirely by one seed. Safety is checked after every step; liveness after the
 * faults heal. Same seed, same run, to the message.
 */
export class Simulation {
  private readonly tickMs: number;
  private readonly chaosMs: number;
  private readonly livenessBoundMs: number;
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly ids: NodeId[];
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly net: SimNetwork;
  private readonly faultRng: SeededRng;
  private readonly clientRng: SeededRng;
  private readonly checker: SafetyChecker;
  private readonly events = new Map<number, (() => void)[]>();
  private readonly clients: Client[] = [];
  /** Protocol settings drawn from the seed, so runs cover small windows and both election modes. */
  private readonly variant: {
    preVote: boolean;
    checkQuorum: boolean;
    maxEntriesPerMessage: number;
    maxInflightMessages: number;
    maxBytesPerMessage: number;
  };
  private now = 0;
  private chaos = true;
  private maxAckedIndex = 0;
  /** Acknowledged writes: index -> digest of what the client was told was written. */
  private readonly acked = new Map<number, number>();
  /** Without check-quorum: removals proposed, by log index, whose node stops when they commit. */
  private readonly removals = new Map<number, { id: NodeId; term: number }>();
  private readonly stats: SimStats = {
    ms: 0,
    messagesSent: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    crashes: 0,
    partitions: 0,
    transfers: 0,
    membershipChanges: 0,
    wipes: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    leaderTerms: 0,
    writesAcked: 0,
    readsChecked: 0,
    checks: 0,
    healToLeaderMs: undefined,
    healToCommitMs: undefined,
    finalCommit: 0,
  };

  /** Each node snapshots its state machine every this many applied entries (0: never). */
  private readonly snapshotEvery: number;
  /** Entries a node keeps in its log behind its latest snapshot when it compacts. */
  private readonly snapshotKeep: number;

  constructor(private readonly opts: SimOptions) {
    this.tickMs = opts.tickMs ?? 10;
    this.chaosMs = opts.chaosMs ?? 10_000;
    this.livenessBoundMs = opts.livenessBoundMs ?? 5000;
    this.electionTicks = opts.electionTicks ?? 10;
    this.heartbeatTicks = opts.heartbeatTicks ?? 2;
    // Nodes 1..n start the cluster; spares (0 to 2 per seed) start empty, waiting to be added.
    const spares = new SeededRng(mix(opts.seed, 7)).pick([0, 1, 2]);
    this.ids = Array.from({ length: opts.nodes + spares }, (_, i) => i + 1);
    const initial = this.ids.slice(0, opts.nodes);
    this.net = new SimNetwork(new SeededRng(mix(opts.seed, 1)));
    this.faultRng = new SeededRng(mix(opts.seed, 2));
    this.clientRng = new SeededRng(mix(opts.seed, 3));
    this.checker = new SafetyChecker(this.ids);
    const variantRng = new SeededRng(mix(opts.seed, 5));
    this.variant = {
      preVote: variantRng.chance(0.75),
      checkQuorum: variantRng.chance(0.75),
      maxEntriesPerMessage: variantRng.pick([1, 2, 8, 256]),
      maxInflightMessages: variantRng.pick([1, 2, 16, 64]),
      // Small limits make snapshots go in many chunks (and appends in small pieces).
      maxBytesPerMessage: variantRng.pick([64, 256, 1024 * 1024]),
    };
    const snapshotRng = new SeededRng(mix(opts.seed, 6));
    this.snapshotEvery = snapshotRng.pick([0, 10, 30, 100]);
    this.snapshotKeep = snapshotRng.pick([0, 2, 10]);
    const phaseRng = new SeededRng(mix(opts.seed, 4));
    for (const id of this.ids) {
      const node: SimNode = {
        id,
        storage: new MemoryStorage(),
        bootstrap: id <= opts.nodes ? initial : [],
        decommissioned: false,
        raft: undefined,
        tickPhase: phaseRng.int(this.tickMs),
        restarts: 0,
        applied: [],
        pendingWrites: new Map(),
        pendingReads: new Map(),
      };
      this.nodes.set(id, node);
      this.start(node);
    }
    for (let c = 1; c <= 4; c++) this.clients.push({ id: c, nextActionAt: this.clientRng.between(50, 150), leader: undefined, seq: 0 });
  }

  run(): SimResult {
    this.trace(
      `${this.stamp()} START seed=${this.opts.seed} nodes=${this.opts.nodes} ${JSON.stringify(this.variant)} ` +
        `snapshotEvery=${this.snapshotEvery} keep=${this.snapshotKeep}`,
    );
    try {
      this.runChaos();
      this.heal();
      this.checkLiveness();
      this.finish();
      return this.result(undefined);
    } catch (e) {
      const property = e instanceof Violation ? e.property : "core invariant";
      const message = e instanceof Error ? e.message : String(e);
      this.trace(`VIOLATION ${message}`);
      return this.result({ property, message, atMs: this.now });
    }
  }

  private result(failure: SimResult["failure"]): SimResult {
    this.stats.ms = this.now;
    this.stats.messagesSent = this.net.sent;
    this.stats.messagesDropped = this.net.dropped;
    this.stats.messagesDuplicated = this.net.duplicated;
    this.stats.leaderTerms = this.checker.leaders().size;
    this.stats.checks = this.checker.checks;
    this.stats.finalCommit = this.checker.committedIndex();
    const base = { ok: failure === undefined, seed: this.opts.seed, nodes: this.opts.nodes, stats: this.stats };
    return failure === undefined ? base : { ...base, failure };
  }

  // ---- time -----------------------------------------------------------------------------

  private runChaos(): void {
    this.scheduleNextFault(0);
    while (this.now < this.chaosMs) this.stepMs(true);
  }

  /** Advance one millisecond: scheduled events, deliveries, ticks, clients. */
  private stepMs(clientsActive: boolean): void {
    const t = this.now;
    const due = this.events.get(t);
    if (due !== undefined) {
      this.events.delete(t);
      for (const ev of due) ev();
    }
    for (const m of this.net.due(t)) this.deliver(m);
    for (const node of this.nodes.values()) {
      if (node.raft !== undefined && (t + node.tickPhase) % this.tickMs === 0) {
        node.raft.tick();
        this.drive(node);
      }
    }
    if (clientsActive) {
      for (const c of this.clients) {
        if (c.nextActionAt <= t) {
          this.clientAct(c);
          c.nextActionAt = t + this.clientRng.between(1, 30);
        }
      }
    }
    this.now++;
  }

  private at(t: number, ev: () => void): void {
    const list = this.events.get(t);
    if (list === undefined) this.events.set(t, [ev]);
    else list.push(ev);
  }

  // ---- nodes ----------------------------------------------------------------------------

  private logger(node: SimNode): Logger | undefined {
    const out = this.opts.trace;
    if (out === undefined) return undefined;
    const line = (level: string) => (fields: Record<string, unknown>, msg: string) =>
      out(`${String(this.now).padStart(6)}ms n${node.id} ${level} ${msg} ${JSON.stringify(fields)}`);
    return { debug: this.opts.verbose ? line("debug") : () => {}, info: line("info "), warn: line("warn ") };
  }

  private start(node: SimNode): void {
    const logger = this.logger(node);
    const snapshot = node.storage.snapshot();
    node.raft = new RaftNode(
      {
        id: node.id,
        voters: node.bootstrap,
        electionTicks: this.electionTicks,
        ...this.variant,
        heartbeatTicks: this.heartbeatTicks,
        rng: new SeededRng(mix(this.opts.seed, 100 + node.id, node.restarts)),
        ...(logger === undefined ? {} : { logger }),
        ...(this.opts.testingBugs === undefined ? {} : { testingBugs: this.opts.testingBugs }),
        // The state machine starts from the latest snapshot, as a real node's does.
        applied: snapshot?.meta.index ?? 0,
      },
      node.storage,
    );
    node.applied = snapshot === undefined ? [] : digestsOf(snapshot.data);
    this.checker.onRestart(node.id, snapshot?.meta.index ?? 0);
  }

  private crash(node: SimNode, why: string): void {
    if (node.raft === undefined) return;
    this.trace(`${this.stamp()} n${node.id} CRASH (${why})`);
    node.raft = undefined;
    node.pendingWrites.clear();
    node.pendingReads.clear();
    this.stats.crashes++;
    this.at(this.now + this.faultRng.between(100, 1500), () => this.restart(node));
  }

  private restart(node: SimNode): void {
    if (node.raft !== undefined || node.decommissioned) return;
    node.restarts++;
    this.trace(`${this.stamp()} n${node.id} RESTART (from ${node.storage.lastIndex()} persisted entries)`);
    this.start(node);
    this.drive(node);
  }

  private deliver(m: Message): void {
    const node = this.nodes.get(m.to);
    if (node?.raft === undefined) return;
    if (this.opts.verbose) this.trace(`${this.stamp()} n${m.to} <- n${m.from} ${describe(m)}`);
    node.raft.step(m);
    this.drive(node);
  }

  /** Carry out every Ready the node has, the way a real driver does, with crashes possible. */
  private drive(node: SimNode): void {
    while (node.raft?.hasReady()) {
      const raft: RaftNode = node.raft;
      const rd: Ready = raft.ready();
      for (const m of rd.messages) this.net.send(m, this.now);
      if (this.chaos && this.faultRng.chance(0.001)) {
        this.crash(node, "after sending, before persisting");
        return;
      }
      if (rd.snapshot !== undefined) {
        // A leader's snapshot: save it (it replaces the log), load it into the state machine.
        node.storage.saveSnapshot(rd.snapshot);
        node.applied = digestsOf(rd.snapshot.data);
        this.checker.onSnapshotInstalled(node.id, rd.snapshot.meta, node.applied);
        this.stats.snapshotsInstalled++;
        if (this.chaos && this.faultRng.chance(0.01)) {
          this.crash(node, "after saving a received snapshot, before the rest of its Ready");
          return;
        }
      }
      // Like storage-sqlite, write a change of the commit index alone lazily (half the time
      // here): a restart may then find a commit index older than what was applied, or than
      // the node's own snapshot.
      const old = node.storage.hardState();
      const commitOnly = rd.hardState !== undefined && rd.entries.length === 0 && rd.hardState.term === old.term && rd.hardState.vote === old.vote;
      const hardState = commitOnly && this.faultRng.chance(0.5) ? undefined : rd.hardState;
      node.storage.persist(hardState, rd.entries);
      this.checker.onPersist(node.id, hardState, rd.entries, raft.status().role, rd.hardState?.commit ?? 0);
      if (this.chaos && this.faultRng.chance(0.001)) {
        this.crash(node, "after persisting, before responding");
        return;
      }
      for (const m of rd.persistedMessages) this.net.send(m, this.now);
      for (const e of rd.committedEntries) this.apply(node, e);
      for (const rs of rd.readStates) this.serveRead(node, rs.ctx, rs.index);
      raft.advance();
      this.maybeSnapshot(node, raft);
    }
    const raft = node.raft;
    if (raft === undefined) return;
    const st = raft.status();
    this.checker.onStatus(node.id, st.role, st.term, st.commit);
  }

  /**
   * Every `snapshotEvery` applied entries, snapshot the state machine (its digests) and compact
   * the log behind it, keeping `snapshotKeep` entries: followers further behind then need the
   * snapshot.
   */
  private maybeSnapshot(node: SimNode, raft: RaftNode): void {
    if (this.snapshotEvery === 0) return;
    const applied = raft.status().applied;
    const last = node.storage.snapshotMeta()?.index ?? 0;
    if (applied - last < this.snapshotEvery) return;
    const term = node.storage.term(applied);
    if (term === undefined) return; // applied is past the stored log (cannot happen after advance)
    node.storage.saveSnapshot({
      meta: { index: applied, term, membership: raft.membershipAt(applied) },
      data: digestBytes(node.applied, applied),
    });
    node.storage.compact(Math.max(node.storage.firstIndex() - 1, applied - this.snapshotKeep));
    this.stats.snapshotsTaken++;
  }

  private apply(node: SimNode, e: Entry): void {
    this.checker.onApply(node.id, e);
    const removal = this.removals.get(e.index);
    if (removal !== undefined && removal.term === e.term) {
      this.removals.delete(e.index);
      const removed = this.nodes.get(removal.id)!;
      this.trace(`${this.stamp()} n${removal.id} DECOMMISSIONED (its removal committed; check-quorum is off)`);
      removed.raft = undefined;
      removed.decommissioned = true;
    }
    node.applied[e.index] = entryDigest(e);
    const w = node.pendingWrites.get(e.index);
    if (w === undefined) return;
    node.pendingWrites.delete(e.index);
    if (e.term === w.term && e.type === "normal" && bytesEqual(e.data, w.data)) {
      this.acked.set(e.index, entryDigest(e));
      this.maxAckedIndex = Math.max(this.maxAckedIndex, e.index);
      this.stats.writesAcked++;
    }
  }

  private serveRead(node: SimNode, ctx: string, index: number): void {
    const mustSee = node.pendingReads.get(ctx);
    if (mustSee === undefined) return;
    node.pendingReads.delete(ctx);
    // Linearizability of ReadIndex: the read must reflect every write acknowledged before it began.
    if (index < mustSee) {
      throw new Violation(
        "linearizable read",
        `node ${node.id} answered read ${ctx} at index ${index}, but a write at ${mustSee} was acknowledged before the read began`,
      );
    }
    this.stats.readsChecked++;
  }

  // ---- clients --------------------------------------------------------------------------

  private clientAct(c: Client): void {
    const targetId = c.leader ?? this.clientRng.pick(this.ids);
    const node = this.nodes.get(targetId)!;
    if (node.raft === undefined) {
      c.leader = undefined;
      return;
    }
    if (this.clientRng.chance(0.75)) {
      c.seq++;
      const data = encoder.encode(`c${c.id}-${c.seq}`);
      const r = node.raft.propose(data);
      if (r.ok) node.pendingWrites.set(r.value.index, { term: r.value.term, data });
      else if (r.error.type === "NotLeader") c.leader = r.error.leaderId;
      // TransferInProgress: the same node again later; it leads until the transfer ends.
    } else {
      const ctx = `c${c.id}-r${c.seq}-${this.now}`;
      const r = node.raft.readIndex(ctx);
      if (r.ok) node.pendingReads.set(ctx, this.maxAckedIndex);
      else c.leader = r.error.leaderId;
    }
    this.drive(node);
  }

  // ---- faults ---------------------------------------------------------------------------

  private scheduleNextFault(after: number): void {
    const t = after + this.faultRng.between(50, 400);
    if (t < this.chaosMs) this.at(t, () => this.injectFault());
  }

  private injectFault(): void {
    if (!this.chaos) return;
    const r = this.faultRng.float();
    const live = [...this.nodes.values()].filter((n) => n.raft !== undefined);
    const leaders = live.filter((n) => n.raft!.status().role === "leader");
    if (r < 0.3 && live.length > 0) {
      // Leaders are the interesting victims: half the time, kill one.
      const victim = leaders.length > 0 && this.faultRng.chance(0.5) ? this.faultRng.pick(leaders) : this.faultRng.pick(live);
      this.crash(victim, "killed");
    } else if (r < 0.55) {
      const groups = this.randomPartition();
      this.trace(`${this.stamp()} PARTITION ${groups.map((g) => `{${g.join(",")}}`).join(" ")}`);
      this.net.partition(groups);
      this.stats.partitions++;
      this.at(this.now + this.faultRng.between(200, 1500), () => this.healLinks());
    } else if (r < 0.65) {
      const from = this.faultRng.pick(this.ids);
      const to = this.faultRng.pick(this.ids.filter((x) => x !== from));
      this.trace(`${this.stamp()} CUT one way n${from} -> n${to}`);
      this.net.cutLink(from, to);
      this.stats.partitions++;
      this.at(this.now + this.faultRng.between(200, 1500), () => this.healLinks());
    } else if (r < 0.75 && leaders.length > 0) {
      // Not a fault but an operator's act, racing with the faults: hand leadership over.
      const leader = this.faultRng.pick(leaders);
      const to = this.faultRng.pick(this.ids.filter((x) => x !== leader.id));
      this.trace(`${this.stamp()} TRANSFER leadership n${leader.id} -> n${to}`);
      leader.raft!.transferLeadership(to);
      this.stats.transfers++;
      this.drive(leader);
    } else if (r < 0.9 && leaders.length > 0) {
      this.changeMembership(this.faultRng.pick(leaders));
    } else {
      const faults: LinkFaults = {
        drop: this.faultRng.float() * 0.2,
        duplicate: this.faultRng.float() * 0.1,
        minDelay: 1,
        maxDelay: this.faultRng.pick([5, 10, 30, 60]),
      };
      this.trace(`${this.stamp()} LINKS ${JSON.stringify(faults)}`);
      this.net.faults = faults;
      this.at(this.now + this.faultRng.between(200, 1500), () => {
        if (this.chaos) this.net.faults = CALM;
      });
    }
    this.scheduleNextFault(this.now);
  }

  /**
   * An operator's membership change at a leader, racing with the faults: add a learner (a
   * removed node sometimes wiped first, as a replacement machine would be), promote one, add a
   * voter directly, or remove a member, the leader itself included. The leader may refuse
   * (a change pending, or its term has nothing committed yet): that is part of the test.
   */
  private changeMembership(leader: SimNode): void {
    const raft = leader.raft!;
    const st = raft.status();
    const m = st.membership;
    // Wiping an outsider is safe only once its removal is committed (see wipe()).
    const committed = st.membershipIndex <= st.commit;
    const isMember = (id: NodeId) => m.members.some((x) => x.id === id);
    const outsiders = this.ids.filter((id) => !isMember(id));
    const learners = m.members.filter((x) => x.role === "learner").map((x) => x.id);
    const voters = voterIds(m);
    const options: (() => ConfChange)[] = [];
    if (outsiders.length > 0) {
      options.push(() => {
        const id = this.faultRng.pick(outsiders);
        if (committed && this.faultRng.chance(0.5)) this.wipe(this.nodes.get(id)!);
        return { type: "addLearner", id, address: `sim-${id}` };
      });
      options.push(() => ({ type: "addVoter", id: this.faultRng.pick(outsiders), address: "direct" }));
    }
    if (learners.length > 0) {
      options.push(() => ({ type: "addVoter", id: this.faultRng.pick(learners) }));
      options.push(() => ({ type: "remove", id: this.faultRng.pick(learners) }));
    }
    if (voters.length > 2) {
      options.push(() => ({ type: "remove", id: this.faultRng.chance(0.3) && voters.includes(leader.id) ? leader.id : this.faultRng.pick(voters) }));
    }
    if (options.length === 0) return;
    const change = this.faultRng.pick(options)();
    if (change.type !== "remove") this.recommission(this.nodes.get(change.id)!);
    const r = raft.proposeConfChange(change);
    if (r.ok && change.type === "remove" && !this.variant.checkQuorum) {
      // Without check-quorum there is no leader lease, and nothing stops a removed node that
      // missed its removal from campaigning forever: a member that lags still counts it as a
      // voter, takes its terms, and deposes each new leader with them (as in etcd/raft, whose
      // lease also needs check-quorum). So, like an operator, stop it once its removal commits.
      this.removals.set(r.value.index, { id: change.id, term: r.value.term });
    }
    this.trace(`${this.stamp()} MEMBERSHIP n${leader.id} ${JSON.stringify(change)} from ${describeMembership(m)}: ${r.ok ? `appended at ${r.value.index}` : r.error.type}`);
    if (r.ok) this.stats.membershipChanges++;
    this.drive(leader);
  }

  /**
   * Replace a node that is not a member with an empty machine: new storage, no configuration
   * (it joins). Safe only for a node outside every configuration that can still elect a
   * leader. A committed configuration without it guarantees that: once a configuration
   * commits, a candidate whose log lacks it cannot win (any majority of the configuration
   * before it overlaps a majority of it, in a node with a longer log), and by induction no
   * older one can either.
   */
  /** A decommissioned node being added back is started again, with what it had on disk. */
  private recommission(node: SimNode): void {
    if (!node.decommissioned) return;
    node.decommissioned = false;
    node.pendingWrites.clear();
    node.pendingReads.clear();
    this.restart(node);
  }

  private wipe(node: SimNode): void {
    this.trace(`${this.stamp()} n${node.id} WIPED (a new machine with the same id)`);
    node.raft = undefined;
    node.storage = new MemoryStorage();
    node.bootstrap = [];
    node.applied = [];
    node.pendingWrites.clear();
    node.pendingReads.clear();
    this.checker.onWipe(node.id);
    this.stats.wipes++;
    this.restart(node);
  }

  private healLinks(): void {
    if (!this.chaos || this.net.cutLinks() === 0) return;
    this.trace(`${this.stamp()} HEAL links`);
    this.net.heal();
  }

  /** Either one node cut off alone, or a random split into two sides. */
  private randomPartition(): NodeId[][] {
    if (this.faultRng.chance(0.5)) {
      // Often the leader, cut off with no majority (a minority leader).
      const leader = this.ids.find((id) => this.nodes.get(id)!.raft?.status().role === "leader");
      const alone = leader !== undefined && this.faultRng.chance(0.5) ? leader : this.faultRng.pick(this.ids);
      return [[alone], this.ids.filter((x) => x !== alone)];
    }
    const a: NodeId[] = [];
    const b: NodeId[] = [];
    for (const id of this.ids) (this.faultRng.chance(0.5) ? a : b).push(id);
    return a.length === 0 || b.length === 0 ? [[this.ids[0]!], this.ids.slice(1)] : [a, b];
  }

  // ---- healing and liveness -------------------------------------------------------------

  private heal(): void {
    this.chaos = false;
    this.trace(`${this.stamp()} HEAL everything: links calm, partitions gone, every node restarted`);
    this.net.heal();
    this.net.faults = CALM;
    for (const node of this.nodes.values()) this.restart(node);
  }

  /**
   * A leader known to every member of its configuration (nodes outside it, never added or
   * removed, follow no one), or undefined.
   */
  private stableLeader(): NodeId | undefined {
    let newest: { id: NodeId; term: number } | undefined;
    for (const node of this.nodes.values()) {
      const st = node.raft?.status();
      if (st?.role === "leader" && (newest === undefined || st.term > newest.term)) newest = { id: node.id, term: st.term };
    }
    if (newest === undefined) return undefined;
    for (const id of this.members(newest.id)) {
      const st = this.nodes.get(id)!.raft?.status();
      if (st === undefined || st.leaderId !== newest.id || st.term !== newest.term) return undefined;
    }
    return newest.id;
  }

  /** The members of the configuration node `id` acts on. */
  private members(id: NodeId): NodeId[] {
    return this.nodes.get(id)!.raft!.status().membership.members.map((m) => m.id);
  }

  private checkLiveness(): void {
    const healedAt = this.now;
    let leader: NodeId | undefined;
    while ((leader = this.stableLeader()) === undefined) {
      if (this.now - healedAt > this.livenessBoundMs) {
        throw new Violation("liveness", `no leader known to all nodes ${this.livenessBoundMs} ms after healing`);
      }
      this.stepMs(true);
    }
    this.stats.healToLeaderMs = this.now - healedAt;
    this.trace(`${this.stamp()} LIVENESS leader n${leader} known to all`);

    // A proposal through the leader must commit and be applied everywhere.
    const electedAt = this.now;
    // Followers may first have to catch up: allow a round trip per window of entries behind.
    const window = this.variant.maxEntriesPerMessage * this.variant.maxInflightMessages;
    const catchUpMs = Math.ceil(this.checker.maxLogLength() / window) * 2 * CALM.maxDelay;
    const commitBoundMs = this.livenessBoundMs + catchUpMs;
    const data = encoder.encode(`liveness-${this.opts.seed}`);
    let expected: { index: number; digest: number; proposer: SimNode; term: number; members: NodeId[] } | undefined;
    for (;;) {
      if (this.now - electedAt > commitBoundMs) {
        throw new Violation("liveness", `a proposal was not applied on every node within ${commitBoundMs} ms`);
      }
      if (expected === undefined) {
        const l = this.stableLeader();
        const node = l === undefined ? undefined : this.nodes.get(l);
        const r = node?.raft?.propose(data);
        if (r?.ok) {
          const { index, term } = r.value;
          expected = { index, digest: entryDigest({ index, term, type: "normal", data }), proposer: node!, term, members: this.members(l!) };
          this.drive(node!);
        }
      } else {
        const at = expected.index;
        const applied = expected.members.map((id) => this.nodes.get(id)!.applied[at]);
        if (applied.every((d) => d === expected!.digest)) break;
        const st = expected.proposer.raft?.status();
        const stillLeading = st !== undefined && st.role === "leader" && st.term === expected.term;
        // Overwritten by another leader, or its leader fell before it committed: propose again.
        if (applied.some((d) => d !== undefined && d !== expected!.digest)) expected = undefined;
        else if (!stillLeading && applied.every((d) => d === undefined)) expected = undefined;
      }
      this.stepMs(false);
    }
    this.stats.healToCommitMs = this.now - electedAt;
  }

  /**
   * Let in-flight work settle, then compare applied sequences and acked writes: every member
   * of the final configuration must have applied everything committed; a node outside it
   * (removed, or never added) must agree on what it applied.
   */
  private finish(): void {
    const settleUntil = this.now + 20 * this.tickMs * this.electionTicks;
    const commit = () => this.checker.committedIndex();
    const finalMembers = () => {
      const leader = this.stableLeader();
      return leader === undefined ? this.ids : this.members(leader);
    };
    while (this.now < settleUntil && !finalMembers().every((id) => this.nodes.get(id)!.raft?.status().applied === commit())) {
      this.stepMs(false);
    }
    const members = finalMembers();
    const reference = this.nodes.get(members[0]!)!;
    for (const node of this.nodes.values()) {
      const applied = node.raft?.status().applied ?? 0;
      if (applied !== commit() && members.includes(node.id)) {
        throw new Violation("convergence", `node ${node.id} applied ${applied} of ${commit()} committed entries after settling`);
      }
      for (let i = 1; i <= applied; i++) {
        if (node.applied[i] !== reference.applied[i]) {
          throw new Violation("convergence", `nodes ${reference.id} and ${node.id} applied different entries at ${i}`);
        }
      }
    }
    for (const [index, digest] of this.acked) {
      if (reference.applied[index] !== digest) {
        throw new Violation("durability", `the write acknowledged at index ${index} is not in the final log`);
      }
    }
  }

  // ---- trace ----------------------------------------------------------------------------

  private stamp(): string {
    return `${String(this.now).padStart(6)}ms`;
  }

  private trace(line: string): void {
    this.opts.trace?.(line);
  }
}

/** The state machine's snapshot: the digests applied at indexes 1..upTo, 4 bytes each. */
function digestBytes(applied: readonly number[], upTo: number): Uint8Array {
  const out = new Uint8Array(4 * upTo);
  const view = new DataView(out.buffer);
  for (let i = 1; i <= upTo; i++) view.setUint32(4 * (i - 1), applied[i] ?? 0);
  return out;
}

/** The state machine back from digestBytes(): index i holds the digest applied at i. */
function digestsOf(data: Uint8Array): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: number[] = [];
  for (let i = 0; 4 * i < data.length; i++) out[i + 1] = view.getUint32(4 * i);
  return out;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describe(m: Message): string {
  switch (m.type) {
    case "VoteRequest":
      return `${m.preVote ? "PreVote" : "Vote"}Request term=${m.term} last=${m.lastLogIndex}/${m.lastLogTerm}${m.transfer === true ? " transfer" : ""}`;
    case "VoteResponse":
      return `${m.preVote ? "PreVote" : "Vote"}Response term=${m.term} granted=${m.granted}`;
    case "AppendEntries":
      return `AppendEntries term=${m.term} prev=${m.prevLogIndex}/${m.prevLogTerm} n=${m.entries.length} commit=${m.leaderCommit}`;
    case "AppendEntriesResponse":
      return m.success
        ? `AppendEntriesResponse term=${m.term} ok match=${m.matchIndex}`
        : `AppendEntriesResponse term=${m.term} reject=${m.rejectedIndex} hint=${m.conflictIndex}/${m.conflictTerm}`;
    case "Heartbeat":
      return `Heartbeat term=${m.term} commit=${m.commit} read=${m.readSeq}`;
    case "HeartbeatResponse":
      return `HeartbeatResponse term=${m.term} read=${m.readSeq} commit=${m.commit}`;
    case "TimeoutNow":
      return `TimeoutNow term=${m.term}`;
    case "InstallSnapshot":
      return `InstallSnapshot term=${m.term} snap=${m.meta.index}/${m.meta.term} offset=${m.offset} bytes=${m.data.length}${m.done ? " done" : ""}`;
    case "InstallSnapshotResponse":
      return `InstallSnapshotResponse term=${m.term} snap=${m.index} offset=${m.offset}${m.done ? " done" : ""}`;
  }
}

export function runSimulation(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}
