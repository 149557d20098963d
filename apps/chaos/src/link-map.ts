import type { NodeId } from "@raft-ts/core";
import type { PeerAddress } from "@raft-ts/transport-tcp";
import type { Address } from "./connection.js";
import { sumCounters, type ProxyCounters } from "./counters.js";
import { FaultConfigError, resolveDirectionFaults, type BlockMode, type DirectionFaults, type LinkFaults } from "./faults.js";
import { FaultProxy } from "./proxy.js";
import { deriveSeed, seededRng } from "./rng.js";

/** A node of the cluster and where its real Raft listener is (or will be). */
export interface ChaosNode {
  readonly id: NodeId;
  readonly address: Address;
}

/** Network conditions (no partitions): delay with jitter, loss, duplication. */
export type LinkConditions = Omit<DirectionFaults, "blackhole">;

export interface LinkMapOptions {
  readonly nodes: readonly ChaosNode[];
  /** The run's seed: proxy i -> j draws from a stream derived from (seed, i, j). */
  readonly seed: number;
  /** Where the proxies listen. Default 127.0.0.1. */
  readonly host?: string;
  readonly handshakeFrames?: number;
  readonly maxFrameBytes?: number;
  readonly maxQueuedBytes?: number;
}

/** The directed link from -> to: everything `from` says to `to` goes through `proxy`. */
export interface Link {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly proxy: FaultProxy;
}

export interface LinkCounters {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly counters: ProxyCounters;
}

/**
 * One FaultProxy per ordered pair of nodes, and the fault vocabulary of a chaos run.
 *
 * In raft-ts each node dials each peer and sends everything it has for that peer, requests
 * and answers alike, on that one outbound connection (answers do not come back on the
 * connection the request arrived on). So node i is configured (peersFor(i)) to reach node j
 * at the address of proxy i -> j, which forwards to j's real listener, and every byte i sends
 * to j crosses that proxy. Blocking i -> j therefore silences i towards j completely: its
 * votes, its AppendEntries and its responses to j's requests alike. That is exactly "i cannot
 * reach j", while j may still reach i through proxy j -> i.
 *
 * Faults compose: the partition state (which directed links are blocked, and how) and the
 * network conditions (global, with optional per-link overrides) are kept apart, and each
 * proxy's LinkFaults is recomputed from both after every change.
 */
export class LinkMap {
  private readonly byKey: Map<string, Link>;
  private readonly blocks = new Map<string, BlockMode>();
  private conditions: LinkConditions = {};
  private readonly overrides = new Map<string, LinkConditions>();

  private constructor(
    private readonly nodes: readonly ChaosNode[],
    links: readonly Link[],
  ) {
    this.byKey = new Map(links.map((l) => [key(l.from, l.to), l]));
  }

  /** Creates and starts the N * (N - 1) proxies. The nodes need not be listening yet: a proxy dials its target only when a connection arrives. */
  static async create(options: LinkMapOptions): Promise<LinkMap> {
    const ids = options.nodes.map((n) => n.id);
    if (new Set(ids).size !== ids.length) throw new FaultConfigError(`node ids must be distinct, got ${ids.join(", ")}`);
    const links: Link[] = [];
    for (const from of options.nodes) {
      for (const to of options.nodes) {
        if (from.id === to.id) continue;
        const proxy = new FaultProxy({
          target: to.address,
          rng: seededRng(deriveSeed(options.seed, from.id, to.id)),
          listen: { host: options.host ?? "127.0.0.1", port: 0 },
          ...(options.handshakeFrames !== undefined ? { handshakeFrames: options.handshakeFrames } : {}),
          ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
          ...(options.maxQueuedBytes !== undefined ? { maxQueuedBytes: options.maxQueuedBytes } : {}),
        });
        links.push({ from: from.id, to: to.id, proxy });
      }
    }
    try {
      await Promise.all(links.map((l) => l.proxy.start()));
    } catch (e) {
      await Promise.all(links.map((l) => l.proxy.close()));
      throw e;
    }
    return new LinkMap(options.nodes, links);
  }

  get nodeIds(): readonly NodeId[] {
    return this.nodes.map((n) => n.id);
  }

  /** The proxy on the directed link from -> to. */
  proxy(from: NodeId, to: NodeId): FaultProxy {
    const link = this.byKey.get(key(from, to));
    if (link === undefined) throw new FaultConfigError(`no link ${from} -> ${to}`);
    return link.proxy;
  }

  links(): readonly Link[] {
    return [...this.byKey.values()];
  }

  /** The peer map node `id` must be configured with: each peer j at proxy id -> j. */
  peersFor(id: NodeId): Map<NodeId, PeerAddress> {
    this.requireNode(id);
    const peers = new Map<NodeId, PeerAddress>();
    for (const n of this.nodes) if (n.id !== id) peers.set(n.id, this.proxy(id, n.id).address);
    return peers;
  }

  /**
   * Node `id` now listens at `address` (restarted on another port): every proxy towards it
   * dials there from now on, and their current connections are reset so they redial.
   */
  retarget(id: NodeId, address: Address): void {
    this.requireNode(id);
    for (const l of this.byKey.values()) {
      if (l.to !== id) continue;
      l.proxy.setTarget(address);
      l.proxy.reset();
    }
  }

  // ---- partitions -------------------------------------------------------------------------

  /**
   * Splits the cluster into `groups` (every node in exactly one): every link between two
   * groups is blocked, both ways; links inside a group are unblocked. Replaces any earlier
   * partition or one-way cut. "reset" (default): the nodes see connections refused and back
   * off. "blackhole": connections hang and frames vanish.
   */
  partition(groups: ReadonlyArray<readonly NodeId[]>, mode: BlockMode = "reset"): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, g) => {
      for (const id of group) {
        this.requireNode(id);
        if (groupOf.has(id)) throw new FaultConfigError(`node ${id} is in more than one group`);
        groupOf.set(id, g);
      }
    });
    const missing = this.nodeIds.filter((id) => !groupOf.has(id));
    if (missing.length > 0) throw new FaultConfigError(`nodes ${missing.join(", ")} are in no group`);
    this.blocks.clear();
    for (const l of this.byKey.values()) if (groupOf.get(l.from) !== groupOf.get(l.to)) this.blocks.set(key(l.from, l.to), mode);
    this.applyAll();
  }

  /** Cuts node `id` off from every other node, both ways (a partition {id} | the rest). */
  isolate(id: NodeId, mode: BlockMode = "reset"): void {
    this.requireNode(id);
    this.partition([[id], this.nodeIds.filter((n) => n !== id)], mode);
  }

  /**
   * `from` can no longer reach `to`, while `to` still reaches `from`: the link from -> to is
   * blackholed (connections stay up, everything `from` sends to `to` vanishes, requests and
   * answers alike; see the class comment). Adds to the current partition state.
   */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.block(from, to, "blackhole");
  }

  /** Blocks the one directed link from -> to. Adds to the current partition state. */
  block(from: NodeId, to: NodeId, mode: BlockMode = "reset"): void {
    this.proxy(from, to); // validates the pair
    this.blocks.set(key(from, to), mode);
    this.apply(from, to);
  }

  /** Unblocks the one directed link from -> to. */
  unblock(from: NodeId, to: NodeId): void {
    this.proxy(from, to);
    this.blocks.delete(key(from, to));
    this.apply(from, to);
  }

  /** Removes every partition and cut (network conditions stay). */
  heal(): void {
    this.blocks.clear();
    this.applyAll();
  }

  /** Whether the link from -> to is blocked, and how. */
  blockedMode(from: NodeId, to: NodeId): BlockMode | false {
    return this.blocks.get(key(from, to)) ?? false;
  }

  // ---- network conditions -----------------------------------------------------------------

  /**
   * Delay, loss and duplication on every link, both directions (replacing the previous
   * global conditions; links with an override keep it). Loss and duplication spare each
   * connection's handshake frames; delay applies to every frame.
   */
  setConditions(conditions: LinkConditions): void {
    validateConditions(conditions);
    this.conditions = conditions;
    this.applyAll();
  }

  /** Conditions for the one link from -> to, instead of the global ones; undefined removes the override. */
  setLinkConditions(from: NodeId, to: NodeId, conditions: LinkConditions | undefined): void {
    this.proxy(from, to);
    if (conditions === undefined) {
      this.overrides.delete(key(from, to));
    } else {
      validateConditions(conditions);
      this.overrides.set(key(from, to), conditions);
    }
    this.apply(from, to);
  }

  /** No partitions, no cuts, no conditions: a perfect network again. */
  clearFaults(): void {
    this.blocks.clear();
    this.overrides.clear();
    this.conditions = {};
    this.applyAll();
  }

  /** Every link's proxy, once (RST to both ends of every connection; nodes redial). */
  resetAll(): void {
    for (const l of this.byKey.values()) l.proxy.reset();
  }

  // ---- reporting and shutdown -------------------------------------------------------------

  counters(): LinkCounters[] {
    return this.links().map((l) => ({ from: l.from, to: l.to, counters: l.proxy.counters() }));
  }

  totals(): ProxyCounters {
    return sumCounters(this.links().map((l) => l.proxy.counters()));
  }

  /** Closes every proxy; resolves when all their sockets are closed. */
  async close(): Promise<void> {
    await Promise.all(this.links().map((l) => l.proxy.close()));
  }

  private faultsFor(from: NodeId, to: NodeId): LinkFaults {
    const k = key(from, to);
    const c = this.overrides.get(k) ?? this.conditions;
    return { forward: c, backward: c, blocked: this.blocks.get(k) ?? false };
  }

  private apply(from: NodeId, to: NodeId): void {
    this.proxy(from, to).setFaults(this.faultsFor(from, to));
  }

  private applyAll(): void {
    for (const l of this.byKey.values()) this.apply(l.from, l.to);
  }

  private requireNode(id: NodeId): void {
    if (!this.nodes.some((n) => n.id === id)) throw new FaultConfigError(`unknown node ${id}`);
  }
}

function key(from: NodeId, to: NodeId): string {
  return `${from}->${to}`;
}

/** Throws FaultConfigError before any state changes, so a bad setting never half-applies. */
function validateConditions(c: LinkConditions): void {
  resolveDirectionFaults("conditions", c, false);
}
