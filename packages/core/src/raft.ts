import type { ResolvedConfig } from "./config.js";
import type { Entry } from "./entry.js";
import type { Logger } from "./logger.js";
import {
  isResponse,
  type AppendEntries,
  type AppendEntriesResponse,
  type Heartbeat,
  type HeartbeatResponse,
  type InstallSnapshot,
  type InstallSnapshotResponse,
  type Message,
  type VoteRequest,
} from "./messages.js";
import {
  applyConfChange,
  bootstrapMembership,
  describeMembership,
  encodeMembership,
  voterIds,
  type ConfChange,
  type Membership,
} from "./membership.js";
import { Progress } from "./progress.js";
import { quorumValue, tallyVotes } from "./quorum.js";
import { RaftLog } from "./raft-log.js";
import { err, ok, type ConfChangeResult, type ProposeResult, type ReadIndexResult, type TransferResult } from "./results.js";
import type { LogStorage, SnapshotMeta } from "./storage.js";
import { NONE, type NodeId, type Role } from "./types.js";

/** A linearizable read may be served once the state machine has applied `index`. */
export interface ReadState {
  readonly ctx: string;
  readonly index: number;
}

interface PendingRead {
  readonly ctx: string;
  readonly index: number;
  readonly seq: number;
}

const SILENT: Logger = { debug() {}, info() {}, warn() {} };

/**
 * The Raft protocol for one node: roles, elections, replication, commitment, read index.
 * Pure: it reacts to tick() and step() by changing its state and queueing messages; RaftNode
 * turns that into Ready batches. Section numbers refer to the Raft paper ("In Search of an
 * Understandable Consensus Algorithm", extended version) and Ongaro's dissertation.
 */
export class Raft {
  readonly id: NodeId;
  readonly log: RaftLog;
  term: number;
  vote: NodeId;
  leaderId: NodeId = NONE;
  role: Role = "follower";

  /** Messages that may leave before this node persists anything (requests). */
  msgs: Message[] = [];
  /** Messages that may leave only after the Ready's state is durable (responses). */
  msgsAfterPersist: Message[] = [];
  readStates: ReadState[] = [];

  /** Ticks since the last valid contact from a leader (or, for a leader, since the last quorum check). */
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Votes received in the current (pre-)election, by voter. */
  private votes = new Map<NodeId, boolean>();
  /**
   * Leader only: replication state of every other member, voter or learner, and of a removed
   * node until its removal commits (so it most likely learns of it).
   */
  private progress = new Map<NodeId, Progress>();
  /** The configuration this node acts on (the log's latest), and its voters, kept in step. */
  private membership: Membership;
  private voterList: NodeId[] = [];
  /** Leader only: proposals appended since the last flush, not yet sent to followers. */
  private appendsPending = false;

  /** Leader only: reads waiting for a heartbeat round that confirms leadership. */
  private pendingReads: PendingRead[] = [];
  /** Leader only: reads that arrived before an entry of this term committed. */
  private readsAwaitingCommit: string[] = [];
  /** Leader only: sequence of the latest heartbeat round, and the latest each peer answered. */
  private readSeq = 0;
  private readAcks = new Map<NodeId, number>();
  /**
   * Leader only: the voter leadership is being handed to (NONE when none), and ticks since the
   * transfer began. While set, proposals are refused; it ends when this node steps down, or is
   * abandoned after an election timeout (the target was down or slow).
   */
  leadTransferee: NodeId = NONE;
  private transferElapsed = 0;
  /**
   * Follower only: the highest index known to match the current leader's log, from its
   * appends and snapshots in this term (entries a leader sent in its term are its own, and a
   * leader's log only grows within a term). Heartbeats may commit up to here.
   */
  private leaderMatched = 0;
  /** Follower only: the chunks of a leader's snapshot received so far. */
  private incomingSnapshot: { meta: SnapshotMeta; chunks: Uint8Array[]; received: number } | undefined;

  private readonly logger: Logger;

  constructor(
    readonly cfg: ResolvedConfig,
    storage: LogStorage,
  ) {
    this.id = cfg.id;
    this.logger = cfg.logger ?? SILENT;
    const hs = storage.hardState();
    this.term = hs.term;
    this.vote = hs.vote;
    this.log = new RaftLog(storage, hs.commit, cfg.applied, bootstrapMembership(cfg.voters, cfg.addresses));
    this.membership = this.log.membership.current();
    this.voterList = voterIds(this.membership);
    this.becomeFollower(this.term, NONE);
  }

  get voters(): readonly NodeId[] {
    return this.voterList;
  }

  /** The configuration this node acts on: its log's latest, committed or not. */
  currentMembership(): Membership {
    return this.membership;
  }

  /**
   * The election timer, for status reports: ticks since this node last heard from a leader
   * (or began its campaign, or granted a vote), and the randomized timeout it counts toward.
   * On a leader the timer counts toward its next check-quorum instead, against electionTicks.
   */
  electionTimer(): { readonly elapsed: number; readonly timeout: number } {
    return { elapsed: this.electionElapsed, timeout: this.role === "leader" ? this.cfg.electionTicks : this.randomizedElectionTimeout };
  }

  private isVoter(id: NodeId): boolean {
    return this.voterList.includes(id);
  }

  /**
   * The log's configuration may have changed (an append, a truncation, a snapshot): act on the
   * latest. A leader starts replicating to new members at once; it stops replicating to
   * removed ones only when their removal commits (maybeCommit).
   */
  private syncMembership(): void {
    const latest = this.log.membership.current();
    if (latest === this.membership) return;
    this.membership = latest;
    this.voterList = voterIds(latest);
    this.logger.info({ term: this.term, index: this.log.membership.currentIndex(), membership: describeMembership(latest) }, "configuration changed");
    if (this.role !== "leader") return;
    for (const m of latest.members) {
      if (m.id !== this.id && !this.progress.has(m.id)) {
        this.progress.set(m.id, new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMessages));
      }
    }
  }

  // ---- inputs -----------------------------------------------------------------------------

  tick(): void {
    if (this.role === "leader") this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      // Learners, removed nodes and nodes waiting to join never campaign: they cannot win, and
      // a removed node's elections would only disturb the cluster it left.
      if (!this.isVoter(this.id)) return;
      this.logger.info({ term: this.term, role: this.role }, "election timeout");
      this.campaign(this.cfg.preVote ? "pre-vote" : "vote");
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.leadTransferee !== NONE && ++this.transferElapsed >= this.cfg.electionTicks) {
      this.logger.warn({ term: this.term, to: this.leadTransferee }, "leadership transfer abandoned: the target did not take over within an election timeout");
      this.leadTransferee = NONE;
    }
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        if (!this.quorumActive()) {
          this.logger.warn({ term: this.term }, "stepping down: no contact with a majority (check-quorum)");
          this.cfg.observer.steppedDown?.("lost_quorum", this.term);
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const pr of this.progress.values()) pr.recentActive = false;
      }
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  step(m: Message): void {
    if (m.to !== this.id) {
      this.logger.warn({ type: m.type, to: m.to }, "dropping a message addressed to another node");
      return;
    }
    if (m.from === this.id) {
      this.logger.warn({ type: m.type, from: m.from }, "dropping a message that claims to come from this node");
      return;
    }
    // Messages from nodes outside our configuration are fine (a leader adding this node, a
    // member this node has not heard of yet), except a request for votes from a node that is
    // not a voter here and whose log is not ahead of ours: that is a removed node that missed
    // its removal (its log lacks the entry that removed it), and answering would let it raise
    // terms and disrupt the cluster (dissertation 4.2.3). A candidate whose log is ahead may
    // know a configuration we have not seen yet, so it is answered as usual: ignoring those
    // too (an earlier version did) deadlocks elections when a lagging node's configuration is
    // stale, as the simulator found. Members that lag may still count a removed node as a
    // voter; against that, the leader lease (check-quorum) is the defence. A node with no
    // configuration yet (joining) answers anyone; its vote counts for no one.
    if (m.type === "VoteRequest" && this.voterList.length > 0 && !this.isVoter(m.from) && !this.log.isAhead(m.lastLogIndex, m.lastLogTerm)) {
      this.logger.debug({ from: m.from, term: m.term }, "ignoring a vote request from a removed node");
      return;
    }

    if (m.term > this.term) {
      if (m.type === "VoteRequest" && m.transfer !== true && this.inLeaderLease()) {
        // A leader was heard from within the election timeout: this candidate is likely a node
        // that lost contact alone. Ignoring it keeps it from deposing a working leader (4.2.3).
        this.logger.debug({ from: m.from, term: m.term }, "ignoring a vote request inside the leader lease");
        return;
      }
      const termStays =
        (m.type === "VoteRequest" && m.preVote) ||
        (m.type === "VoteResponse" && m.preVote && m.granted);
      if (!termStays) {
        const leader = m.type === "AppendEntries" || m.type === "Heartbeat" ? m.from : NONE;
        this.logger.info({ from: m.from, type: m.type, term: m.term, oldTerm: this.term }, "newer term seen");
        if (this.role === "leader") this.cfg.observer.steppedDown?.("newer_term", this.term);
        this.becomeFollower(m.term, leader);
      }
    } else if (m.term < this.term) {
      if (m.type === "AppendEntries" || m.type === "Heartbeat") {
        // A stale leader: tell it our term so it steps down. Without this, a node whose term
        // went up while it was cut off would ignore the leader forever (it cannot win an
        // election while the others hold a leader lease).
        this.send({ type: "HeartbeatResponse", from: this.id, to: m.from, term: this.term, readSeq: 0, commit: this.log.committed });
      } else if (m.type === "VoteRequest") {
        // A candidate behind in term: refuse, and tell it our term (paper figure 2). It may not
        // hear it any other way: with membership changes the nodes' configurations can differ,
        // and a node whose configuration lacks that candidate never asks it for a vote (the
        // simulator found two nodes campaigning past each other forever).
        this.send({ type: "VoteResponse", from: this.id, to: m.from, term: this.term, preVote: m.preVote, granted: false });
      }
      return;
    }

    if (m.type === "VoteRequest") {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case "leader":
        this.stepLeader(m);
        break;
      case "candidate":
      case "pre-candidate":
        this.stepCandidate(m);
        break;
      case "follower":
        this.stepFollower(m);
        break;
    }
  }

  propose(data: Uint8Array): ProposeResult {
    if (this.role !== "leader") {
      return err({ type: "NotLeader", leaderId: this.leaderId === NONE ? undefined : this.leaderId });
    }
    if (this.leadTransferee !== NONE) return err({ type: "TransferInProgress", to: this.leadTransferee });
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, type: "normal", data };
    this.appendEntry(entry);
    return ok({ index: entry.index, term: entry.term });
  }

  /**
   * Ask to serve a linearizable read (dissertation 6.4). The answer arrives as a ReadState in
   * a later Ready: the commit index at the time of the request, once a majority has confirmed
   * this node still leads. The caller serves the read after applying up to that index.
   */
  readIndex(ctx: string): ReadIndexResult {
    this.cfg.observer.readIndexRequested?.();
    if (this.role !== "leader") {
      return err({ type: "NotLeader", leaderId: this.leaderId === NONE ? undefined : this.leaderId });
    }
    if (this.log.term(this.log.committed) !== this.term) {
      // The commit index may lag until an entry of this term commits (the no-op does it).
      this.readsAwaitingCommit.push(ctx);
    } else {
      this.registerRead(ctx);
    }
    return ok(undefined);
  }

  /**
   * Hand leadership to voter `to` (dissertation 3.10): stop taking proposals, bring its log up
   * to date, then tell it to campaign at once (TimeoutNow). Its election wins without waiting
   * for anyone's timer, since its log is the most complete and voters answer a transfer
   * election even inside their lease. Asking again for another target replaces the transfer.
   */
  transferLeadership(to: NodeId): TransferResult {
    if (this.role !== "leader") {
      return err({ type: "NotLeader", leaderId: this.leaderId === NONE ? undefined : this.leaderId });
    }
    if (to === this.id || !this.progress.has(to) || !this.isVoter(to)) return err({ type: "BadTransferTarget", to });
    if (this.leadTransferee === to) return ok(undefined);
    this.logger.info({ term: this.term, to }, "transferring leadership");
    this.cfg.observer.leadershipTransferStarted?.(to);
    this.leadTransferee = to;
    this.transferElapsed = 0;
    this.maybeSendTimeoutNow();
    return ok(undefined);
  }

  /**
   * Propose one single-server membership change (dissertation 4.1). It takes effect on this
   * leader as soon as it is appended (and on each follower as soon as it is in its log). Only
   * one change may be uncommitted at a time, and none before an entry of this leader's term
   * has committed: without that rule a leader elected in the middle of a change could append
   * a second one whose majorities do not overlap those of the first (the single-server bug
   * Ongaro described on raft-dev in 2015). Both refusals are ConfChangePending: retry soon.
   */
  proposeConfChange(change: ConfChange): ConfChangeResult {
    if (this.role !== "leader") {
      return err({ type: "NotLeader", leaderId: this.leaderId === NONE ? undefined : this.leaderId });
    }
    if (this.leadTransferee !== NONE) return err({ type: "TransferInProgress", to: this.leadTransferee });
    const unsafe = this.cfg.testingBugs.concurrentConfChanges === true;
    if (this.log.term(this.log.committed) !== this.term && !unsafe) {
      return err({ type: "ConfChangePending", reason: "this leader has not committed an entry of its term yet" });
    }
    if (this.log.membership.currentIndex() > this.log.committed && !unsafe) {
      return err({ type: "ConfChangePending", reason: `the change at index ${this.log.membership.currentIndex()} is not committed yet` });
    }
    const next = applyConfChange(this.membership, change);
    if (!next.ok) return err({ type: "BadConfChange", reason: next.error });
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, type: "config", data: encodeMembership(next.value) };
    this.logger.info({ term: this.term, index: entry.index, change, membership: describeMembership(next.value) }, "proposing a membership change");
    this.appendEntry(entry);
    // Removing a slow voter may let older entries commit under the new majority.
    if (this.maybeCommit()) this.broadcastAppend();
    return ok({ index: entry.index, term: entry.term });
  }

  /** Send TimeoutNow once the transferee holds the whole log; else make sure it is being caught up. */
  private maybeSendTimeoutNow(): void {
    const to = this.leadTransferee;
    const pr = this.progress.get(to);
    if (pr === undefined) return;
    if (pr.match === this.log.lastIndex()) {
      this.logger.info({ term: this.term, to }, "transferee is up to date: telling it to campaign now");
      this.send({ type: "TimeoutNow", from: this.id, to, term: this.term });
    } else {
      this.sendAppend(to, true);
    }
  }

  // ---- roles --------------------------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.leaderId = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.votes.clear();
    this.progress.clear();
    this.appendsPending = false;
    this.pendingReads = [];
    this.readsAwaitingCommit = [];
    this.readAcks.clear();
    this.leadTransferee = NONE;
    this.transferElapsed = 0;
    this.incomingSnapshot = undefined;
    this.leaderMatched = 0;
  }

  private resetRandomizedElectionTimeout(): void {
    // Uniform in [T, 2T): spreads candidates apart so split votes are rare (paper 5.2).
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.rng.int(this.cfg.electionTicks);
  }

  becomeFollower(term: number, leader: NodeId): void {
    const was = this.role;
    this.reset(term);
    this.role = "follower";
    this.leaderId = leader;
    if (was !== "follower") this.logger.info({ term, leader, was }, "became follower");
  }

  private becomePreCandidate(): void {
    if (this.role === "leader") throw new Error("a leader cannot become a pre-candidate");
    // Pre-vote changes neither term nor vote: that is its point.
    this.votes.clear();
    this.leaderId = NONE;
    this.resetRandomizedElectionTimeout();
    this.role = "pre-candidate";
    this.logger.info({ term: this.term, proposedTerm: this.term + 1 }, "became pre-candidate");
  }

  private becomeCandidate(): void {
    if (this.role === "leader") throw new Error("a leader cannot become a candidate");
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = "candidate";
    this.logger.info({ term: this.term }, "became candidate");
  }

  private becomeLeader(): void {
    if (this.role !== "candidate") throw new Error(`only a candidate can become leader (was ${this.role})`);
    this.reset(this.term);
    this.role = "leader";
    this.leaderId = this.id;
    for (const m of this.membership.members) {
      if (m.id !== this.id) this.progress.set(m.id, new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMessages));
    }
    this.logger.info({ term: this.term, lastIndex: this.log.lastIndex() }, "became leader");
    this.cfg.observer.electionWon?.(this.term);
    // An entry of the leader's own term lets it commit everything before it (paper 5.4.2)
    // and learn the commit index that ReadIndex needs. While the cluster's membership is
    // still only the bootstrap list every node was started with, that entry records it in the
    // log instead of being empty: from then on the log, not each node's start-up settings,
    // says who the members are (so a node restarted with an edited list cannot disagree).
    const data = this.log.membership.currentIndex() === 0 ? encodeMembership(this.membership) : undefined;
    this.appendEntry({ index: this.log.lastIndex() + 1, term: this.term, type: data === undefined ? "noop" : "config", data: data ?? new Uint8Array(0) });
  }

  // ---- elections ----------------------------------------------------------------------------

  private campaign(kind: "pre-vote" | "vote" | "transfer"): void {
    if (kind === "pre-vote") this.becomePreCandidate();
    else this.becomeCandidate();
    const electionTerm = kind === "pre-vote" ? this.term + 1 : this.term;
    this.logger.info({ term: electionTerm, preVote: kind === "pre-vote", transfer: kind === "transfer" }, "starting election");
    this.cfg.observer.electionStarted?.(kind === "pre-vote" ? "pre-vote" : "vote", electionTerm);
    if (this.recordVote(this.id, true)) return; // a single-voter cluster wins at once
    for (const peer of this.voterList) {
      if (peer === this.id) continue;
      this.send({
        type: "VoteRequest",
        from: this.id,
        to: peer,
        term: electionTerm,
        preVote: kind === "pre-vote",
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        ...(kind === "transfer" ? { transfer: true as const } : {}),
      });
    }
  }

  /** Count a vote; act on the outcome. Returns whether the election ended. */
  private recordVote(from: NodeId, granted: boolean): boolean {
    // Only voters of this node's configuration count (a stale one may answer too).
    if (!this.isVoter(from)) return false;
    if (!this.votes.has(from)) this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const v of this.votes.values()) {
      if (v) yes++;
      else no++;
    }
    const outcome = tallyVotes(this.voterList.length, yes, no);
    switch (outcome) {
      case "won":
        this.logger.info({ term: this.term, role: this.role, granted: yes, rejected: no }, "won election");
        if (this.role === "pre-candidate") this.campaign("vote");
        else this.becomeLeader();
        return true;
      case "lost":
        this.logger.info({ term: this.term, role: this.role, granted: yes, rejected: no }, "lost election");
        this.becomeFollower(this.term, NONE);
        return true;
      case "pending":
        return false;
    }
  }

  /**
   * Heard from a leader recently enough to ignore vote requests. The lease is one tick shorter
   * than the minimum election timeout: followers' clocks tick independently, so when the
   * leader dies the first timer to fire may be up to a tick ahead of the others, which heard
   * the same last heartbeat; a full-length lease would make them ignore that candidate, and
   * the election would wait a whole further timeout (measured: about one failover in two at
   * 12-24 ms with 5 nodes). A follower in touch with a working leader heard from it within a
   * heartbeat interval, well inside the lease, and still ignores a disruptive candidate.
   */
  private inLeaderLease(): boolean {
    const leaseTicks = Math.max(this.cfg.electionTicks - 1, this.cfg.heartbeatTicks + 1);
    return this.cfg.checkQuorum && this.leaderId !== NONE && this.electionElapsed < leaseTicks;
  }

  private handleVoteRequest(m: VoteRequest): void {
    // Invariant: at most one vote per term. A pre-vote binds nothing, so it may be granted
    // for any newer term.
    let canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.leaderId === NONE) ||
      (m.preVote && m.term > this.term);
    if (this.cfg.testingBugs.voteTwicePerTerm && !m.preVote && this.role === "follower") canVote = true;
    const upToDate = this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
    const granted = canVote && upToDate;
    this.logger.debug(
      { from: m.from, term: m.term, preVote: m.preVote, granted, vote: this.vote, upToDate },
      granted ? "granting vote" : "rejecting vote",
    );
    if (granted && !m.preVote) {
      this.vote = m.from;
      this.electionElapsed = 0;
    }
    this.send({
      type: "VoteResponse",
      from: this.id,
      to: m.from,
      // A granted pre-vote answers in the proposed term so the pre-candidate can count it.
      term: granted && m.preVote ? m.term : this.term,
      preVote: m.preVote,
      granted,
    });
  }

  // ---- per-role message handling ------------------------------------------------------------

  private stepFollower(m: Exclude<Message, VoteRequest>): void {
    switch (m.type) {
      case "AppendEntries":
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleAppendEntries(m);
        break;
      case "Heartbeat":
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleHeartbeat(m);
        break;
      case "InstallSnapshot":
        this.electionElapsed = 0;
        this.leaderId = m.from;
        this.handleInstallSnapshot(m);
        break;
      case "TimeoutNow":
        // Our leader (same term: step() dropped older ones) hands over: campaign at once.
        if (!this.isVoter(this.id)) break; // a learner or removed node cannot take over
        this.logger.info({ term: this.term, from: m.from }, "leader asked this node to take over");
        this.campaign("transfer");
        break;
      case "VoteResponse":
      case "AppendEntriesResponse":
      case "HeartbeatResponse":
      case "InstallSnapshotResponse":
        break; // stale answers to a role this node no longer has
    }
  }

  private stepCandidate(m: Exclude<Message, VoteRequest>): void {
    switch (m.type) {
      case "AppendEntries":
        // A leader exists in our term (or, for a pre-candidate, in the term we still hold).
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        break;
      case "Heartbeat":
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case "InstallSnapshot":
        this.becomeFollower(m.term, m.from);
        this.handleInstallSnapshot(m);
        break;
      case "VoteResponse":
        if (m.preVote === (this.role === "pre-candidate")) this.recordVote(m.from, m.granted);
        break;
      case "AppendEntriesResponse":
      case "HeartbeatResponse":
      case "InstallSnapshotResponse":
      case "TimeoutNow": // a candidate is already campaigning
        break;
    }
  }

  private stepLeader(m: Exclude<Message, VoteRequest>): void {
    switch (m.type) {
      case "AppendEntriesResponse":
        this.handleAppendEntriesResponse(m);
        break;
      case "HeartbeatResponse":
        this.handleHeartbeatResponse(m);
        break;
      case "InstallSnapshotResponse":
        this.handleInstallSnapshotResponse(m);
        break;
      case "AppendEntries":
      case "Heartbeat":
      case "InstallSnapshot":
        // Two leaders in one term would break election safety; it cannot happen unless votes
        // were lost (storage that did not persist) or forged.
        this.logger.warn({ from: m.from, term: m.term }, "another leader claims this node's term");
        break;
      case "VoteResponse":
      case "TimeoutNow":
        break;
    }
  }

  private handleAppendEntries(m: AppendEntries): void {
    const reply = (fields: Omit<AppendEntriesResponse, "type" | "from" | "to" | "term">): void =>
      this.send({ type: "AppendEntriesResponse", from: this.id, to: m.from, term: this.term, ...fields });

    if (m.prevLogIndex < this.log.committed) {
      // Everything up to our commit index already matches the leader's log.
      this.leaderMatched = Math.max(this.leaderMatched, this.log.committed);
      reply({ success: true, matchIndex: this.log.committed, rejectedIndex: 0, conflictTerm: 0, conflictIndex: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.entries);
    this.syncMembership();
    if (lastNew !== undefined) {
      this.leaderMatched = Math.max(this.leaderMatched, lastNew);
      this.log.commitTo(Math.min(m.leaderCommit, lastNew));
      reply({ success: true, matchIndex: lastNew, rejectedIndex: 0, conflictTerm: 0, conflictIndex: 0 });
      return;
    }
    // The hint: the term we hold at prevLogIndex and where it starts, so the leader can skip
    // that whole term at once (or, if our log is short, where it ends).
    const lastIndex = this.log.lastIndex();
    let conflictTerm = 0;
    let conflictIndex = lastIndex + 1;
    if (m.prevLogIndex <= lastIndex) {
      conflictTerm = this.log.term(m.prevLogIndex)!;
      conflictIndex = this.log.firstIndexOfTerm(m.prevLogIndex, conflictTerm, this.log.committed + 1);
    }
    this.logger.debug(
      { from: m.from, prevLogIndex: m.prevLogIndex, prevLogTerm: m.prevLogTerm, conflictTerm, conflictIndex },
      "rejecting append: log does not match",
    );
    reply({ success: false, matchIndex: 0, rejectedIndex: m.prevLogIndex, conflictTerm, conflictIndex });
  }

  /**
   * A heartbeat carries no log check, so its commit index is taken only as far as this node
   * knows its log matches the leader's. Normally that is all of it (the leader sends at most
   * what this node acknowledged); it is less when the leader's knowledge is about a previous
   * incarnation of this node: a machine replaced under the same id after its disk was wiped
   * can receive heartbeats the leader sent to the old one, and must not commit entries it got
   * from elsewhere, or crash on an index past its log. The answer says where it is.
   */
  private handleHeartbeat(m: Heartbeat): void {
    this.log.commitTo(Math.min(m.commit, this.leaderMatched));
    this.send({ type: "HeartbeatResponse", from: this.id, to: m.from, term: this.term, readSeq: m.readSeq, commit: this.log.committed });
  }

  private handleAppendEntriesResponse(m: AppendEntriesResponse): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;

    if (!m.success) {
      this.cfg.observer.appendRejected?.(m.from);
      if (pr.maybeDecrease(m.rejectedIndex, this.nextIndexFromHint(m))) {
        this.logger.debug({ peer: m.from, next: pr.next, rejectedIndex: m.rejectedIndex }, "append rejected; probing");
        if (pr.state === "replicate") pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }

    const wasPaused = pr.isPaused();
    const moved = pr.maybeUpdate(m.matchIndex);
    if (!moved && !(pr.state === "probe" && pr.match === m.matchIndex)) return; // stale
    // An append answered while the snapshot was on its way may already cover it.
    if (pr.state === "snapshot" && pr.match >= pr.snapshot!.meta.index) pr.becomeProbe();
    if (pr.state === "probe") pr.becomeReplicate();
    else pr.inflights.freeLE(m.matchIndex);

    if (this.maybeCommit()) {
      this.broadcastAppend();
    } else if (wasPaused) {
      // It may have missed the commit index while paused: tell it, even with no entries to send.
      this.sendAppend(m.from, true);
    }
    while (this.sendAppend(m.from, false)) {
      // stream what is left while the window has room
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.maybeSendTimeoutNow();
  }

  /**
   * Where the follower's log may match ours, from its rejection hint: after our last entry of
   * its conflicting term if we have that term, else the start of its run of that term.
   */
  private nextIndexFromHint(m: AppendEntriesResponse): number {
    if (m.conflictTerm === 0) return m.conflictIndex;
    const i = this.log.lastIndexWithTermAtMost(m.rejectedIndex, m.conflictTerm);
    return this.log.term(i) === m.conflictTerm ? i + 1 : m.conflictIndex;
  }

  private handleHeartbeatResponse(m: HeartbeatResponse): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    pr.probeSent = false;
    this.cfg.observer.heartbeatAnswered?.(m.from);
    if (pr.state === "replicate" && pr.inflights.full()) pr.inflights.freeFirstOne();
    // The follower lags: send what it needs, or an empty append whose rejection tells us where
    // its log really ends (appends may have been lost, or it restarted).
    if (pr.state === "snapshot") this.sendSnapshotChunk(m.from, pr); // resend what may have been lost
    else if (pr.match < this.log.lastIndex() || m.commit < Math.min(pr.match, this.log.committed)) this.sendAppend(m.from, true);
    if (m.readSeq > (this.readAcks.get(m.from) ?? 0)) {
      this.readAcks.set(m.from, m.readSeq);
      this.releaseConfirmedReads();
    }
  }

  // ---- replication --------------------------------------------------------------------------

  private appendEntry(entry: Entry): void {
    this.log.append([entry]);
    if (entry.type === "config") this.syncMembership();
    this.appendsPending = true;
    // A single voter needs nobody: its entries commit as soon as they are persisted (advance).
  }

  /** Send proposals appended since the last flush: one message per follower for a batch. */
  flushAppends(): void {
    if (!this.appendsPending) return;
    this.appendsPending = false;
    if (this.role !== "leader") return;
    for (const peer of this.progress.keys()) {
      while (this.sendAppend(peer, false)) {
        // until the window is full or everything is sent
      }
    }
  }

  hasPendingAppends(): boolean {
    return this.appendsPending;
  }

  /**
   * Send the follower the entries it needs next, if it is not paused. With `sendIfEmpty`, send
   * even when there are none (to carry the commit index, or to probe). Returns whether sent.
   */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevLogIndex = pr.next - 1;
    const prevLogTerm = this.log.term(prevLogIndex);
    if (prevLogTerm === undefined) {
      // The follower needs entries compacted into the snapshot: send the snapshot instead.
      const snapshot = this.log.storedSnapshot();
      if (snapshot === undefined || snapshot.meta.index < prevLogIndex) {
        throw new Error(`no term for index ${prevLogIndex} needed by peer ${to} (log starts at ${this.log.firstIndex()}) and no snapshot covers it`);
      }
      this.logger.info({ peer: to, next: pr.next, snapshot: snapshot.meta.index, bytes: snapshot.data.length }, "follower is behind the log: sending the snapshot");
      pr.becomeSnapshot(snapshot);
      this.sendSnapshotChunk(to, pr);
      return true;
    }
    const hi = Math.min(this.log.lastIndex() + 1, pr.next + this.cfg.maxEntriesPerMessage);
    const entries = this.log.slice(pr.next, hi, this.cfg.maxBytesPerMessage);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: "AppendEntries",
      from: this.id,
      to,
      term: this.term,
      prevLogIndex,
      prevLogTerm,
      entries,
      leaderCommit: this.log.committed,
    });
    pr.sentEntries(entries[entries.length - 1]?.index);
    this.cfg.observer.appendSent?.(to, entries.length);
    return true;
  }

  /** The chunk of the snapshot being sent to `to` that starts where the follower said it is. */
  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    const snapshot = pr.snapshot!;
    const offset = Math.min(pr.snapshotOffset, snapshot.data.length);
    const end = Math.min(snapshot.data.length, offset + this.cfg.maxBytesPerMessage);
    this.send({
      type: "InstallSnapshot",
      from: this.id,
      to,
      term: this.term,
      meta: snapshot.meta,
      offset,
      data: snapshot.data.subarray(offset, end),
      done: end === snapshot.data.length,
    });
    this.cfg.observer.snapshotChunkSent?.(to, end - offset);
  }

  private handleInstallSnapshotResponse(m: InstallSnapshotResponse): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (m.done) {
      // The follower holds everything up to m.index (installed, or it had it already).
      const moved = pr.maybeUpdate(m.index);
      if (pr.state === "snapshot" && pr.match >= pr.snapshot!.meta.index) {
        this.logger.info({ peer: m.from, index: m.index }, "follower installed the snapshot");
        pr.becomeProbe();
      }
      if (moved && this.maybeCommit()) this.broadcastAppend();
      else this.sendAppend(m.from, true);
      return;
    }
    if (pr.state !== "snapshot" || pr.snapshot!.meta.index !== m.index) return; // stale
    // Send the next chunk only when the follower moved on; an answer that did not (a duplicate,
    // or a follower that lost what it had) only records where it is: the next heartbeat answer
    // resends from there. That bounds the chunks in flight to one, whatever the network does.
    const progressed = m.offset > pr.snapshotOffset;
    pr.snapshotOffset = m.offset;
    if (progressed) this.sendSnapshotChunk(m.from, pr);
  }

  /**
   * A follower's half of InstallSnapshot: collect the chunks in order, then replace the log
   * with the snapshot (persisted and applied by the next Ready). A snapshot this node's log
   * already covers is acknowledged at once.
   */
  private handleInstallSnapshot(m: InstallSnapshot): void {
    const reply = (offset: number, done: boolean): void => {
      if (done) this.leaderMatched = Math.max(this.leaderMatched, Math.min(m.meta.index, this.log.lastIndex()));
      this.send({ type: "InstallSnapshotResponse", from: this.id, to: m.from, term: this.term, index: m.meta.index, offset, done });
    };
    if (m.meta.index <= this.log.committed) {
      this.incomingSnapshot = undefined;
      reply(0, true);
      return;
    }
    if (this.log.matchTerm(m.meta.index, m.meta.term)) {
      // Our log holds the snapshot's last entry, so (log matching) everything before it: the
      // leader's snapshot holds only committed state, so commit up to it instead of replacing.
      this.incomingSnapshot = undefined;
      this.log.commitTo(m.meta.index);
      reply(0, true);
      return;
    }
    let incoming = this.incomingSnapshot;
    if (incoming === undefined || incoming.meta.index !== m.meta.index || incoming.meta.term !== m.meta.term) {
      if (m.offset !== 0) {
        reply(0, false); // a chunk of a snapshot we have not started: ask for it from the start
        return;
      }
      incoming = this.incomingSnapshot = { meta: m.meta, chunks: [], received: 0 };
    }
    if (m.offset !== incoming.received) {
      reply(incoming.received, false); // out of order or a duplicate: say where we are
      return;
    }
    // Copied: the message's bytes may be a view into a transport buffer that gets reused.
    incoming.chunks.push(m.data.slice());
    incoming.received += m.data.length;
    if (!m.done) {
      reply(incoming.received, false);
      return;
    }
    const data = new Uint8Array(incoming.received);
    let at = 0;
    for (const chunk of incoming.chunks) {
      data.set(chunk, at);
      at += chunk.length;
    }
    this.incomingSnapshot = undefined;
    this.logger.info({ index: m.meta.index, term: m.meta.term, bytes: data.length }, "installing the leader's snapshot");
    this.log.restore({ meta: m.meta, data });
    this.syncMembership();
    this.cfg.observer.snapshotReceived?.(m.meta.index);
    reply(data.length, true);
  }

  broadcastAppend(): void {
    for (const peer of this.progress.keys()) this.sendAppend(peer, true);
  }

  private broadcastHeartbeat(): void {
    for (const [peer, pr] of this.progress) {
      this.send({
        type: "Heartbeat",
        from: this.id,
        to: peer,
        term: this.term,
        commit: Math.min(pr.match, this.log.committed),
        readSeq: this.readSeq,
      });
      this.cfg.observer.heartbeatSent?.(peer);
    }
  }

  /**
   * Commit the highest index a majority holds, but only if it is from this leader's term: an
   * entry of an older term on a majority can still be overwritten (paper 5.4.2, figure 8).
   * Returns whether the commit index moved.
   */
  maybeCommit(): boolean {
    if (this.role !== "leader") return false;
    // A leader that is not a voter of its configuration (it is removing itself) replicates
    // and commits without counting its own copy (dissertation 4.2.2).
    const matches = this.voterList.map((v) =>
      v === this.id ? this.log.persistedLastIndex() : (this.progress.get(v)?.match ?? 0),
    );
    const index = quorumValue(matches);
    if (index <= this.log.committed) return false;
    if (this.log.term(index) !== this.term && !this.cfg.testingBugs.commitOldTermByCount) return false;
    const firstInTerm = this.log.term(this.log.committed) !== this.term;
    this.log.commitTo(index);
    if (firstInTerm && this.log.term(index) === this.term) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const ctx of waiting) this.registerRead(ctx);
    }
    if (this.log.membership.currentIndex() <= this.log.committed) this.membershipCommitted();
    return true;
  }

  /**
   * The latest configuration is committed: stop replicating to nodes it removed, and if this
   * leader is one of them, hand over and step down (dissertation 4.2.2). The handover is a
   * TimeoutNow to a voter holding the whole log, so the cluster need not wait for a timeout.
   */
  private membershipCommitted(): void {
    for (const id of this.progress.keys()) {
      if (this.membership.members.some((m) => m.id === id)) continue;
      // A last append carries the commit index, so the removed node most likely learns that
      // its removal is final (it has the entry already, so it no longer campaigns either way).
      this.sendAppend(id, true);
      this.progress.delete(id);
    }
    if (this.isVoter(this.id)) return;
    let successor: NodeId = NONE;
    let best = -1;
    for (const v of this.voterList) {
      const match = this.progress.get(v)?.match ?? 0;
      if (match > best) {
        best = match;
        successor = v;
      }
    }
    this.logger.info({ term: this.term, successor }, "stepping down: this leader's removal is committed");
    this.broadcastAppend(); // let the others learn the commit index
    if (successor !== NONE && best === this.log.lastIndex()) {
      this.send({ type: "TimeoutNow", from: this.id, to: successor, term: this.term });
    }
    this.cfg.observer.steppedDown?.("removed", this.term);
    this.becomeFollower(this.term, NONE);
  }

  private quorumActive(): boolean {
    let active = this.isVoter(this.id) ? 1 : 0; // this leader
    for (const v of this.voterList) if (this.progress.get(v)?.recentActive === true) active++;
    return tallyVotes(this.voterList.length, active, 0) === "won";
  }

  // ---- read index ---------------------------------------------------------------------------

  private registerRead(ctx: string): void {
    if (this.voterList.length === 1 && this.isVoter(this.id)) {
      this.readStates.push({ ctx, index: this.log.committed });
      return;
    }
    this.readSeq++;
    this.pendingReads.push({ ctx, index: this.log.committed, seq: this.readSeq });
    this.broadcastHeartbeat();
  }

  /** Release reads whose heartbeat round a majority (this leader included) has answered. */
  private releaseConfirmedReads(): void {
    if (this.pendingReads.length === 0) return;
    const acked = this.voterList.map((v) => (v === this.id ? this.readSeq : (this.readAcks.get(v) ?? 0)));
    const confirmed = quorumValue(acked);
    while (this.pendingReads.length > 0 && this.pendingReads[0]!.seq <= confirmed) {
      const read = this.pendingReads.shift()!;
      this.readStates.push({ ctx: read.ctx, index: read.index });
    }
  }

  // ---- output -------------------------------------------------------------------------------

  /** Every message is built with `from` in place: no copy per message on the hot path. */
  private send(m: Message): void {
    if (isResponse(m)) this.msgsAfterPersist.push(m);
    else this.msgs.push(m);
  }

  /** What a leader knows of each follower, for status reports. */
  progressReport(): { id: NodeId; voter: boolean; match: number; next: number; state: string; recentActive: boolean }[] {
    return [...this.progress.entries()].map(([id, pr]) => ({
      id,
      voter: this.isVoter(id),
      match: pr.match,
      next: pr.next,
      state: pr.state,
      recentActive: pr.recentActive,
    }));
  }
}
