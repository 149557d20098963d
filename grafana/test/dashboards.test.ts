import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DASHBOARDS, DASHBOARDS_DIR, render } from "../src/dashboards.js";
import { PROMETHEUS_UID } from "../src/lib.js";
import { panelQueries, QUERY_VARIABLES } from "../src/queries.js";
import { metricNames, selectorsWithout, variables } from "./promql.js";

interface JsonTarget {
  expr?: string;
  refId?: string;
}
interface JsonPanel {
  type: string;
  title?: string;
  targets?: JsonTarget[];
  panels?: JsonPanel[];
}
interface JsonDashboard {
  uid: string;
  title: string;
  panels: JsonPanel[];
  templating: { list: { name: string; type: string; query?: unknown; current?: { value?: unknown } }[] };
}

const committed = (file: string) => readFileSync(new URL(file, DASHBOARDS_DIR), "utf8");
const load = (file: string) => JSON.parse(committed(file)) as JsonDashboard;

describe("generated dashboards", () => {
  it.each(DASHBOARDS.map((d) => [d.file, d] as const))("%s is what `pnpm generate` writes (no drift)", (file, d) => {
    expect(committed(file)).toBe(render(d.build()));
  });

  it("the dashboards folder holds exactly the generated files", () => {
    const files = readdirSync(DASHBOARDS_DIR).sort();
    expect(files).toEqual(DASHBOARDS.map((d) => d.file).sort());
  });

  it("dashboard uids are distinct and stable", () => {
    expect(DASHBOARDS.map((d) => load(d.file).uid)).toEqual(["raft-ts-cluster-overview", "raft-ts-node-detail"]);
  });

  it("the data source variable defaults to the provisioned Prometheus", () => {
    for (const { file } of DASHBOARDS) {
      const ds = load(file).templating.list.find((v) => v.name === "datasource");
      expect(ds, file).toMatchObject({ type: "datasource", query: "prometheus", current: { value: PROMETHEUS_UID } });
    }
  });
});

describe("panel queries", () => {
  const queries = panelQueries();
  const byDashboard = (title: string) => queries.filter((q) => q.dashboard === title);

  it("panelQueries() lists every target of every panel, as committed", () => {
    let targets = 0;
    for (const { file } of DASHBOARDS) {
      for (const p of load(file).panels) targets += p.targets?.length ?? 0;
    }
    expect(queries).toHaveLength(targets);
    expect(byDashboard("raft-ts / Cluster overview").length).toBeGreaterThan(20);
    expect(byDashboard("raft-ts / Node detail").length).toBeGreaterThan(20);
    for (const q of queries) expect(q.expr.trim(), `${q.dashboard} / ${q.panel}`).not.toBe("");
  });

  it("use no Grafana variables but $node and $__rate_interval", () => {
    for (const q of queries) {
      for (const v of variables(q.expr)) expect(QUERY_VARIABLES, `${q.dashboard} / ${q.panel}: ${q.expr}`).toContain(v);
    }
  });

  it("node detail: every metric every query reads is selected with node=\"$node\"", () => {
    // The check itself catches a selector without the matcher.
    expect(selectorsWithout('sum(rate(raft_a_total{node="$node"}[1m])) / sum(raft_b{role="x"})', 'node="$node"')).toEqual(['raft_b{role="x"}']);
    for (const q of byDashboard("raft-ts / Node detail")) {
      expect(metricNames(q.expr).length, q.expr).toBeGreaterThan(0);
      expect(selectorsWithout(q.expr, 'node="$node"'), `${q.panel}: ${q.expr}`).toEqual([]);
    }
  });

  it("node detail: the node variable lists the nodes from raft_term", () => {
    const node = load("node-detail.json").templating.list.find((v) => v.name === "node");
    expect(node).toMatchObject({ type: "query", query: "label_values(raft_term, node)" });
  });

  it("cluster overview: no variable but the data source, no $node", () => {
    expect(load("cluster-overview.json").templating.list.map((v) => v.name)).toEqual(["datasource"]);
    for (const q of byDashboard("raft-ts / Cluster overview")) expect(q.expr).not.toContain("$node");
  });

  it("cluster overview covers what the issue asks for", () => {
    const exprs = byDashboard("raft-ts / Cluster overview").map((q) => q.expr);
    const uses = (needle: string) => exprs.some((e) => e.includes(needle));
    for (const needle of [
      "raft_leader_id",
      "raft_term",
      "raft_role",
      "raft_elections_started_total",
      "raft_elections_won_total",
      "raft_leader_changes_total",
      "raft_commit_index",
      "raft_proposals_committed_total",
      "histogram_quantile(0.5, sum by (le, method, route) (rate(raft_http_request_duration_seconds_bucket",
      "histogram_quantile(0.99, sum by (le, method, route) (rate(raft_http_request_duration_seconds_bucket",
      "raft_read_index_requests_total",
      "max by (peer) (raft_peer_replication_lag_entries)",
      "histogram_quantile(0.99, sum by (le, peer) (rate(raft_peer_rtt_seconds_bucket",
      "histogram_quantile(0.99, sum by (le, node) (rate(raft_storage_sync_duration_seconds_bucket",
      "histogram_quantile(0.99, sum by (le) (rate(raft_election_duration_seconds_bucket",
      "raft_transport_sent_bytes_total",
      "sum by (reason) (increase(raft_transport_dropped_messages_total",
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_p99_seconds",
    ]) {
      expect(uses(needle), needle).toBe(true);
    }
  });

  it("no `or vector(0)` padding", () => {
    for (const q of queries) expect(q.expr).not.toMatch(/vector\s*\(/);
  });
});
