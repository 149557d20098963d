/**
 * Every metric a raft-ts node exports, in one place: the node registers them from here, and
 * the Grafana dashboards and alert rules are built from the same names, so a renamed metric
 * breaks the build instead of a panel. Names follow Prometheus conventions (base units,
 * `_seconds`, `_bytes`, `_total`). Every series also carries `node` and `cluster` labels (the
 * registry's default labels).
 */
export type MetricType = "gauge" | "counter" | "histogram";

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  /** Histogram buckets, in the metric's base unit. */
  readonly buckets?: readonly number[];
}

/** Loopback latencies run from tens of microseconds (RTT) to seconds (elections under faults). */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const ELECTION_BUCKETS = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];

function metric(name: string, type: MetricType, help: string, labels: readonly string[] = [], buckets?: readonly number[]): MetricSpec {
  return buckets === undefined ? { name, type, help, labels } : { name, type, help, labels, buckets };
}

export const METRICS = {
  // Raft state
  term: metric("raft_term", "gauge", "Current Raft term of this node."),
  role: metric("raft_role", "gauge", "1 for this node's current role, 0 for the others.", ["role"]),
  leaderKnown: metric("raft_leader_known", "gauge", "1 if this node knows a leader, else 0."),
  leaderId: metric("raft_leader_id", "gauge", "Id of the leader this node knows (0 if none)."),
  commitIndex: metric("raft_commit_index", "gauge", "Highest log index known committed."),
  appliedIndex: metric("raft_applied_index", "gauge", "Highest log index applied to the key-value state machine."),
  lastLogIndex: metric("raft_last_log_index", "gauge", "Index of the last entry in this node's log."),
  snapshotIndex: metric("raft_snapshot_index", "gauge", "Last index covered by this node's latest snapshot (0 if none)."),
  // Raft events
  electionsStarted: metric("raft_elections_started_total", "counter", "Elections this node started, by kind (pre-vote or vote).", ["kind"]),
  electionsWon: metric("raft_elections_won_total", "counter", "Elections this node won (it became leader)."),
  leaderChanges: metric("raft_leader_changes_total", "counter", "Times the leader this node knows changed to another known leader."),
  stepDowns: metric("raft_step_downs_total", "counter", "Times this node stopped being leader, by reason.", ["reason"]),
  proposalsCommitted: metric("raft_proposals_committed_total", "counter", "Client writes committed and applied through this node."),
  proposalsFailed: metric("raft_proposals_failed_total", "counter", "Client writes that did not commit through this node, by reason.", ["reason"]),
  readIndexRequests: metric("raft_read_index_requests_total", "counter", "Linearizable reads requested on this node (ReadIndex)."),
  electionDuration: metric(
    "raft_election_duration_seconds",
    "histogram",
    "Time from losing the leader (or starting) until a leader is known again.",
    [],
    ELECTION_BUCKETS,
  ),
  // Replication, as the leader sees each follower
  peerMatchIndex: metric("raft_peer_match_index", "gauge", "Highest index known replicated on the peer (leader's view).", ["peer"]),
  peerLag: metric("raft_peer_replication_lag_entries", "gauge", "Entries the peer is behind the leader's last index (leader's view).", ["peer"]),
  peerRtt: metric("raft_peer_rtt_seconds", "histogram", "Heartbeat round-trip time to the peer (leader's view).", ["peer"], LATENCY_BUCKETS),
  peerAppendMessages: metric("raft_peer_append_messages_sent_total", "counter", "AppendEntries messages sent to the peer.", ["peer"]),
  peerAppendEntries: metric("raft_peer_append_entries_sent_total", "counter", "Log entries sent to the peer in AppendEntries.", ["peer"]),
  peerRejections: metric("raft_peer_append_rejections_total", "counter", "AppendEntries the peer rejected (log mismatch).", ["peer"]),
  // Snapshots and leadership transfer
  snapshotsTaken: metric("raft_snapshots_taken_total", "counter", "Snapshots this node took of its state machine (then compacting its log)."),
  snapshotDuration: metric("raft_snapshot_duration_seconds", "histogram", "Time to encode, write and compact for one snapshot (the node pauses meanwhile).", [], LATENCY_BUCKETS),
  snapshotsReceived: metric("raft_snapshots_received_total", "counter", "Leader snapshots this node received whole and installed (it had fallen behind the compacted log)."),
  snapshotBytesSent: metric("raft_peer_snapshot_sent_bytes_total", "counter", "Snapshot bytes sent to the peer in InstallSnapshot chunks.", ["peer"]),
  leadershipTransfers: metric("raft_leadership_transfers_started_total", "counter", "Leadership transfers this node started as leader."),
  // Membership
  clusterMembers: metric("raft_cluster_members", "gauge", "Members of the configuration this node acts on, by role (voter or learner).", ["role"]),
  membershipChanges: metric("raft_membership_changes_total", "counter", "Configuration entries committed and applied on this node (membership changes, and the first leader recording the bootstrap list)."),
  // Storage
  storageSync: metric("raft_storage_sync_duration_seconds", "histogram", "Duration of one durable write (SQLite transaction with fsync).", [], LATENCY_BUCKETS),
  storageBatchEntries: metric("raft_storage_batch_entries", "histogram", "Entries per durable write.", [], [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]),
  storageBatchBytes: metric("raft_storage_batch_bytes", "histogram", "Entry bytes per durable write.", [], [0, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304]),
  storageLogEntries: metric("raft_storage_log_entries", "gauge", "Entries currently held in the log on disk."),
  storageFull: metric("raft_storage_full", "gauge", "1 while this node's disk is full: it takes no input and acknowledges nothing until a write succeeds."),
  storageStalls: metric("raft_storage_stalls_total", "counter", "Durable writes that took longer than the election timeout (a leader hands over after one)."),
  // Transport
  transportBytesSent: metric("raft_transport_sent_bytes_total", "counter", "Bytes written to the peer's connection.", ["peer"]),
  transportBytesReceived: metric("raft_transport_received_bytes_total", "counter", "Bytes read from the peer's connections.", ["peer"]),
  transportFramesSent: metric("raft_transport_sent_frames_total", "counter", "Message frames sent to the peer.", ["peer"]),
  transportFramesReceived: metric("raft_transport_received_frames_total", "counter", "Message frames received from the peer.", ["peer"]),
  transportConnected: metric("raft_transport_peer_connected", "gauge", "1 while a connection to or from the peer is up.", ["peer", "direction"]),
  transportHandshakeFailures: metric("raft_transport_handshake_failures_total", "counter", "Connections closed for failing the handshake, by reason.", ["reason"]),
  transportDrops: metric("raft_transport_dropped_messages_total", "counter", "Messages dropped instead of sent or delivered, by reason.", ["peer", "reason"]),
  // HTTP API
  httpDuration: metric("raft_http_request_duration_seconds", "histogram", "HTTP API request duration.", ["route", "method", "status"], LATENCY_BUCKETS),
  // The live view (GET /events)
  eventClients: metric("raft_ui_event_clients", "gauge", "Clients connected to GET /events, the live view's event stream."),
  eventClientsDropped: metric(
    "raft_ui_event_clients_dropped_total",
    "counter",
    "Event-stream clients disconnected for not reading: their unsent data passed the bound (256 KiB).",
  ),
} as const satisfies Record<string, MetricSpec>;
