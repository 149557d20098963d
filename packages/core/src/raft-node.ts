import { resolveConfig, type RaftConfig } from "./config.js";
import type { Entry } from "./entry.js";
import type { ConfChange, Membership } from "./membership.js";
import type { Message } from "./messages.js";
import { Raft, type ReadState } from "./raft.js";
import type { ConfChangeResult, ProposeResult, ReadIndexResult, TransferResult } from "./results.js";
import type { LogStorage, Snapshot } from "./storage.js";
import { type HardState, type NodeId, type Role, type SoftState } from "./types.js";

/**
 * One batch of work for the driver, to be carried out in this order:
 * 1. `messages` may be sent at once, even before persisting (a leader's appends travel while
 *    it writes its own copy; dissertation 10.2.1).
 * 2. Persist `snapshot` if present (Storage.saveSnapshot) and restore the state machine from
 *    it; then persist `hardState` (if present) and `entries` in one atomic write, durably.
 * 3. Send `persistedMessages` (votes and acknowledgements promise what was just persisted).
 * 4. Apply `committedEntries` to the state machine, in order; serve `readStates` once applied
 *    has reached their index.
 * 5. Call advance().
 */
export interface Ready {
  /** Present when role or leader changed since the last Ready. */
  readonly softState: SoftState | undefined;
  /**
   * Present when the configuration this node acts on changed since the last Ready (an entry
   * appended, a truncation that reverted one, a snapshot installed): it may not be committed
   * yet. A driver connects to new members at once; it is safe to drop connections to removed
   * ones only when their removal commits (the config entry shows in committedEntries).
   */
  readonly membership: Membership | undefined;
  /** Present when term, vote or commit changed: persist it. */
  readonly hardState: HardState | undefined;
  /**
   * A snapshot received from the leader: save it (it replaces the whole log) and load it into
   * the state machine, before the entries below, which follow it.
   */
  readonly snapshot: Snapshot | undefined;
  /** Entries to append; the first may overwrite a stored suffix from its index on. */
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly persistedMessages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

export interface NodeStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly vote: NodeId;
  readonly leaderId: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly peers: readonly { id: NodeId; voter: boolean; match: number; next: number; state: string; recentActive: boolean }[];
  /** The configuration this node acts on, and the log index it comes from (0: bootstrap). */
  readonly membership: Membership;
  readonly membershipIndex: number;
  /** Leader only: the voter leadership is being handed to, or NONE. */
  readonly transferringTo: NodeId;
  /**
   * The election timer, in ticks: how long since this node last heard from a leader (or began
   * campaigning, or granted a vote), and the randomized timeout in [T, 2T) after which it
   * campaigns. Meaningless on a leader (there it counts toward the next check-quorum, against T).
   */
  readonly electionElapsed: number;
  readonly electionTimeout: number;
}

/**
 * The core's public face: a Raft node as a deterministic state machine.
 *
 * Inputs: tick(), step(message), propose(data), readIndex(ctx). Output: a Ready, taken with
 * ready() when hasReady(), carried out by the driver, then acknowledged with advance().
 * Contract: between ready() and advance() no other input may be given; the driver handles one
 * Ready completely (it is synchronous with durable storage) before the next input.
 */
export class RaftNode {
  private readonly raft: Raft;
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private prevMembership: Membership;
  private inFlight: Ready | undefined;

  constructor(config: RaftConfig, storage: LogStorage) {
    this.raft = new Raft(resolveConfig(config), storage);
    this.prevHardState = storage.hardState();
    this.prevSoftState = this.softState();
    this.prevMembership = this.raft.currentMembership();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  tick(): void {
    this.assertNoReadyInFlight("tick");
    this.raft.tick();
  }

  step(message: Message): void {
    this.assertNoReadyInFlight("step");
    this.raft.step(message);
  }

  /**
   * Append `data` to the log if this node leads. Committed when it shows in committedEntries.
   * The node keeps `data` as given (no copy): the caller must not change it afterwards.
   */
  propose(data: Uint8Array): ProposeResult {
    this.assertNoReadyInFlight("propose");
    return this.raft.propose(data);
  }

  /**
   * Hand leadership to voter `to`: proposals are refused (TransferInProgress) until this node
   * steps down or, after an election timeout without success, gives the transfer up.
   */
  transferLeadership(to: NodeId): TransferResult {
    this.assertNoReadyInFlight("transferLeadership");
    return this.raft.transferLeadership(to);
  }

  /**
   * Propose a single-server membership change (leader only). It is in force as soon as it is
   * appended; it is done when its config entry shows in committedEntries.
   */
  proposeConfChange(change: ConfChange): ConfChangeResult {
    this.assertNoReadyInFlight("proposeConfChange");
    return this.raft.proposeConfChange(change);
  }

  /** The configuration this node acts on (its log's latest, committed or not). */
  membership(): Membership {
    return this.raft.currentMembership();
  }

  /**
   * The configuration in force at log index `index`, for a snapshot's metadata; `index` must
   * be at or above the applied index (older ones are forgotten).
   */
  membershipAt(index: number): Membership {
    return this.raft.log.membership.at(index);
  }

  /** Request a linearizable read; the answer is a ReadState with this ctx in a later Ready. */
  readIndex(ctx: string): ReadIndexResult {
    this.assertNoReadyInFlight("readIndex");
    return this.raft.readIndex(ctx);
  }

  hasReady(): boolean {
    if (this.inFlight !== undefined) return false;
    const r = this.raft;
    return (
      r.hasPendingAppends() ||
      r.msgs.length > 0 ||
      r.msgsAfterPersist.length > 0 ||
      r.readStates.length > 0 ||
      r.log.hasUnstable() ||
      r.log.pendingSnapshot !== undefined ||
      r.log.committed > r.log.applied ||
      this.hardStateChanged() ||
      this.softStateChanged() ||
      this.prevMembership !== r.currentMembership()
    );
  }

  ready(): Ready {
    if (this.inFlight !== undefined) throw new Error("ready() called again before advance()");
    const r = this.raft;
    r.flushAppends();
    const rd: Ready = {
      softState: this.softStateChanged() ? this.softState() : undefined,
      membership: this.prevMembership !== r.currentMembership() ? r.currentMembership() : undefined,
      hardState: this.hardStateChanged() ? this.hardState() : undefined,
      snapshot: r.log.pendingSnapshot,
      entries: r.log.unstableEntries(),
      messages: r.msgs,
      persistedMessages: r.msgsAfterPersist,
      // With a snapshot to load, entries apply from the next Ready on, after it.
      committedEntries:
        r.log.pendingSnapshot !== undefined ? [] : r.log.slice(r.log.applied + 1, r.log.committed + 1, r.cfg.maxApplyBytesPerReady),
      readStates: r.readStates,
    };
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.readStates = [];
    this.inFlight = rd;
    return rd;
  }

  /** The last Ready has been carried out: its entries and hard state are durable, its entries applied. */
  advance(): void {
    const rd = this.inFlight;
    if (rd === undefined) throw new Error("advance() without a ready()");
    this.inFlight = undefined;
    const r = this.raft;
    if (rd.hardState !== undefined) this.prevHardState = rd.hardState;
    if (rd.softState !== undefined) this.prevSoftState = rd.softState;
    if (rd.membership !== undefined) this.prevMembership = rd.membership;
    if (rd.snapshot !== undefined) r.log.snapshotPersisted(rd.snapshot.meta.index);
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) r.log.stableTo(lastEntry.index);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) r.log.applied = lastApplied.index;
    r.log.membership.foldTo(r.log.applied);
    // The leader's own copy counts toward a majority only once it is durable.
    if (lastEntry !== undefined && r.maybeCommit()) r.broadcastAppend();
  }

  status(): NodeStatus {
    const r = this.raft;
    const timer = r.electionTimer();
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      leaderId: r.leaderId,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      lastTerm: r.log.lastTerm(),
      peers: r.progressReport(),
      membership: r.currentMembership(),
      membershipIndex: r.log.membership.currentIndex(),
      transferringTo: r.leadTransferee,
      electionElapsed: timer.elapsed,
      electionTimeout: timer.timeout,
    };
  }

  // Compared field by field: hasReady() runs after every input, so it allocates nothing.
  private hardStateChanged(): boolean {
    const prev = this.prevHardState;
    return this.raft.term !== prev.term || this.raft.vote !== prev.vote || this.raft.log.committed !== prev.commit;
  }

  private softStateChanged(): boolean {
    return this.raft.role !== this.prevSoftState.role || this.raft.leaderId !== this.prevSoftState.leaderId;
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  private softState(): SoftState {
    return { role: this.raft.role, leaderId: this.raft.leaderId };
  }

  private assertNoReadyInFlight(input: string): void {
    if (this.inFlight !== undefined) {
      throw new Error(`${input}() while a Ready is in flight: call advance() first`);
    }
  }
}
