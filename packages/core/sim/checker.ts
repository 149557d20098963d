import { NONE, type Entry, type HardState, type NodeId, type Role, type SnapshotMeta } from "../src/index.js";

/** A broken Raft property, found by the checker. */
export class Violation extends Error {
  constructor(
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`);
    this.name = "Violation";
  }
}

/** A 53-bit-safe digest of an entry's content (term, type and data), for cheap comparison. */
export function entryDigest(e: Entry): number {
  let h = fnv(0x811c9dc5, e.term);
  h = fnv(h, e.type === "noop" ? 1 : e.type === "normal" ? 2 : 3);
  for (let i = 0; i < e.data.length; i++) h = fnvByte(h, e.data[i]!);
  return h;
}

function fnvByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x01000193) >>> 0;
}

function fnv(h: number, n: number): number {
  let x = h;
  for (let k = 0; k < 4; k++) x = fnvByte(x, (n >>> (8 * k)) & 0xff);
  // fold in the high bits of numbers above 2^32
  return fnvByte(x, Math.floor(n / 0x1_0000_0000) & 0xff);
}

/** Combine a prefix digest with the next entry's digest: equal chains mean equal prefixes. */
function chain(prev: string, digest: number, term: number): string {
  // Two independent 32-bit hashes side by side make accidental equality vanishingly rare.
  const [a, b] = prev.split(":").map(Number) as [number, number];
  return `${fnv(fnv(a, digest), term)}:${fnv(fnv(b ^ 0x5bd1e995, term), digest)}`;
}

const EMPTY_PREFIX = "0:0";

/**
 * Per node, the persisted log as prefix digests: prefix[i] digests entries 1..i, so two nodes
 * agree on their first i entries exactly when prefix[i] is equal.
 */
class PersistedLog {
  readonly prefix: string[] = [EMPTY_PREFIX];
  readonly terms: number[] = [0];

  lastIndex(): number {
    return this.prefix.length - 1;
  }

  write(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    this.prefix.length = first.index;
    this.terms.length = first.index;
    for (const e of entries) {
      this.prefix.push(chain(this.prefix[e.index - 1]!, entryDigest(e), e.term));
      this.terms.push(e.term);
    }
  }

  /** The log became a snapshot of the committed log up to `index`: its prefix is that one. */
  resetTo(index: number, prefix: readonly string[], terms: readonly number[]): void {
    this.prefix.length = 0;
    this.terms.length = 0;
    for (let i = 0; i <= index; i++) {
      this.prefix.push(prefix[i]!);
      this.terms.push(terms[i]!);
    }
  }
}

interface NodeRecord {
  log: PersistedLog;
  persisted: HardState;
  /** Volatile view of the current incarnation; reset on restart. */
  term: number;
  commit: number;
  /** The highest commit index a Ready of this incarnation carried (persisted or not). */
  readyCommit: number;
  applied: number;
  role: Role;
}

/**
 * Checks Raft's safety properties (paper figure 3) as the simulation runs, from what the nodes
 * persist, report and apply:
 * - election safety: at most one leader per term;
 * - log matching: two logs with an entry of the same index and term agree up to it;
 * - leader completeness: a new leader holds every entry committed before it;
 * - state machine safety: no two nodes apply different entries at one index;
 * - a leader advances its commit index only to an entry of its own term (figure 8);
 * - monotonicity: term and commit never go backwards on a node (persisted state across
 *   restarts, volatile state within one run of the node), and a persisted vote never changes
 *   within its term.
 */
export class SafetyChecker {
  private readonly nodes = new Map<NodeId, NodeRecord>();
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** `${index}/${term}` -> prefix digest up to that entry, across all nodes ever. */
  private readonly entryPrefix = new Map<string, string>();
  /** committedPrefix[i]: the digest of the committed log up to i (index 0 unused). */
  private readonly committedPrefix: string[] = [EMPTY_PREFIX];
  /** committedTerms[i]: the term of the committed entry at i. */
  private readonly committedTerms: number[] = [0];
  /** appliedDigest[i]: digest of what was applied at index i by the first node to apply it. */
  private readonly appliedDigest: number[] = [];
  checks = 0;

  constructor(ids: readonly NodeId[]) {
    for (const id of ids) {
      this.nodes.set(id, {
        log: new PersistedLog(),
        persisted: { term: 0, vote: NONE, commit: 0 },
        term: 0,
        commit: 0,
        readyCommit: 0,
        applied: 0,
        role: "follower",
      });
    }
  }

  private node(id: NodeId): NodeRecord {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`checker: unknown node ${id}`);
    return n;
  }

  /** Highest index known committed anywhere. */
  committedIndex(): number {
    return this.committedPrefix.length - 1;
  }

  /** A node restarted: its volatile state starts again from what it persisted. */
  onRestart(id: NodeId, applied: number): void {
    const n = this.node(id);
    n.term = n.persisted.term;
    n.commit = n.persisted.commit;
    n.readyCommit = 0;
    n.applied = applied;
    n.role = "follower";
  }

  /** The node's storage was replaced by an empty one (a new machine under a removed node's id). */
  onWipe(id: NodeId): void {
    this.nodes.set(id, { log: new PersistedLog(), persisted: { term: 0, vote: NONE, commit: 0 }, term: 0, commit: 0, readyCommit: 0, applied: 0, role: "follower" });
  }

  /**
   * The node durably wrote a Ready's hard state (or not: a change of the commit index alone may
   * be written lazily) and its entries. `readyCommit` is the commit index that Ready carried,
   * written or not: the node acts on it (applies up to it) either way.
   */
  onPersist(id: NodeId, hs: HardState | undefined, entries: readonly Entry[], role: Role, readyCommit: number): void {
    this.checks++;
    const n = this.node(id);
    const commitBefore = Math.max(n.persisted.commit, n.readyCommit);
    if (hs !== undefined) {
      const old = n.persisted;
      if (hs.term < old.term) {
        throw new Violation("term monotonicity", `node ${id} persisted term ${hs.term} after ${old.term}`);
      }
      if (hs.term === old.term && old.vote !== NONE && hs.vote !== old.vote) {
        throw new Violation(
          "one vote per term",
          `node ${id} persisted a vote for ${hs.vote} in term ${hs.term} after voting for ${old.vote}`,
        );
      }
      if (hs.commit < old.commit) {
        throw new Violation("commit monotonicity", `node ${id} persisted commit ${hs.commit} after ${old.commit}`);
      }
      n.persisted = hs;
    }
    n.log.write(entries);
    for (const e of entries) {
      const key = `${e.index}/${e.term}`;
      const mine = n.log.prefix[e.index]!;
      const seen = this.entryPrefix.get(key);
      if (seen === undefined) this.entryPrefix.set(key, mine);
      else if (seen !== mine) {
        throw new Violation(
          "log matching",
          `node ${id} holds an entry at index ${e.index} term ${e.term} whose log prefix differs from another node's`,
        );
      }
    }
    n.readyCommit = Math.max(n.readyCommit, readyCommit);
    const commit = Math.max(n.persisted.commit, n.readyCommit);
    if (role === "leader" && commit > commitBefore && n.log.terms[commit] !== n.persisted.term) {
      // Figure 8: replicas of an older term's entry on a majority do not make it safe.
      throw new Violation(
        "leader commits only its own term",
        `leader ${id} of term ${n.persisted.term} advanced its commit to ${commit}, an entry of term ${n.log.terms[commit]}`,
      );
    }
    if (commit > n.log.lastIndex()) {
      throw new Violation("commit within log", `node ${id} persisted commit ${commit} past its last index ${n.log.lastIndex()}`);
    }
    this.observeCommit(id, commit);
  }

  /** A node's commit index is `commit`: its log up to there must be the committed log. */
  private observeCommit(id: NodeId, commit: number): void {
    const n = this.node(id);
    const known = this.committedIndex();
    const upTo = Math.min(commit, known);
    if (upTo > 0 && n.log.prefix[upTo] !== this.committedPrefix[upTo]) {
      throw new Violation(
        "committed log agreement",
        `node ${id} committed up to ${commit} but its entries up to ${upTo} differ from the committed log`,
      );
    }
    for (let i = known + 1; i <= commit; i++) {
      this.committedPrefix.push(n.log.prefix[i]!);
      this.committedTerms.push(n.log.terms[i]!);
    }
  }

  /** Volatile status after the node handled an input and its Ready. */
  onStatus(id: NodeId, role: Role, term: number, commit: number): void {
    this.checks++;
    const n = this.node(id);
    if (term < n.term) throw new Violation("term monotonicity", `node ${id} went from term ${n.term} to ${term}`);
    if (commit < n.commit) throw new Violation("commit monotonicity", `node ${id} went from commit ${n.commit} to ${commit}`);
    n.term = term;
    n.commit = commit;
    if (role === "leader") {
      const leader = this.leaderOfTerm.get(term);
      if (leader === undefined) {
        this.leaderOfTerm.set(term, id);
        this.checkLeaderCompleteness(id, term);
      } else if (leader !== id) {
        throw new Violation("election safety", `nodes ${leader} and ${id} are both leaders of term ${term}`);
      }
    }
    n.role = role;
  }

  /** A new leader's log must hold every entry committed so far. */
  private checkLeaderCompleteness(id: NodeId, term: number): void {
    const n = this.node(id);
    const committed = this.committedIndex();
    if (committed === 0) return;
    if (n.log.lastIndex() < committed || n.log.prefix[committed] !== this.committedPrefix[committed]) {
      throw new Violation(
        "leader completeness",
        `node ${id} became leader of term ${term} without the committed entries up to ${committed} ` +
          `(its log ends at ${n.log.lastIndex()})`,
      );
    }
  }

  /**
   * The node saved a leader's snapshot ending at `meta` and loaded its state machine from it
   * (`digests[i]`: what the snapshot says was applied at i). A snapshot holds only committed
   * state: it must end inside the committed log, at a committed entry, and agree with what
   * every node applied at each index (state machine safety).
   */
  onSnapshotInstalled(id: NodeId, meta: SnapshotMeta, digests: readonly number[]): void {
    this.checks++;
    const n = this.node(id);
    if (meta.index > this.committedIndex()) {
      throw new Violation("snapshot of committed state", `node ${id} installed a snapshot at ${meta.index}, past the committed ${this.committedIndex()}`);
    }
    if (this.committedTerms[meta.index] !== meta.term) {
      throw new Violation("snapshot of committed state", `node ${id} installed a snapshot ending at ${meta.index}/${meta.term}, not a committed entry`);
    }
    for (let i = 1; i <= meta.index; i++) {
      const seen = this.appliedDigest[i];
      if (digests[i] === undefined || (seen !== undefined && seen !== digests[i])) {
        throw new Violation("state machine safety", `node ${id} installed a snapshot whose state at index ${i} differs from what was applied there`);
      }
    }
    n.log.resetTo(meta.index, this.committedPrefix, this.committedTerms);
    n.applied = Math.max(n.applied, meta.index);
    n.commit = Math.max(n.commit, meta.index);
  }

  /** The node's state machine applied `entry`. */
  onApply(id: NodeId, entry: Entry): void {
    this.checks++;
    const n = this.node(id);
    if (entry.index !== n.applied + 1) {
      throw new Violation("apply order", `node ${id} applied index ${entry.index} after ${n.applied}`);
    }
    n.applied = entry.index;
    if (entry.index > this.committedIndex()) {
      throw new Violation("apply only committed", `node ${id} applied ${entry.index} beyond the committed ${this.committedIndex()}`);
    }
    const digest = entryDigest(entry);
    const seen = this.appliedDigest[entry.index];
    if (seen === undefined) this.appliedDigest[entry.index] = digest;
    else if (seen !== digest) {
      throw new Violation("state machine safety", `node ${id} applied a different entry at index ${entry.index}`);
    }
  }

  /** The term of the entry at `index` in the node's persisted log (undefined past its end). */
  persistedTerm(id: NodeId, index: number): number | undefined {
    return this.node(id).log.terms[index];
  }

  /** The longest persisted log of any node. */
  maxLogLength(): number {
    let max = 0;
    for (const n of this.nodes.values()) max = Math.max(max, n.log.lastIndex());
    return max;
  }

  leaders(): ReadonlyMap<number, NodeId> {
    return this.leaderOfTerm;
  }
}
