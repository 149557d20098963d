/**
 * raft-ts / Cluster overview: the whole cluster on one screen. Every query aggregates over
 * every node the data source scrapes (by node, by peer or by reason), so it needs no variable.
 */
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import {
  dashboardShell,
  LEADER_MAPPINGS,
  m,
  METRICS,
  numberPanels,
  PROCESS,
  q,
  quantile,
  ROLE_MAPPINGS,
  roleCode,
  row,
  stat,
  stateTimeline,
  timeseries,
} from "./lib.js";

export const CLUSTER_OVERVIEW_UID = "raft-ts-cluster-overview";

const R = "[$__rate_interval]";

export function clusterOverview(): dashboard.Dashboard {
  const d = dashboardShell(
    CLUSTER_OVERVIEW_UID,
    "raft-ts / Cluster overview",
    "Leadership, client traffic, replication, storage, transport and process health of every raft-ts node.",
  )
    .withRow(row("Leadership"))
    .withPanel(
      stat("Term", [q(`max(${m(METRICS.term)})`, "term")], {
        description: "The highest Raft term any node is in.",
        unit: "none",
      }),
    )
    .withPanel(
      stat("Leader, as each node sees it", [q(`max by (node) (${m(METRICS.leaderId)})`, "node {{node}}")], {
        description: "The id of the leader each node knows (none: it knows no leader). All equal in a healthy cluster.",
        unit: "none",
        span: 6,
        mappings: LEADER_MAPPINGS,
      }),
    )
    .withPanel(
      stat(
        "Nodes reporting / knowing a leader",
        [q(`count(${m(METRICS.term)})`, "reporting"), q(`sum(${m(METRICS.leaderKnown)})`, "know a leader")],
        { description: "Nodes whose metrics Prometheus has, and how many of them know a leader.", unit: "none", span: 4 },
      ),
    )
    .withPanel(
      stat("Commit index", [q(`max(${m(METRICS.commitIndex)})`, "commit")], {
        description: "The highest log index any node knows is committed.",
        unit: "none",
        span: 4,
      }),
    )
    .withPanel(
      stat(
        "Members: voters / learners",
        [q(`max(${m(METRICS.clusterMembers)}{role="voter"})`, "voters"), q(`max(${m(METRICS.clusterMembers)}{role="learner"})`, "learners")],
        {
          description: "Members of the configuration in force, by role (the largest any node reports: a node that missed a change lags). Learners receive the log but do not vote.",
          unit: "none",
          span: 6,
        },
      ),
    )
    .withPanel(
      stateTimeline("Role per node", [q(roleCode(["node"]), "node {{node}}")], {
        description: "Follower, pre-candidate, candidate or leader, per node over time (raft_role).",
        unit: "none",
        height: 6,
        mappings: ROLE_MAPPINGS,
      }),
    )
    .withPanel(
      timeseries(
        "Elections started and won",
        [
          q(`sum by (node, kind) (increase(${m(METRICS.electionsStarted)}${R}))`, "node {{node}} started ({{kind}})"),
          q(`sum by (node) (increase(${m(METRICS.electionsWon)}${R}))`, "node {{node}} won"),
        ],
        { description: "Elections (pre-vote and vote rounds) started and won per node, per rate interval.", unit: "short", bars: true, min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "Leader changes and step-downs",
        [
          q(`sum by (node) (increase(${m(METRICS.leaderChanges)}${R}))`, "node {{node}} saw a new leader"),
          q(`sum by (node, reason) (increase(${m(METRICS.stepDowns)}${R}))`, "node {{node}} stepped down ({{reason}})"),
        ],
        { description: "Times each node saw the leader change, and leaders stepping down by reason, per rate interval.", unit: "short", bars: true, min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "Election duration p50 / p99",
        [q(quantile(0.5, METRICS.electionDuration, []), "p50"), q(quantile(0.99, METRICS.electionDuration, []), "p99")],
        { description: "From losing the leader (or starting) until a leader is known again. Empty where no election ended.", unit: "s" },
      ),
    )
    .withPanel(
      timeseries("Term per node", [q(`max by (node) (${m(METRICS.term)})`, "node {{node}}")], {
        description: "Each node's current term; a node whose term climbs alone keeps campaigning.",
        unit: "none",
        decimals: 0,
      }),
    )
    .withRow(row("Client traffic"))
    .withPanel(
      timeseries(
        "Writes committed and failed",
        [
          q(`sum by (node) (rate(${m(METRICS.proposalsCommitted)}${R}))`, "committed via node {{node}}"),
          q(`sum by (reason) (rate(${m(METRICS.proposalsFailed)}${R}))`, "failed: {{reason}}"),
        ],
        { description: "Client writes committed and applied (counted by the leader that took them), and failed writes by reason.", unit: "ops", min: 0 },
      ),
    )
    .withPanel(
      timeseries("Linearizable reads (ReadIndex)", [q(`sum by (node) (rate(${m(METRICS.readIndexRequests)}${R}))`, "node {{node}}")], {
        description: "ReadIndex requests per second per node.",
        unit: "ops",
        min: 0,
      }),
    )
    .withPanel(
      timeseries(
        "HTTP requests by route and status",
        [q(`sum by (method, route, status) (rate(${m(METRICS.httpDuration, "count")}${R}))`, "{{method}} {{route}} {{status}}")],
        { description: "HTTP API requests per second over every node (307: a follower redirected to the leader).", unit: "reqps", min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "HTTP latency p50 / p99 by route",
        [
          q(quantile(0.5, METRICS.httpDuration, ["method", "route"]), "p50 {{method}} {{route}}"),
          q(quantile(0.99, METRICS.httpDuration, ["method", "route"]), "p99 {{method}} {{route}}"),
        ],
        { description: "HTTP API request duration over every node; a write's includes replication to a majority and fsync.", unit: "s" },
      ),
    )
    .withRow(row("Log and replication"))
    .withPanel(
      timeseries("Commit index per node", [q(`max by (node) (${m(METRICS.commitIndex)})`, "node {{node}}")], {
        description: "Each node's commit index: they climb together while the cluster makes progress.",
        unit: "none",
        decimals: 0,
      }),
    )
    .withPanel(
      timeseries("Replication lag per follower", [q(`max by (peer) (${m(METRICS.peerLag)})`, "peer {{peer}}")], {
        description: "Entries each follower is behind the leader's last index, as the leader sees it.",
        unit: "none",
        min: 0,
      }),
    )
    .withPanel(
      timeseries(
        "Heartbeat RTT p50 / p99 per follower",
        [
          q(quantile(0.5, METRICS.peerRtt, ["peer"]), "p50 peer {{peer}}"),
          q(quantile(0.99, METRICS.peerRtt, ["peer"]), "p99 peer {{peer}}"),
        ],
        { description: "Heartbeat round trips from the leader to each follower.", unit: "s" },
      ),
    )
    .withPanel(
      timeseries(
        "AppendEntries sent and rejected per peer",
        [
          q(`sum by (peer) (rate(${m(METRICS.peerAppendMessages)}${R}))`, "sent to {{peer}}"),
          q(`sum by (peer) (rate(${m(METRICS.peerRejections)}${R}))`, "rejected by {{peer}}"),
        ],
        { description: "AppendEntries messages per second to each peer, and those it rejected (log mismatch, repaired by backtracking).", unit: "ops", min: 0 },
      ),
    )
    .withRow(row("Storage"))
    .withPanel(
      timeseries(
        "fsync latency p50 / p99 per node",
        [q(quantile(0.5, METRICS.storageSync, ["node"]), "p50 node {{node}}"), q(quantile(0.99, METRICS.storageSync, ["node"]), "p99 node {{node}}")],
        { description: "Duration of one durable write (SQLite transaction with fsync).", unit: "s" },
      ),
    )
    .withPanel(
      timeseries(
        "Durable writes and entries per node",
        [
          q(`sum by (node) (rate(${m(METRICS.storageSync, "count")}${R}))`, "writes node {{node}}"),
          q(`sum by (node) (rate(${m(METRICS.storageBatchEntries, "sum")}${R}))`, "entries node {{node}}"),
        ],
        { description: "Durable writes per second, and log entries they carried per second.", unit: "ops", min: 0 },
      ),
    )
    .withRow(row("Transport"))
    .withPanel(
      timeseries(
        "Bytes sent and received per peer",
        [
          q(`sum by (node, peer) (rate(${m(METRICS.transportBytesSent)}${R}))`, "{{node}} → {{peer}}"),
          q(`sum by (node, peer) (rate(${m(METRICS.transportBytesReceived)}${R}))`, "{{node}} ← {{peer}}"),
        ],
        { description: "Raft transport bytes per second between each node and each peer.", unit: "Bps", min: 0 },
      ),
    )
    .withPanel(
      timeseries("Dropped messages by reason", [q(`sum by (reason) (increase(${m(METRICS.transportDrops)}${R}))`, "{{reason}}")], {
        description: "Messages the transport dropped instead of sending or delivering, per rate interval.",
        unit: "short",
        bars: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries("Connections up per peer", [q(`sum by (node, peer) (${m(METRICS.transportConnected)})`, "{{node}} ↔ {{peer}}")], {
        description: "Authenticated connections up between each node and each peer (inbound plus outbound: 2 when both are up).",
        unit: "none",
        min: 0,
        decimals: 0,
      }),
    )
    .withPanel(
      timeseries(
        "Handshake failures by reason",
        [q(`sum by (reason) (increase(${m(METRICS.transportHandshakeFailures)}${R}))`, "{{reason}}")],
        { description: "Connections closed for failing the handshake (wrong secret or cluster id, timeouts...), per rate interval.", unit: "short", bars: true, min: 0 },
      ),
    )
    .withRow(row("Process"))
    .withPanel(
      timeseries("CPU per node", [q(`sum by (node) (rate(${PROCESS.cpu}${R}))`, "node {{node}}")], {
        description: "CPU time (user + system) per second: 1 = one core busy.",
        unit: "percentunit",
        span: 8,
        min: 0,
      }),
    )
    .withPanel(
      timeseries("Event loop lag p99 per node", [q(`max by (node) (${PROCESS.eventLoopLagP99})`, "node {{node}}")], {
        description: "The 99th percentile of Node.js event loop delay: timers and sockets wait this long.",
        unit: "s",
        span: 8,
        min: 0,
      }),
    )
    .withPanel(
      timeseries("Resident memory per node", [q(`max by (node) (${PROCESS.residentMemory})`, "node {{node}}")], {
        description: "Resident set size of each node process.",
        unit: "bytes",
        span: 8,
        min: 0,
      }),
    )
    .build();
  return numberPanels(d);
}
