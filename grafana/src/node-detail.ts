/**
 * raft-ts / Node detail: one node, picked in the `node` variable; every query selects
 * node="$node". It shows only series every node exports (follower or leader), so each panel has
 * data whichever node is picked: the leader-only gauges (match index, lag) are on the overview.
 */
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import {
  DATASOURCE,
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
  sel,
  stat,
  stateTimeline,
  timeseries,
} from "./lib.js";

export const NODE_DETAIL_UID = "raft-ts-node-detail";

const N = 'node="$node"';
const R = "[$__rate_interval]";

/** `<metric>{node="$node", ...}` */
const n = (metric: string, ...matchers: string[]): string => sel(metric, N, ...matchers);

function nodeVariable(): dashboard.QueryVariableBuilder {
  const query = `label_values(${m(METRICS.term)}, node)`;
  return new dashboard.QueryVariableBuilder("node")
    .label("Node")
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.NaturalAsc)
    .multi(false)
    .includeAll(false);
}

export function nodeDetail(): dashboard.Dashboard {
  const d = dashboardShell(NODE_DETAIL_UID, "raft-ts / Node detail", "One raft-ts node in depth: pick it in the Node variable.")
    .withVariable(nodeVariable())
    .withRow(row("State"))
    .withPanel(stat("Role", [q(roleCode([], N), "role")], { description: "This node's current role.", unit: "none", mappings: ROLE_MAPPINGS }))
    .withPanel(stat("Term", [q(`max(${n(m(METRICS.term))})`, "term")], { description: "This node's current term.", unit: "none" }))
    .withPanel(
      stat("Leader it knows", [q(`max(${n(m(METRICS.leaderId))})`, "leader")], {
        description: "The id of the leader this node knows (none: it knows no leader).",
        unit: "none",
        mappings: LEADER_MAPPINGS,
      }),
    )
    .withPanel(
      stat(
        "Commit / applied / last index",
        [
          q(`max(${n(m(METRICS.commitIndex))})`, "commit"),
          q(`max(${n(m(METRICS.appliedIndex))})`, "applied"),
          q(`max(${n(m(METRICS.lastLogIndex))})`, "last"),
        ],
        { description: "Highest index known committed, applied to the key-value map, and last in the log.", unit: "none", span: 8 },
      ),
    )
    .withPanel(
      stat("Uptime", [q(`time() - max(${n(PROCESS.startTime)})`, "uptime")], {
        description: "Time since this node's process started.",
        unit: "s",
      }),
    )
    .withPanel(
      stateTimeline("Role over time", [q(roleCode(["node"], N), "node {{node}}")], {
        description: "Follower, pre-candidate, candidate or leader over time (raft_role).",
        unit: "none",
        height: 4,
        mappings: ROLE_MAPPINGS,
      }),
    )
    .withPanel(
      timeseries(
        "Log indexes",
        [
          q(`max(${n(m(METRICS.commitIndex))})`, "commit"),
          q(`max(${n(m(METRICS.appliedIndex))})`, "applied"),
          q(`max(${n(m(METRICS.lastLogIndex))})`, "last log"),
          q(`max(${n(m(METRICS.snapshotIndex))})`, "snapshot"),
        ],
        { description: "Commit, applied, last log and snapshot index of this node.", unit: "none", decimals: 0 },
      ),
    )
    .withPanel(
      timeseries("Log entries on disk", [q(`max(${n(m(METRICS.storageLogEntries))})`, "entries")], {
        description: "Entries currently held in this node's log on disk.",
        unit: "none",
        min: 0,
        decimals: 0,
      }),
    )
    .withPanel(
      timeseries(
        "Snapshots and leadership transfers",
        [
          q(`sum(increase(${n(m(METRICS.snapshotsTaken))}${R}))`, "snapshots taken"),
          q(`sum(increase(${n(m(METRICS.snapshotsReceived))}${R}))`, "leader snapshots installed"),
          q(`sum(increase(${n(m(METRICS.leadershipTransfers))}${R}))`, "leadership transfers started"),
          q(`sum(increase(${n(m(METRICS.membershipChanges))}${R}))`, "membership changes committed"),
        ],
        {
          description: "Snapshots this node took (then compacting its log), leader snapshots it installed after falling behind the compacted log, and leadership transfers it started.",
          unit: "none",
          min: 0,
        },
      ),
    )
    .withPanel(
      timeseries("Snapshot pause p99", [q(quantile(0.99, METRICS.snapshotDuration, [], N), "p99")], {
        description: "How long taking a snapshot (encode, write, compact) pauses this node, p99.",
        unit: "s",
        min: 0,
      }),
    )
    .withPanel(
      timeseries("Snapshot bytes sent per follower", [q(`sum by (peer) (rate(${n(m(METRICS.snapshotBytesSent))}${R}))`, "to {{peer}}")], {
        description: "Snapshot bytes per second this node (as leader) sends each follower that fell behind its compacted log.",
        unit: "Bps",
        min: 0,
      }),
    )
    .withRow(row("Elections"))
    .withPanel(
      timeseries(
        "Elections started and won",
        [
          q(`sum by (kind) (increase(${n(m(METRICS.electionsStarted))}${R}))`, "started ({{kind}})"),
          q(`sum(increase(${n(m(METRICS.electionsWon))}${R}))`, "won"),
        ],
        { description: "Elections this node started (pre-vote and vote rounds) and won, per rate interval.", unit: "short", span: 8, bars: true, min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "Step-downs and leader changes",
        [
          q(`sum by (reason) (increase(${n(m(METRICS.stepDowns))}${R}))`, "stepped down ({{reason}})"),
          q(`sum(increase(${n(m(METRICS.leaderChanges))}${R}))`, "saw a new leader"),
        ],
        { description: "Times this node stopped leading, by reason, and times it saw the leader change, per rate interval.", unit: "short", span: 8, bars: true, min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "Election duration p50 / p99",
        [q(quantile(0.5, METRICS.electionDuration, [], N), "p50"), q(quantile(0.99, METRICS.electionDuration, [], N), "p99")],
        { description: "From losing the leader (or starting) until this node knew a leader again. Empty where no election ended.", unit: "s", span: 8 },
      ),
    )
    .withRow(row("Client traffic"))
    .withPanel(
      timeseries(
        "Writes committed and failed",
        [
          q(`sum(rate(${n(m(METRICS.proposalsCommitted))}${R}))`, "committed"),
          q(`sum by (reason) (rate(${n(m(METRICS.proposalsFailed))}${R}))`, "failed: {{reason}}"),
        ],
        { description: "Client writes this node committed and applied (as leader), and writes that failed here, by reason.", unit: "ops", min: 0 },
      ),
    )
    .withPanel(
      timeseries("Linearizable reads (ReadIndex)", [q(`sum(rate(${n(m(METRICS.readIndexRequests))}${R}))`, "reads")], {
        description: "ReadIndex requests per second on this node.",
        unit: "ops",
        min: 0,
      }),
    )
    .withPanel(
      timeseries(
        "HTTP requests by route and status",
        [q(`sum by (method, route, status) (rate(${n(m(METRICS.httpDuration, "count"))}${R}))`, "{{method}} {{route}} {{status}}")],
        { description: "HTTP API requests per second on this node (its /metrics scrapes included).", unit: "reqps", min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "HTTP latency p50 / p99 by route",
        [
          q(quantile(0.5, METRICS.httpDuration, ["method", "route"], N), "p50 {{method}} {{route}}"),
          q(quantile(0.99, METRICS.httpDuration, ["method", "route"], N), "p99 {{method}} {{route}}"),
        ],
        { description: "HTTP API request duration on this node.", unit: "s" },
      ),
    )
    .withPanel(
      timeseries(
        "Live view streams (GET /events)",
        [
          q(`max(${n(m(METRICS.eventClients))})`, "connected"),
          q(`sum(increase(${n(m(METRICS.eventClientsDropped))}${R}))`, "dropped for not reading"),
        ],
        {
          description: "Browsers connected to this node's event stream (the live view at /ui), and clients disconnected because they stopped reading, per rate interval.",
          unit: "short",
          span: 24,
          min: 0,
          decimals: 0,
        },
      ),
    )
    .withRow(row("Replication (while this node leads)"))
    .withPanel(
      timeseries(
        "AppendEntries per peer",
        [
          q(`sum by (peer) (rate(${n(m(METRICS.peerAppendMessages))}${R}))`, "messages to {{peer}}"),
          q(`sum by (peer) (rate(${n(m(METRICS.peerAppendEntries))}${R}))`, "entries to {{peer}}"),
        ],
        { description: "AppendEntries messages and the log entries they carried, per second, to each peer. Zero while following.", unit: "ops", min: 0 },
      ),
    )
    .withPanel(
      timeseries("AppendEntries rejected per peer", [q(`sum by (peer) (increase(${n(m(METRICS.peerRejections))}${R}))`, "rejected by {{peer}}")], {
        description: "AppendEntries each peer rejected (log mismatch, repaired by backtracking), per rate interval.",
        unit: "short",
        bars: true,
        min: 0,
      }),
    )
    .withPanel(
      timeseries(
        "Heartbeat RTT p50 / p99 per peer",
        [
          q(quantile(0.5, METRICS.peerRtt, ["peer"], N), "p50 peer {{peer}}"),
          q(quantile(0.99, METRICS.peerRtt, ["peer"], N), "p99 peer {{peer}}"),
        ],
        { description: "Heartbeat round trips to each peer, measured while this node leads. Empty while following.", unit: "s", span: 24 },
      ),
    )
    .withRow(row("Storage"))
    .withPanel(
      timeseries(
        "fsync latency p50 / p99",
        [q(quantile(0.5, METRICS.storageSync, [], N), "p50"), q(quantile(0.99, METRICS.storageSync, [], N), "p99")],
        { description: "Duration of one durable write (SQLite transaction with fsync).", unit: "s" },
      ),
    )
    .withPanel(
      timeseries(
        "Durable writes and entries per second",
        [
          q(`sum(rate(${n(m(METRICS.storageSync, "count"))}${R}))`, "writes"),
          q(`sum(rate(${n(m(METRICS.storageBatchEntries, "sum"))}${R}))`, "entries"),
        ],
        { description: "Durable writes per second, and the log entries they carried per second.", unit: "ops", min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "Entries per durable write p50 / p99",
        [q(quantile(0.5, METRICS.storageBatchEntries, [], N), "p50"), q(quantile(0.99, METRICS.storageBatchEntries, [], N), "p99")],
        { description: "Log entries per durable write: above 1 when writes are batched.", unit: "none" },
      ),
    )
    .withPanel(
      timeseries("Entry bytes written per second", [q(`sum(rate(${n(m(METRICS.storageBatchBytes, "sum"))}${R}))`, "bytes")], {
        description: "Log entry bytes made durable per second.",
        unit: "Bps",
        min: 0,
      }),
    )
    .withRow(row("Transport"))
    .withPanel(
      timeseries(
        "Bytes per peer",
        [
          q(`sum by (peer) (rate(${n(m(METRICS.transportBytesSent))}${R}))`, "→ {{peer}}"),
          q(`sum by (peer) (rate(${n(m(METRICS.transportBytesReceived))}${R}))`, "← {{peer}}"),
        ],
        { description: "Raft transport bytes per second sent to and received from each peer.", unit: "Bps", min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "Frames per peer",
        [
          q(`sum by (peer) (rate(${n(m(METRICS.transportFramesSent))}${R}))`, "→ {{peer}}"),
          q(`sum by (peer) (rate(${n(m(METRICS.transportFramesReceived))}${R}))`, "← {{peer}}"),
        ],
        { description: "Message frames per second sent to and received from each peer.", unit: "ops", min: 0 },
      ),
    )
    .withPanel(
      timeseries("Connections per peer", [q(`max by (peer, direction) (${n(m(METRICS.transportConnected))})`, "{{peer}} {{direction}}")], {
        description: "1 while the inbound or outbound connection with the peer is up.",
        unit: "none",
        span: 8,
        min: 0,
        decimals: 0,
      }),
    )
    .withPanel(
      timeseries(
        "Dropped messages by peer and reason",
        [q(`sum by (peer, reason) (increase(${n(m(METRICS.transportDrops))}${R}))`, "{{peer}}: {{reason}}")],
        { description: "Messages dropped instead of sent or delivered, per rate interval.", unit: "short", span: 8, bars: true, min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "Handshake failures by reason",
        [q(`sum by (reason) (increase(${n(m(METRICS.transportHandshakeFailures))}${R}))`, "{{reason}}")],
        { description: "Connections closed for failing the handshake, per rate interval.", unit: "short", span: 8, bars: true, min: 0 },
      ),
    )
    .withRow(row("Process"))
    .withPanel(
      timeseries(
        "CPU",
        [q(`sum(rate(${n(PROCESS.cpuUser)}${R}))`, "user"), q(`sum(rate(${n(PROCESS.cpuSystem)}${R}))`, "system")],
        { description: "CPU time per second: 1 = one core busy.", unit: "percentunit", span: 8, min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "Event loop lag",
        [
          q(`max(${n(PROCESS.eventLoopLagP50)})`, "p50"),
          q(`max(${n(PROCESS.eventLoopLagP99)})`, "p99"),
          q(`max(${n(PROCESS.eventLoopLagMax)})`, "max"),
        ],
        { description: "Node.js event loop delay: timers and sockets wait this long.", unit: "s", span: 8, min: 0 },
      ),
    )
    .withPanel(
      timeseries(
        "Memory",
        [q(`max(${n(PROCESS.residentMemory)})`, "resident"), q(`max(${n(PROCESS.heapUsed)})`, "heap used")],
        { description: "Resident set size and V8 heap in use.", unit: "bytes", span: 8, min: 0 },
      ),
    )
    .build();
  return numberPanels(d);
}
