import type { Logger as PinoLogger } from "pino";
import { decodeMembership, describeMembership, type ConfChange, type Membership, type Message, type NodeStatus, type RaftNode, type Ready, type SnapshotMeta, type Storage } from "@raft-ts/core";
import type { SnapshotPolicy } from "./config.js";
import { encodeCommand, type KvCommand } from "./kv/commands.js";
import type { KvResult, KvStateMachine } from "./kv/state-machine.js";

/** Entries deleted per event-loop turn when compacting (a few milliseconds of SQLite work). */
const COMPACT_SLICE_ENTRIES = 2000;

/** Where outgoing Raft messages go (the TCP transport, or a fake in tests). */
export interface PeerTransport {
  send(message: Message): void;
  /** Put what send() queued on the wire now (optional: a transport may write at once). */
  flush?(): void;
}

export type WriteOutcome =
  | { readonly type: "applied"; readonly result: KvResult }
  | { readonly type: "not-leader"; readonly leaderId: number | undefined }
  /** Another leader's entry took its place: it was not applied, a retry is safe. */
  | { readonly type: "lost" }
  /** No answer in time: it may or may not be applied (a retry with the same id and seq is safe). */
  | { readonly type: "timeout" }
  | { readonly type: "overloaded" }
  /** This node's disk is full: it takes no writes until space returns. */
  | { readonly type: "storage-full" }
  /** This leader is handing over to `to` and takes no writes meanwhile: retry shortly. */
  | { readonly type: "transferring"; readonly to: number };

export type ReadOutcome =
  | { readonly type: "ready" }
  | { readonly type: "not-leader"; readonly leaderId: number | undefined }
  | { readonly type: "timeout" }
  | { readonly type: "overloaded" }
  /** This node's disk is full: it is paused and cannot confirm anything. */
  | { readonly type: "storage-full" };

export type TransferOutcome =
  /** This node stepped down; `leaderId` is the leader it knows now (usually `to`). */
  | { readonly type: "done"; readonly to: number; readonly leaderId: number | undefined; readonly term: number }
  | { readonly type: "not-leader"; readonly leaderId: number | undefined }
  | { readonly type: "bad-target"; readonly to: number }
  | { readonly type: "failed"; readonly reason: string };

export type ConfChangeOutcome =
  /** The change committed and applied here; `membership` is the configuration it made. */
  | { readonly type: "done"; readonly index: number; readonly membership: Membership }
  | { readonly type: "not-leader"; readonly leaderId: number | undefined }
  /** Another change is not committed yet, this leader has not committed in its term, or it is handing over: retry shortly. */
  | { readonly type: "busy"; readonly reason: string }
  /** The change does not apply to the current membership. */
  | { readonly type: "rejected"; readonly reason: string }
  /** Another leader's entry took its place: not applied, a retry is safe. */
  | { readonly type: "lost" }
  /** No answer in time: it may or may not be applied. */
  | { readonly type: "timeout" };

interface PendingConfChange {
  readonly term: number;
  readonly resolve: (o: ConfChangeOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

interface PendingWrite {
  readonly term: number;
  readonly resolve: (o: WriteOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

interface PendingRead {
  readonly resolve: (o: ReadOutcome) => void;
  readonly timer: NodeJS.Timeout;
  /** Set once the leader confirmed the read: serve when applied reaches it. */
  index: number | undefined;
}

/** What the driver reports for metrics (apps/node feeds prom-client from it). */
export interface DriverMetrics {
  /** A leader became known after `seconds` without one (or since start). */
  leaderFound?(seconds: number): void;
  /** The known leader changed from one node to another. */
  leaderChanged?(): void;
  proposalCommitted?(): void;
  proposalFailed?(reason: "lost" | "timeout" | "not_leader" | "overloaded"): void;
  /** A snapshot was taken and the log compacted, in `seconds`. */
  snapshotTaken?(seconds: number): void;
  /** A membership change committed and was applied here. */
  membershipChanged?(): void;
  /** The disk became full (true: writes refused, the node paused) or took writes again (false). */
  storageFull?(full: boolean): void;
  /** A durable write took `seconds`, past syncStallMs. */
  storageStalled?(seconds: number): void;
}

/**
 * A live view of the driver's work (apps/node/src/ui feeds GET /events from it). Cheap when
 * nobody watches: messageSent is called only while `watching` is true, and the driver reads
 * that flag once per batch of messages, not once per message.
 */
export interface DriverObserver {
  /** True while someone wants messageSent; a plain field, read on the hot path. */
  readonly watching: boolean;
  /** A Ready was carried out completely (persisted, sent, applied, advanced). */
  readyHandled(): void;
  /** A message was handed to the transport (only while `watching`). */
  messageSent(message: Message): void;
}

export interface DriverOptions {
  readonly node: RaftNode;
  readonly storage: Storage;
  readonly transport: PeerTransport;
  readonly kv: KvStateMachine;
  readonly tickMs: number;
  readonly logger: PinoLogger;
  readonly maxPending: number;
  readonly requestTimeoutMs: number;
  /** A write that could not be made durable: the node must stop rather than acknowledge it. */
  readonly onFatal: (error: unknown) => void;
  /** When to snapshot the state machine and compact the log (default: never). */
  readonly snapshot?: SnapshotPolicy;
  readonly metrics?: DriverMetrics;
  /** Optional: told after each Ready and, while it watches, of each message sent. */
  readonly observer?: DriverObserver;
  /**
   * The configuration changed: appended (`committed` false: connect to new members now) or
   * committed and applied (`committed` true: members it no longer has may be forgotten).
   */
  readonly onMembership?: (membership: Membership, committed: boolean) => void;
  /** With a full disk, how often to try the write again (default 1000 ms). */
  readonly diskFullRetryMs?: number;
  /**
   * A leader whose durable write takes longer than this hands leadership over (default: never).
   * apps/node passes the election timeout: a leader whose disk stalls that long commits nothing
   * meanwhile, and its followers would rather follow a node whose disk works.
   */
  readonly syncStallMs?: number;
}

/** The follower voter whose log the leader knows to be most complete: the one to hand over to. */
function mostUpToDateVoter(st: NodeStatus): number | undefined {
  return st.peers.filter((p) => p.voter).sort((a, b) => b.match - a.match)[0]?.id;
}

/** SQLite's "database or disk is full" (as storage-sqlite reports it), or ENOSPC. */
function isDiskFull(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const o = e as { sqliteCode?: unknown; code?: unknown };
  return o.sqliteCode === "SQLITE_FULL" || o.code === "SQLITE_FULL" || o.code === "ENOSPC";
}

/**
 * Drives a RaftNode: ticks from a timer, messages from the transport, and each Ready carried
 * out in order (persist in one transaction, send, apply, answer clients, advance). Client
 * requests wait here for their entry to apply or their read to be confirmed.
 */
export class RaftDriver {
  private readonly writes = new Map<number, PendingWrite>();
  private readonly confChanges = new Map<number, PendingConfChange>();
  /** A Ready the full disk refused, written again on a timer (see persistReady()). */
  private blocked: { rd: Ready; sendFirst: boolean; timer: NodeJS.Timeout } | undefined;
  private readonly diskFullRetryMs: number;
  /** A write stalled past syncStallMs while leading: hand over once the Ready is done. */
  private handOverAfterReady = false;
  /** The log is compacted up to here, a slice per turn (see compactStep()). */
  private compactTarget = 0;
  private readonly reads = new Map<string, PendingRead>();
  /**
   * Confirmed reads waiting for the state machine to reach their index, in confirmation order.
   * Read indexes are commit indexes, which never decrease, so the queue is sorted by index and
   * releasing looks only at its head.
   */
  private readonly confirmed: string[] = [];
  private nextReadId = 0;
  private timer: NodeJS.Timeout | undefined;
  /** A Ready is due at the end of this event-loop turn (see schedule()). */
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;
  private lastRole: string | undefined;
  private lastLeader = 0;
  /** The last leader known, even while none is: to count changes of leader. */
  private lastKnownLeader = 0;
  /** When this node last had no leader (or started): to time elections. */
  private leaderLostAt: number | undefined = performance.now();
  /** Commit index found on disk at start: once applied reaches it, the state is rebuilt. */
  private readonly recoveredCommit: number;
  private readonly startedAt = performance.now();
  private rebuilt = false;

  constructor(private readonly o: DriverOptions) {
    this.diskFullRetryMs = o.diskFullRetryMs ?? 1000;
    this.recoveredCommit = o.storage.hardState().commit;
    this.rebuilt = this.recoveredCommit === 0;
  }

  start(): void {
    this.timer = setInterval(() => this.guard(() => this.o.node.tick()), this.o.tickMs);
    this.guard();
  }

  /**
   * Give the core one input and carry out what follows. The core throws only on a broken
   * invariant (for example a leader claiming commits past this node's durable log, which means
   * this node lost data): continuing could violate safety, so the node stops.
   */
  private guard(input?: () => void): void {
    if (this.stopped || this.blocked !== undefined) return; // input is dropped while the disk is full
    try {
      input?.();
      this.process();
    } catch (e) {
      this.halt();
      this.o.onFatal(e);
    }
  }

  /**
   * Carry out the Ready at the end of this event-loop turn rather than now. Every proposal, read
   * and message that arrives in the same turn (the HTTP requests and peer frames one poll of
   * the sockets delivers) then shares one Ready: one transaction and fsync, and one
   * AppendEntries per follower for all of them, instead of one of each per request.
   */
  private schedule(): void {
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.guard();
    });
  }

  /** Give the core one input now and carry out what follows at the end of the turn. */
  private input(fn: () => void): void {
    if (this.stopped || this.blocked !== undefined) return;
    try {
      fn();
    } catch (e) {
      this.halt();
      this.o.onFatal(e);
      return;
    }
    this.schedule();
  }

  private halt(): void {
    this.stopped = true;
    if (this.blocked !== undefined) clearTimeout(this.blocked.timer);
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  /** Stop ticking and answer every waiting request; the node stays readable for status. */
  stop(): void {
    this.halt();
    for (const [, w] of this.writes) this.settleWrite(w, { type: "timeout" });
    this.writes.clear();
    for (const [, r] of this.reads) this.settleRead(r, { type: "timeout" });
    this.reads.clear();
    for (const [, c] of this.confChanges) this.settleConfChange(c, { type: "timeout" });
    this.confChanges.clear();
    this.confirmed.length = 0;
  }

  receive(message: Message): void {
    this.input(() => this.o.node.step(message));
  }

  status(): NodeStatus {
    return this.o.node.status();
  }

  get pending(): number {
    return this.writes.size + this.reads.size;
  }

  /** Replicate a command; resolves once it is applied (or cannot be). */
  write(command: KvCommand): Promise<WriteOutcome> {
    if (this.blocked !== undefined) return Promise.resolve({ type: "storage-full" });
    if (this.stopped || this.pending >= this.o.maxPending) {
      this.o.metrics?.proposalFailed?.("overloaded");
      return Promise.resolve({ type: "overloaded" });
    }
    const r = this.o.node.propose(encodeCommand(command));
    if (!r.ok) {
      this.o.metrics?.proposalFailed?.("not_leader");
      const e = r.error;
      switch (e.type) {
        case "NotLeader":
          return Promise.resolve({ type: "not-leader", leaderId: e.leaderId });
        case "TransferInProgress":
          return Promise.resolve({ type: "transferring", to: e.to });
      }
    }
    const { index, term } = r.value;
    const outcome = new Promise<WriteOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.writes.delete(index);
        this.o.metrics?.proposalFailed?.("timeout");
        resolve({ type: "timeout" });
      }, this.o.requestTimeoutMs);
      this.writes.set(index, { term, resolve, timer });
    });
    this.schedule();
    return outcome;
  }

  /**
   * Hand leadership to node `to` (or, without one, to the follower whose log is most complete)
   * and wait, bounded by `timeoutMs`, until this node has stepped down. Resolves to the outcome.
   */
  async transferLeadership(to: number | undefined, timeoutMs: number): Promise<TransferOutcome> {
    if (this.stopped) return { type: "failed", reason: "the node is stopping" };
    if (this.blocked !== undefined) return { type: "failed", reason: "this node's disk is full" };
    const st = this.o.node.status();
    if (st.role !== "leader") return { type: "not-leader", leaderId: st.leaderId === 0 ? undefined : st.leaderId };
    const target = to ?? mostUpToDateVoter(st);
    if (target === undefined) return { type: "failed", reason: "this cluster has no other voter to hand over to" };
    const result = this.o.node.transferLeadership(target);
    this.schedule(); // the TimeoutNow or the catch-up append goes out at the end of the turn
    if (!result.ok) {
      const e = result.error;
      switch (e.type) {
        case "NotLeader":
          return { type: "not-leader", leaderId: e.leaderId };
        case "BadTransferTarget":
          return { type: "bad-target", to: e.to };
      }
    }
    this.o.logger.info({ to: target }, "handing leadership over");
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline && !this.stopped) {
      const now = this.o.node.status();
      if (now.role !== "leader") return { type: "done", to: target, leaderId: now.leaderId === 0 ? undefined : now.leaderId, term: now.term };
      if (now.transferringTo !== target) break; // abandoned or replaced
      await new Promise((r) => setTimeout(r, this.o.tickMs));
    }
    return { type: "failed", reason: `node ${target} did not take over within ${timeoutMs} ms` };
  }

  /**
   * Propose one membership change (this node must lead) and wait, bounded by the request
   * timeout, until it is committed and applied here.
   */
  changeMembership(change: ConfChange): Promise<ConfChangeOutcome> {
    if (this.stopped) return Promise.resolve({ type: "busy", reason: "the node is stopping" });
    if (this.blocked !== undefined) return Promise.resolve({ type: "busy", reason: "this node's disk is full" });
    const r = this.o.node.proposeConfChange(change);
    if (!r.ok) {
      const e = r.error;
      switch (e.type) {
        case "NotLeader":
          return Promise.resolve({ type: "not-leader", leaderId: e.leaderId });
        case "TransferInProgress":
          return Promise.resolve({ type: "busy", reason: `this leader is handing over to node ${e.to}` });
        case "ConfChangePending":
          return Promise.resolve({ type: "busy", reason: e.reason });
        case "BadConfChange":
          return Promise.resolve({ type: "rejected", reason: e.reason });
      }
    }
    const { index, term } = r.value;
    this.o.logger.info({ change, index }, "membership change proposed");
    const outcome = new Promise<ConfChangeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.confChanges.delete(index);
        resolve({ type: "timeout" });
      }, this.o.requestTimeoutMs);
      this.confChanges.set(index, { term, resolve, timer });
    });
    this.schedule();
    return outcome;
  }

  /**
   * Wait until a linearizable read may be served: the leader has confirmed with a majority that
   * it still leads (ReadIndex) and this node has applied up to the commit index of that moment.
   */
  read(): Promise<ReadOutcome> {
    if (this.blocked !== undefined) return Promise.resolve({ type: "storage-full" });
    if (this.stopped || this.pending >= this.o.maxPending) return Promise.resolve({ type: "overloaded" });
    const ctx = `r${++this.nextReadId}`;
    const r = this.o.node.readIndex(ctx);
    if (!r.ok) return Promise.resolve({ type: "not-leader", leaderId: r.error.leaderId });
    const outcome = new Promise<ReadOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.reads.delete(ctx);
        resolve({ type: "timeout" });
      }, this.o.requestTimeoutMs);
      this.reads.set(ctx, { resolve, timer, index: undefined });
    });
    this.schedule();
    return outcome;
  }

  /** Carry out every Ready the node has. */
  private process(): void {
    const node = this.o.node;
    while (this.blocked === undefined && node.hasReady()) {
      const rd = node.ready();
      // `messages` may leave before the write. When there are entries to write (an fsync), a
      // leader's appends go out first, onto the wire, so followers write in parallel with it.
      const sendFirst = rd.entries.length > 0;
      if (sendFirst) {
        for (const m of rd.messages) this.o.transport.send(m);
        this.o.transport.flush?.();
        if (this.o.observer?.watching === true) this.observeSent(rd.messages);
      }
      if (!this.persistReady(rd, sendFirst)) return;
      this.finishReady(rd, sendFirst);
    }
    const policy = this.o.snapshot;
    try {
      if (policy !== undefined && this.o.kv.applied - (this.o.storage.snapshotMeta()?.index ?? 0) >= policy.everyEntries) {
        this.takeSnapshot();
      }
      this.compactStep();
    } catch (e) {
      // Housekeeping: with a full disk it waits for a later turn; anything else is fatal.
      if (!isDiskFull(e)) throw e;
      this.o.logger.warn({ err: e }, "no room on disk for a snapshot or compaction; will try again");
    }
  }

  /**
   * Compact the log toward compactTarget a slice at a time, one slice per event-loop turn.
   * Deleting a whole snapshot's worth of entries at once (100,000 by default) is one SQLite
   * transaction of a few hundred milliseconds, during which the node sends no heartbeats: as
   * long as an election timeout. In slices, heartbeats and requests go on in between.
   */
  private compactStep(): void {
    const first = this.o.storage.firstIndex();
    if (this.compactTarget <= first - 1) return;
    this.o.storage.compact(Math.min(this.compactTarget, first - 1 + COMPACT_SLICE_ENTRIES));
    if (this.compactTarget > this.o.storage.firstIndex() - 1) this.schedule();
  }

  /**
   * Make the Ready durable. A full disk is not fatal: the Ready is kept and written again every
   * diskFullRetryMs until space returns, and meanwhile the node takes no input at all (the
   * core cannot take any while a Ready is out), so it sends nothing that depended on the write,
   * answers clients that the disk is full, and, if it leads, stops heartbeating, so the others
   * elect a leader whose disk works. Any other write failure stops the node. Returns whether
   * the Ready is durable.
   */
  private persistReady(rd: Ready, sendFirst: boolean): boolean {
    try {
      if (rd.snapshot !== undefined) {
        // The leader's snapshot replaces this node's state: load it (which checks it), then
        // save it (it replaces the log); the entries of this Ready follow it.
        this.o.kv.restore(rd.snapshot.data, rd.snapshot.meta.index);
        this.o.storage.saveSnapshot(rd.snapshot);
        this.o.logger.info({ index: rd.snapshot.meta.index, term: rd.snapshot.meta.term, bytes: rd.snapshot.data.length }, "installed the leader's snapshot");
        const m = rd.snapshot.meta.membership;
        if (m !== undefined) this.o.onMembership?.(m, true); // a snapshot holds only committed state
      }
      const started = performance.now();
      this.o.storage.persist(rd.hardState, rd.entries);
      this.checkStall(performance.now() - started);
    } catch (e) {
      if (!isDiskFull(e)) {
        // Nothing that needed this write may leave the node: no vote, no acknowledgement, no answer.
        this.halt();
        this.o.onFatal(e);
        return false;
      }
      if (this.blocked === undefined) {
        this.o.logger.error({ err: e, retryMs: this.diskFullRetryMs }, "the disk is full: this node takes no input and acknowledges nothing until a write succeeds again");
        this.o.metrics?.storageFull?.(true);
      }
      this.blocked = { rd, sendFirst, timer: setTimeout(() => this.retryBlocked(), this.diskFullRetryMs) };
      return false;
    }
    return true;
  }

  /**
   * A write took `ms`. Past syncStallMs, report it, and if this node leads, hand leadership to
   * the most up-to-date follower once this Ready is done (a disk this slow holds every commit).
   */
  private checkStall(ms: number): void {
    const limit = this.o.syncStallMs;
    if (limit === undefined || ms <= limit) return;
    this.o.metrics?.storageStalled?.(ms / 1000);
    const leading = this.o.node.status().role === "leader";
    this.o.logger.warn({ ms: Math.round(ms), limitMs: limit, leading }, leading ? "a durable write stalled: handing leadership over" : "a durable write stalled");
    if (leading) this.handOverAfterReady = true;
  }

  /** Write the kept Ready again; once it is durable, carry on as if nothing had happened. */
  private retryBlocked(): void {
    const b = this.blocked;
    if (b === undefined || this.stopped) return;
    this.blocked = undefined;
    if (!this.persistReady(b.rd, b.sendFirst)) return;
    this.o.logger.info("the disk takes writes again: resuming");
    this.o.metrics?.storageFull?.(false);
    this.finishReady(b.rd, b.sendFirst);
    this.guard();
  }

  /** The Ready is durable: send what waited for it, apply, answer, advance. */
  private finishReady(rd: Ready, sendFirst: boolean): void {
    const node = this.o.node;
    // New members must be reachable before the next messages are queued for them.
    if (rd.membership !== undefined) {
      this.o.logger.info({ membership: describeMembership(rd.membership) }, "configuration in force");
      this.o.onMembership?.(rd.membership, false);
    }
    // Acknowledgements first: a leader is waiting for them to commit.
    for (const m of rd.persistedMessages) this.o.transport.send(m);
    // Applying answers waiting clients; their replies are queued ahead of the messages below
    // (a leader's commit notice to followers can wait a moment, a client should not).
    this.apply(rd);
    if (!sendFirst) for (const m of rd.messages) this.o.transport.send(m);
    const observer = this.o.observer;
    if (observer?.watching === true) {
      this.observeSent(rd.persistedMessages);
      if (!sendFirst) this.observeSent(rd.messages);
    }
    for (const rs of rd.readStates) {
      const read = this.reads.get(rs.ctx);
      if (read !== undefined) {
        read.index = rs.index;
        this.confirmed.push(rs.ctx);
      }
    }
    this.releaseReads();
    node.advance();
    if (rd.softState !== undefined) this.onSoftState();
    if (this.handOverAfterReady) {
      this.handOverAfterReady = false;
      const st = node.status();
      const target = mostUpToDateVoter(st);
      if (st.role === "leader" && st.transferringTo === 0 && target !== undefined) node.transferLeadership(target);
    }
    observer?.readyHandled();
  }

  private observeSent(messages: readonly Message[]): void {
    const observer = this.o.observer!;
    for (const m of messages) observer.messageSent(m);
  }

  /** The disk is full and a Ready waits to be written (see persistReady). */
  get storageFull(): boolean {
    return this.blocked !== undefined;
  }

  /** Snapshot now (POST /admin/snapshot); a storage failure stops the node, as any failed write does. */
  snapshotNow(): SnapshotMeta | undefined {
    try {
      return this.takeSnapshot();
    } catch (e) {
      this.halt();
      this.o.onFatal(e);
      return undefined;
    }
  }

  /** Index of the latest snapshot (0 when none). */
  snapshotIndex(): number {
    return this.o.storage.snapshotMeta()?.index ?? 0;
  }

  /**
   * Snapshot the state machine at its applied index and compact the log behind it, keeping
   * `keepEntries`. Returns the latest snapshot's index and term (the existing one when nothing
   * was applied since). Synchronous: it blocks the event loop for the time it takes to encode
   * and write the state, which is why it runs every `everyEntries`, not on every Ready.
   */
  takeSnapshot(): SnapshotMeta | undefined {
    const applied = this.o.kv.applied;
    const latest = this.o.storage.snapshotMeta();
    if (applied === 0 || (latest !== undefined && latest.index >= applied)) return latest;
    const term = this.o.storage.term(applied);
    if (term === undefined) throw new Error(`no term for the applied index ${applied}`);
    const started = performance.now();
    const data = this.o.kv.snapshot();
    this.o.storage.saveSnapshot({ meta: { index: applied, term, membership: this.o.node.membershipAt(applied) }, data });
    const keep = this.o.snapshot?.keepEntries ?? 0;
    this.compactTarget = Math.max(this.compactTarget, applied - keep);
    this.compactStep();
    const seconds = (performance.now() - started) / 1000;
    this.o.metrics?.snapshotTaken?.(seconds);
    this.o.logger.info(
      { index: applied, term, bytes: data.length, compactTo: this.compactTarget, ms: Math.round(seconds * 1000) },
      "snapshot taken; compacting the log behind it",
    );
    return { index: applied, term };
  }

  private apply(rd: Ready): void {
    for (const e of rd.committedEntries) {
      let result: KvResult | undefined;
      if (e.type === "normal") result = this.o.kv.apply(e.index, e.data);
      else this.o.kv.skip(e.index);
      if (e.type === "config") this.applyConfig(e.index, e.term, decodeMembership(e.data));
      const w = this.writes.get(e.index);
      if (w !== undefined) {
        this.writes.delete(e.index);
        if (w.term === e.term && result !== undefined) {
          this.o.metrics?.proposalCommitted?.();
          this.settleWrite(w, { type: "applied", result });
        } else {
          this.o.metrics?.proposalFailed?.("lost");
          this.settleWrite(w, { type: "lost" });
        }
      }
    }
    if (!this.rebuilt && this.o.kv.applied >= this.recoveredCommit) {
      this.rebuilt = true;
      this.o.logger.info(
        { entries: this.recoveredCommit, keys: this.o.kv.size, ms: Math.round(performance.now() - this.startedAt) },
        "state rebuilt from the log on disk",
      );
    }
  }

  /** A configuration entry committed: tell the node, and answer the change's proposer if it waits here. */
  private applyConfig(index: number, term: number, membership: Membership): void {
    this.o.logger.info({ index, membership: describeMembership(membership) }, "configuration committed");
    this.o.metrics?.membershipChanged?.();
    this.o.onMembership?.(membership, true);
    const c = this.confChanges.get(index);
    if (c === undefined) return;
    this.confChanges.delete(index);
    this.settleConfChange(c, c.term === term ? { type: "done", index, membership } : { type: "lost" });
  }

  private releaseReads(): void {
    while (this.confirmed.length > 0) {
      const ctx = this.confirmed[0]!;
      const r = this.reads.get(ctx);
      if (r !== undefined && this.o.kv.applied < r.index!) break;
      this.confirmed.shift();
      if (r === undefined) continue; // timed out meanwhile
      this.reads.delete(ctx);
      this.settleRead(r, { type: "ready" });
    }
  }

  private onSoftState(): void {
    const st = this.o.node.status();
    if (st.role !== this.lastRole) {
      this.o.logger.info({ role: st.role, term: st.term, leader: st.leaderId || null }, `role: ${st.role}`);
      this.lastRole = st.role;
    }
    if (st.leaderId !== this.lastLeader) {
      if (st.leaderId !== 0) {
        this.o.logger.info({ leader: st.leaderId, term: st.term }, `leader is node ${st.leaderId}`);
        if (this.leaderLostAt !== undefined) this.o.metrics?.leaderFound?.((performance.now() - this.leaderLostAt) / 1000);
        this.leaderLostAt = undefined;
        if (this.lastKnownLeader !== 0 && this.lastKnownLeader !== st.leaderId) this.o.metrics?.leaderChanged?.();
        this.lastKnownLeader = st.leaderId;
      } else {
        this.o.logger.info({ term: st.term }, "no leader known");
        this.leaderLostAt = performance.now();
      }
      this.lastLeader = st.leaderId;
    }
    if (st.role !== "leader") {
      // Reads not yet confirmed can no longer be: the client retries on the new leader.
      for (const [ctx, r] of this.reads) {
        if (r.index === undefined) {
          this.reads.delete(ctx);
          this.settleRead(r, { type: "not-leader", leaderId: st.leaderId === 0 ? undefined : st.leaderId });
        }
      }
    }
  }

  private settleWrite(w: PendingWrite, outcome: WriteOutcome): void {
    clearTimeout(w.timer);
    w.resolve(outcome);
  }

  private settleConfChange(c: PendingConfChange, outcome: ConfChangeOutcome): void {
    clearTimeout(c.timer);
    c.resolve(outcome);
  }

  private settleRead(r: PendingRead, outcome: ReadOutcome): void {
    clearTimeout(r.timer);
    r.resolve(outcome);
  }
}
