import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { buildHttpServer } from "../src/http/server.js";
import { METRICS } from "../src/metrics/catalog.js";
import { NodeMetrics } from "../src/metrics/node-metrics.js";
import { inProcessNode, silent } from "./in-process-node.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A single-node cluster with the real metrics wiring, served through fastify's inject. */
async function singleNode() {
  // The metrics read the node and its log, made just below; they are read only after that.
  const metrics: NodeMetrics = new NodeMetrics(1, "test", [], () => ({ node: wired.node.status(), logEntries: wired.storage.lastIndex(), snapshotIndex: 0 }));
  const wired = inProcessNode(1, {}, () => {}, { observer: metrics.raftObserver(), metrics: metrics.driverMetrics() });
  const { config, node, kv, driver } = wired;
  const app = buildHttpServer({ config, self: config.nodes[0]!, driver, kv, logger: silent, metrics });
  cleanups.push(async () => {
    driver.stop();
    await app.close();
  });
  driver.start();
  for (let i = 0; i < 500 && node.status().role !== "leader"; i++) await new Promise((r) => setTimeout(r, 5));
  return { app, metrics };
}

/**
 * The value of one sample, e.g. sample(text, 'raft_term{node="1",cluster="test"}'), whatever
 * the order of the labels in the exposition.
 */
function sample(text: string, series: string): number | undefined {
  const parse = (s: string) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?$/.exec(s)!;
    return `${m[1]}|${(m[2] ?? "").split(",").filter(Boolean).sort().join(",")}`;
  };
  const want = parse(series);
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const at = line.lastIndexOf(" ");
    if (parse(line.slice(0, at)) === want) return Number(line.slice(at + 1));
  }
  return undefined;
}

describe("GET /metrics", () => {
  it("exports every metric of the catalog, with node and cluster labels", async () => {
    const { app } = await singleNode();
    await app.inject({ method: "PUT", url: "/kv/a", payload: "1" });
    const res = await app.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    for (const spec of Object.values(METRICS)) expect(res.body).toContain(`# TYPE ${spec.name} ${spec.type}`);
    expect(res.body).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(res.body).toContain("nodejs_eventloop_lag_seconds");
  });

  it("reflects what the node did: state, elections, commits, reads, HTTP requests", async () => {
    const { app } = await singleNode();
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: "PUT", url: `/kv/k${i}`, payload: "v" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/kv/k0" })).statusCode).toBe(200);
    const text = (await app.inject({ url: "/metrics" })).body;
    const l = 'node="1",cluster="test"';
    expect(sample(text, `raft_term{${l}}`)).toBe(1);
    expect(sample(text, `raft_role{role="leader",${l}}`)).toBe(1);
    expect(sample(text, `raft_role{role="follower",${l}}`)).toBe(0);
    expect(sample(text, `raft_leader_known{${l}}`)).toBe(1);
    expect(sample(text, `raft_commit_index{${l}}`)).toBe(4); // the no-op and three writes
    expect(sample(text, `raft_applied_index{${l}}`)).toBe(4);
    expect(sample(text, `raft_elections_won_total{${l}}`)).toBe(1);
    expect(sample(text, `raft_elections_started_total{kind="pre-vote",${l}}`)).toBe(1);
    expect(sample(text, `raft_proposals_committed_total{${l}}`)).toBe(3);
    expect(sample(text, `raft_read_index_requests_total{${l}}`)).toBe(1);
    expect(sample(text, `raft_election_duration_seconds_count{${l}}`)).toBe(1);
    expect(sample(text, `raft_http_request_duration_seconds_count{route="/kv/:key",method="PUT",status="200",${l}}`)).toBe(3);
    // Keys never become label values.
    expect(text).not.toContain("/kv/k0");
  });

  it("exports known label values at zero before any event, for every configured peer", async () => {
    const status = { id: 1, role: "follower", term: 0, vote: 0, leaderId: 0, commit: 0, applied: 0, lastIndex: 0, lastTerm: 0, peers: [], transferringTo: 0, membership: { members: [] }, membershipIndex: 0, electionElapsed: 0, electionTimeout: 0 } as const;
    const m = new NodeMetrics(1, "c", [2, 3], () => ({ node: status, logEntries: 0, snapshotIndex: 0 }));
    const text = await m.scrape();
    const l = 'node="1",cluster="c"';
    expect(sample(text, `raft_step_downs_total{reason="lost_quorum",${l}}`)).toBe(0);
    expect(sample(text, `raft_elections_started_total{kind="pre-vote",${l}}`)).toBe(0);
    expect(sample(text, `raft_proposals_failed_total{reason="timeout",${l}}`)).toBe(0);
    expect(sample(text, `raft_transport_handshake_failures_total{reason="auth",${l}}`)).toBe(0);
    for (const peer of ["2", "3"]) {
      expect(sample(text, `raft_transport_dropped_messages_total{peer="${peer}",reason="queue_full",${l}}`)).toBe(0);
      expect(sample(text, `raft_transport_peer_connected{peer="${peer}",direction="outbound",${l}}`)).toBe(0);
      expect(sample(text, `raft_peer_rtt_seconds_count{peer="${peer}",${l}}`)).toBe(0);
      expect(sample(text, `raft_peer_append_rejections_total{peer="${peer}",${l}}`)).toBe(0);
    }
    expect(sample(text, `raft_transport_dropped_messages_total{peer="4",reason="queue_full",${l}}`)).toBeUndefined();
  });

  it("passes promtool check metrics", async () => {
    const { app } = await singleNode();
    await app.inject({ method: "PUT", url: "/kv/a", payload: "1" });
    const text = (await app.inject({ url: "/metrics" })).body;
    // Installed by the test command's setup (scripts/ensure-test-tools.sh) from Debian's prometheus.
    const out = execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(out.trim()).toBe("");
  });
});
