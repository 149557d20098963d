import type { NodeStatus, RaftObserver, StepDownReason } from "@raft-ts/core";
import type { PersistStats } from "@raft-ts/storage-sqlite";
import type { DropReason, HandshakeFailure, TransportMetrics } from "@raft-ts/transport-tcp";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { DriverMetrics } from "../raft-driver.js";
import type { EventStreamMetrics } from "../ui/event-stream.js";
import { METRICS, type MetricSpec } from "./catalog.js";

const ROLES = ["follower", "pre-candidate", "candidate", "leader"] as const;

// Known label values, exported at 0 from the start so that rates and sums over them have series
// before the first event (Prometheus' advice for enumerations). Written as records so the
// compiler insists on every member of each union.
const STEP_DOWN_REASONS = Object.keys({ newer_term: 0, lost_quorum: 0, removed: 0 } satisfies Record<StepDownReason, 0>);
const PROPOSAL_FAILURES = Object.keys({ lost: 0, timeout: 0, not_leader: 0, overloaded: 0 } satisfies Record<
  Parameters<NonNullable<DriverMetrics["proposalFailed"]>>[0],
  0
>);
const DROP_REASONS = Object.keys({
  queue_full: 0,
  oversized: 0,
  unknown_peer: 0,
  shutdown: 0,
  wrong_sender: 0,
  wrong_recipient: 0,
} satisfies Record<DropReason, 0>);
const HANDSHAKE_FAILURES = Object.keys({
  version: 0,
  cluster_id: 0,
  unknown_node: 0,
  wrong_node: 0,
  auth: 0,
  malformed: 0,
  unexpected_frame: 0,
  frame_too_large: 0,
  frame_too_small: 0,
  timeout: 0,
  closed: 0,
  tls: 0,
  busy: 0,
} satisfies Record<HandshakeFailure, 0>);

type Labels<S extends MetricSpec> = Partial<Record<S["labels"][number], string | number>>;

/**
 * The node's one prom-client Registry and the hooks that feed it: a RaftObserver for the core,
 * TransportMetrics for the transport, onPersist for storage, and calls from the driver and the
 * HTTP server. State gauges (term, role, indexes, per-peer match and lag) are read from the
 * node's status at scrape time, so they are never stale.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();
  private readonly histograms = new Map<string, Histogram>();
  /** Heartbeats in flight per peer: when each left, to time its answer. */
  private readonly heartbeatSentAt = new Map<number, number>();

  constructor(
    nodeId: number,
    clusterId: string,
    peers: readonly number[],
    private readonly status: () => { node: NodeStatus; logEntries: number; snapshotIndex: number },
  ) {
    this.registry.setDefaultLabels({ node: String(nodeId), cluster: clusterId });
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges with a `_total` suffix, which Prometheus reserves for
    // counters (promtool check metrics rejects them); leave them out.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
      this.registry.removeSingleMetric(name);
    }
    for (const spec of Object.values(METRICS) as MetricSpec[]) this.register(spec);
    this.initialiseLabels(peers);
  }

  private initialiseLabels(peers: readonly number[]): void {
    this.set(METRICS.storageFull, 0);
    this.set(METRICS.eventClients, 0);
    this.inc(METRICS.eventClientsDropped, {}, 0);
    for (const kind of ["pre-vote", "vote"]) this.inc(METRICS.electionsStarted, { kind }, 0);
    for (const reason of STEP_DOWN_REASONS) this.inc(METRICS.stepDowns, { reason }, 0);
    for (const reason of PROPOSAL_FAILURES) this.inc(METRICS.proposalsFailed, { reason }, 0);
    for (const reason of HANDSHAKE_FAILURES) this.inc(METRICS.transportHandshakeFailures, { reason }, 0);
    for (const peer of peers) {
      for (const spec of [
        METRICS.peerAppendMessages,
        METRICS.peerAppendEntries,
        METRICS.peerRejections,
        METRICS.transportBytesSent,
        METRICS.transportBytesReceived,
        METRICS.transportFramesSent,
        METRICS.transportFramesReceived,
        METRICS.snapshotBytesSent,
      ]) {
        this.inc(spec, { peer }, 0);
      }
      for (const reason of DROP_REASONS) this.inc(METRICS.transportDrops, { peer, reason }, 0);
      for (const direction of ["inbound", "outbound"]) this.set(METRICS.transportConnected, 0, { peer, direction });
      this.histograms.get(METRICS.peerRtt.name)!.zero({ peer });
    }
  }

  private register(spec: MetricSpec): void {
    const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [this.registry] };
    switch (spec.type) {
      case "counter":
        this.counters.set(spec.name, new Counter(common));
        break;
      case "histogram":
        this.histograms.set(spec.name, new Histogram({ ...common, buckets: [...(spec.buckets ?? [])] }));
        break;
      case "gauge":
        this.gauges.set(spec.name, new Gauge(common));
        break;
    }
  }

  inc<S extends MetricSpec>(spec: S, labels: Labels<S> = {}, by = 1): void {
    this.counters.get(spec.name)!.inc(labels as Record<string, string | number>, by);
  }

  observe<S extends MetricSpec>(spec: S, value: number, labels: Labels<S> = {}): void {
    this.histograms.get(spec.name)!.observe(labels as Record<string, string | number>, value);
  }

  private set<S extends MetricSpec>(spec: S, value: number, labels: Labels<S> = {}): void {
    this.gauges.get(spec.name)!.set(labels as Record<string, string | number>, value);
  }

  /** The Prometheus text exposition, with state gauges refreshed first. */
  async scrape(): Promise<string> {
    this.refreshState();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private refreshState(): void {
    const { node: st, logEntries, snapshotIndex } = this.status();
    this.set(METRICS.term, st.term);
    for (const role of ROLES) this.set(METRICS.role, st.role === role ? 1 : 0, { role });
    this.set(METRICS.leaderKnown, st.leaderId === 0 ? 0 : 1);
    this.set(METRICS.leaderId, st.leaderId);
    this.set(METRICS.commitIndex, st.commit);
    this.set(METRICS.appliedIndex, st.applied);
    this.set(METRICS.lastLogIndex, st.lastIndex);
    this.set(METRICS.snapshotIndex, snapshotIndex);
    this.set(METRICS.storageLogEntries, logEntries);
    for (const role of ["voter", "learner"] as const) {
      this.set(METRICS.clusterMembers, st.membership.members.filter((m) => m.role === role).length, { role });
    }
    // Per-peer replication is the leader's view; a follower reports none.
    this.gauges.get(METRICS.peerMatchIndex.name)!.reset();
    this.gauges.get(METRICS.peerLag.name)!.reset();
    for (const p of st.peers) {
      this.set(METRICS.peerMatchIndex, p.match, { peer: p.id });
      this.set(METRICS.peerLag, Math.max(0, st.lastIndex - p.match), { peer: p.id });
    }
  }

  /** Protocol events from the core. */
  raftObserver(): RaftObserver {
    return {
      electionStarted: (kind) => this.inc(METRICS.electionsStarted, { kind }),
      electionWon: () => this.inc(METRICS.electionsWon),
      steppedDown: (reason) => this.inc(METRICS.stepDowns, { reason }),
      appendSent: (peer, entries) => {
        this.inc(METRICS.peerAppendMessages, { peer });
        if (entries > 0) this.inc(METRICS.peerAppendEntries, { peer }, entries);
      },
      appendRejected: (peer) => this.inc(METRICS.peerRejections, { peer }),
      heartbeatSent: (peer) => {
        // Time the oldest unanswered heartbeat: an answer then measures at least one round trip.
        if (!this.heartbeatSentAt.has(peer)) this.heartbeatSentAt.set(peer, performance.now());
      },
      heartbeatAnswered: (peer) => {
        const sent = this.heartbeatSentAt.get(peer);
        if (sent === undefined) return;
        this.heartbeatSentAt.delete(peer);
        this.observe(METRICS.peerRtt, (performance.now() - sent) / 1000, { peer });
      },
      readIndexRequested: () => this.inc(METRICS.readIndexRequests),
      snapshotChunkSent: (peer, bytes) => this.inc(METRICS.snapshotBytesSent, { peer }, bytes),
      snapshotReceived: () => this.inc(METRICS.snapshotsReceived),
      leadershipTransferStarted: () => this.inc(METRICS.leadershipTransfers),
    };
  }

  /** Transport hooks (no prom-client in the transport itself). */
  transportMetrics(): TransportMetrics {
    const peerLabel = (peer: number | undefined) => (peer === undefined ? "unauthenticated" : peer);
    return {
      bytesSent: (peer, bytes) => this.inc(METRICS.transportBytesSent, { peer: peerLabel(peer) }, bytes),
      bytesReceived: (peer, bytes) => this.inc(METRICS.transportBytesReceived, { peer: peerLabel(peer) }, bytes),
      framesSent: (peer, frames) => this.inc(METRICS.transportFramesSent, { peer: peerLabel(peer) }, frames),
      framesReceived: (peer, frames) => this.inc(METRICS.transportFramesReceived, { peer }, frames),
      messageDropped: (peer, reason) => this.inc(METRICS.transportDrops, { peer, reason }),
      connectionUp: (peer, direction) => this.set(METRICS.transportConnected, 1, { peer, direction }),
      connectionDown: (peer, direction) => this.set(METRICS.transportConnected, 0, { peer, direction }),
      handshakeFailed: (_peer, _direction, reason) => this.inc(METRICS.transportHandshakeFailures, { reason }),
    };
  }

  /** Leadership and client writes, as the driver sees them. */
  driverMetrics(): DriverMetrics {
    return {
      leaderFound: (seconds) => this.observe(METRICS.electionDuration, seconds),
      leaderChanged: () => this.inc(METRICS.leaderChanges),
      proposalCommitted: () => this.inc(METRICS.proposalsCommitted),
      proposalFailed: (reason) => this.inc(METRICS.proposalsFailed, { reason }),
      snapshotTaken: (seconds) => {
        this.inc(METRICS.snapshotsTaken);
        this.observe(METRICS.snapshotDuration, seconds);
      },
      membershipChanged: () => this.inc(METRICS.membershipChanges),
      storageFull: (full) => this.set(METRICS.storageFull, full ? 1 : 0),
      storageStalled: () => this.inc(METRICS.storageStalls),
    };
  }

  /** HTTP: one call per answered request. */
  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.observe(METRICS.httpDuration, seconds, { route, method, status });
  }

  /** The live view's event streams (see ui/event-stream.ts). */
  eventStreamMetrics(): EventStreamMetrics {
    return {
      clients: (n) => this.set(METRICS.eventClients, n),
      dropped: () => this.inc(METRICS.eventClientsDropped),
    };
  }

  /** Storage: one call per durable write. */
  storagePersisted(stats: PersistStats): void {
    this.observe(METRICS.storageSync, stats.seconds);
    this.observe(METRICS.storageBatchEntries, stats.entries);
    this.observe(METRICS.storageBatchBytes, stats.bytes);
  }
}
