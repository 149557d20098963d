import type { LogStorage, Message, NodeStatus } from "@raft-ts/core";
import type { Logger as PinoLogger } from "pino";
import { url, type ClusterConfig } from "../config.js";
import type { AddressBook } from "../membership/address-book.js";
import type { DriverObserver } from "../raft-driver.js";
import { entryText } from "./entry-text.js";
import { sseFrame, type EventFeed } from "./event-stream.js";
import { MessageWindow } from "./message-window.js";

/** The event stream's protocol version (docs/ui.md). */
export const PROTOCOL_VERSION = 1;
/** Events are built at most this often, whatever the write rate. */
export const FLUSH_MS = 100;
/** Log entries a state event shows, the newest. */
export const LOG_TAIL = 24;

export interface UiEventHubOptions {
  readonly id: number;
  readonly config: ClusterConfig;
  /** The `pnpm start` launcher that started this node, or null. */
  readonly launcher: string | null;
  /** The node's status (RaftNode.status, through the driver). */
  readonly status: () => NodeStatus;
  /** Whether the disk is full (RaftDriver.storageFull). */
  readonly storageFull: () => boolean;
  /** The log, for the tail each state shows. */
  readonly storage: LogStorage;
  readonly book: AddressBook;
  readonly logger: PinoLogger;
  /** The wall clock (ms since the epoch); a test may fix it. */
  readonly now?: () => number;
}

export interface LogTailEntry {
  readonly index: number;
  readonly term: number;
  readonly type: "normal" | "noop" | "config";
  readonly text: string;
}

/** The `state` event (docs/ui.md), as built. */
export interface UiState {
  readonly id: number;
  readonly at: number;
  readonly role: "follower" | "candidate" | "leader";
  readonly term: number;
  readonly vote: number | null;
  readonly leader: number | null;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly election: { readonly elapsedMs: number; readonly timeoutMs: number } | null;
  readonly peers: readonly { id: number; voter: boolean; match: number; next: number; state: string; active: boolean }[];
  readonly members: readonly { id: number; role: string; http: string | null }[];
  readonly storageFull: boolean;
  readonly log: readonly LogTailEntry[];
}

/**
 * The live view's events for one node (docs/ui.md): fed by the driver (a DriverObserver),
 * read by GET /events (an EventFeed). While no client is connected it does nothing at all: the
 * driver does not even hand it messages. While some are, it builds events on a timer, at most
 * every FLUSH_MS: a `state` when anything the page shows changed, a `messages` when messages
 * left; each event is built once and the same text goes to every client.
 */
export class UiEventHub implements DriverObserver, EventFeed {
  /** Read by the driver before it hands over messages: true while a client is connected. */
  watching = false;
  private readonly subscribers = new Set<(frame: string) => void>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly window: MessageWindow;
  private readonly hello: string;
  /** A Ready was handled since the log tail was last read. */
  private logChanged = true;
  private tail: LogTailEntry[] = [];
  private tailRange = { lo: 0, hi: 0 };
  /** The last state every client was sent: what a change is measured against. */
  private sent: { key: string; at: number; elapsedMs: number | null } | undefined;
  /** The latest state frame built, to greet a new client without building another at once. */
  private latest: { frame: string; at: number } | undefined;
  private failing = false;

  constructor(private readonly o: UiEventHubOptions) {
    this.now = o.now ?? Date.now;
    this.window = new MessageWindow(this.now());
    const c = o.config;
    this.hello = sseFrame(
      "hello",
      JSON.stringify({
        v: PROTOCOL_VERSION,
        id: o.id,
        clusterId: c.clusterId,
        tickMs: c.tickMs,
        electionTimeoutMs: [c.electionTimeoutMs[0], c.electionTimeoutMs[1]],
        heartbeatMs: c.heartbeatMs,
        launcher: o.launcher,
      }),
    );
  }

  // ---- DriverObserver ----------------------------------------------------------------------

  readyHandled(): void {
    this.logChanged = true;
  }

  messageSent(message: Message): void {
    this.window.add(message, this.now);
  }

  // ---- EventFeed ---------------------------------------------------------------------------

  subscribe(send: (frame: string) => void): () => void {
    send(this.hello);
    const now = this.now();
    let frame = this.latest !== undefined && now - this.latest.at < FLUSH_MS ? this.latest.frame : undefined;
    if (frame === undefined) {
      const state = this.safely(() => this.buildState(now));
      if (state !== undefined) {
        frame = this.remember(state);
        // The first client has everything it was sent: changes are measured from there.
        if (this.subscribers.size === 0) this.changed(state);
      }
    }
    if (frame !== undefined) send(frame);
    this.subscribers.add(send);
    if (this.timer === undefined) {
      this.window.reset(now);
      this.watching = true;
      this.timer = setInterval(() => this.flush(), FLUSH_MS).unref();
    }
    return () => {
      this.subscribers.delete(send);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  /** Stop: no timer, no clients (the node is shutting down). */
  close(): void {
    this.subscribers.clear();
    this.stop();
  }

  private stop(): void {
    this.watching = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.window.reset(this.now());
    this.sent = undefined;
    this.latest = undefined;
  }

  // ---- events ------------------------------------------------------------------------------

  /** Every FLUSH_MS while a client is connected: send what changed. */
  private flush(): void {
    const now = this.now();
    const state = this.safely(() => this.buildState(now));
    if (state !== undefined && this.changed(state)) this.broadcast(this.remember(state));
    if (this.window.size > 0) {
      const { windowMs, sample, counts } = this.window.take(now);
      this.broadcast(sseFrame("messages", JSON.stringify({ id: this.o.id, at: now, windowMs, sample, counts })));
    }
  }

  private broadcast(frame: string): void {
    for (const send of this.subscribers) send(frame);
  }

  /** The frame of a state, kept as the latest. */
  private remember(state: UiState): string {
    const frame = sseFrame("state", JSON.stringify(state));
    this.latest = { frame, at: state.at };
    return frame;
  }

  /**
   * Whether `state` differs from the last one sent to every client in anything the page
   * shows, and if so, make it the new reference. The election timer counts as changed only
   * when it is not where the page, counting on from the last report, puts it (it restarted,
   * or ran slow or fast by more than two ticks): a running timer is not news.
   */
  private changed(state: UiState): boolean {
    const key = JSON.stringify({ ...state, at: 0, election: state.election === null ? null : { ...state.election, elapsedMs: 0 } });
    const elapsedMs = state.election?.elapsedMs ?? null;
    const prev = this.sent;
    let same = prev !== undefined && prev.key === key;
    if (same && elapsedMs !== null && prev!.elapsedMs !== null) {
      const expected = prev!.elapsedMs + (state.at - prev!.at);
      same = Math.abs(elapsedMs - expected) <= 2 * this.o.config.tickMs;
    }
    if (same) return false;
    this.sent = { key, at: state.at, elapsedMs };
    return true;
  }

  /** Run `fn`; a failure is logged (once until it works again), never thrown: the view must not stop the node. */
  private safely<T>(fn: () => T): T | undefined {
    try {
      const r = fn();
      this.failing = false;
      return r;
    } catch (e) {
      if (!this.failing) this.o.logger.warn({ err: e }, "live view: could not read the node's state");
      this.failing = true;
      return undefined;
    }
  }

  private buildState(now: number): UiState {
    const st = this.o.status();
    const tickMs = this.o.config.tickMs;
    const leading = st.role === "leader";
    const storage = this.o.storage;
    const firstIndex = storage.firstIndex();
    // The disk may hold less than the core's log while a full disk holds a write back.
    const lastStored = Math.min(st.lastIndex, storage.lastIndex());
    return {
      id: this.o.id,
      at: now,
      role: st.role === "pre-candidate" ? "candidate" : st.role,
      term: st.term,
      vote: st.vote === 0 ? null : st.vote,
      leader: st.leaderId === 0 ? null : st.leaderId,
      commit: st.commit,
      applied: st.applied,
      firstIndex,
      lastIndex: st.lastIndex,
      lastTerm: st.lastTerm,
      election: leading ? null : { elapsedMs: st.electionElapsed * tickMs, timeoutMs: st.electionTimeout * tickMs },
      peers: leading ? st.peers.map((p) => ({ id: p.id, voter: p.voter, match: p.match, next: p.next, state: p.state, active: p.recentActive })) : [],
      members: st.membership.members.map((m) => {
        const a = this.o.book.lookup(m.id);
        return { id: m.id, role: m.role, http: a === undefined ? null : url(a.http) };
      }),
      storageFull: this.o.storageFull(),
      log: this.logTail(firstIndex, lastStored),
    };
  }

  /**
   * The last LOG_TAIL entries of [first, last]. Read again only when a Ready was handled or the
   * range moved; an entry's text is worked out once (an index and term name one entry for
   * good), so a busy log costs at most LOG_TAIL new decodes per event, whatever the write rate.
   */
  private logTail(first: number, last: number): LogTailEntry[] {
    const lo = Math.max(first, last - LOG_TAIL + 1);
    const hi = last + 1;
    if (!this.logChanged && lo === this.tailRange.lo && hi === this.tailRange.hi) return this.tail;
    const known = new Map(this.tail.map((e) => [e.index, e]));
    const tail: LogTailEntry[] = [];
    for (let i = lo; i < hi; i++) {
      const term = this.o.storage.term(i);
      const had = known.get(i);
      if (had !== undefined && had.term === term) {
        tail.push(had);
        continue;
      }
      const e = this.o.storage.entries(i, i + 1, 0)[0]!;
      tail.push({ index: e.index, term: e.term, type: e.type, text: entryText(e) });
    }
    this.tail = tail;
    this.tailRange = { lo, hi };
    this.logChanged = false;
    return tail;
  }
}
