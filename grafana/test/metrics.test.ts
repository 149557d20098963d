import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { panelQueries } from "../src/queries.js";
import { catalogSeries, defaultSeries, knownSeries } from "./known-metrics.js";
import { metricNames } from "./promql.js";

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

const alerts = parse(readFileSync(new URL("../prometheus/alerts.yml", import.meta.url), "utf8")) as RuleFile;

describe("metric names", () => {
  it("the extractor finds the metrics of an expression, and only them", () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, peer) (rate(raft_peer_rtt_seconds_bucket{node="$node", role="leader"}[$__rate_interval]))) ' +
          "+ 2 * max by (node) (raft_role) - time() + max(up offset 5m) > bool 1e3 and on (node) nodejs_eventloop_lag_p99_seconds",
      ).sort(),
    ).toEqual(["nodejs_eventloop_lag_p99_seconds", "raft_peer_rtt_seconds_bucket", "raft_role", "up"]);
  });

  it("the known names are the catalog's series, prom-client's defaults and up", async () => {
    const known = await knownSeries();
    expect(catalogSeries()).toContain("raft_storage_sync_duration_seconds_bucket");
    expect(catalogSeries()).not.toContain("raft_storage_sync_duration_seconds"); // a histogram has no bare series
    expect(await defaultSeries()).toContain("process_cpu_user_seconds_total");
    expect(await defaultSeries()).toContain("nodejs_eventloop_lag_seconds");
    expect(await defaultSeries()).not.toContain("nodejs_active_handles_total"); // the node removes it
    expect(known).toContain("up");
    expect(known).not.toContain("raft_termz");
  });

  it("every metric in every panel query exists in the catalog or the node's default metrics", async () => {
    const known = await knownSeries();
    const unknown: string[] = [];
    for (const q of panelQueries()) {
      const names = metricNames(q.expr);
      if (names.length === 0) unknown.push(`${q.dashboard} / ${q.panel}: reads no metric: ${q.expr}`);
      for (const name of names) if (!known.has(name)) unknown.push(`${q.dashboard} / ${q.panel}: ${name}`);
    }
    expect(unknown).toEqual([]);
  });

  it("every metric in every alert rule exists too", async () => {
    const known = await knownSeries();
    const rules = alerts.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      const names = metricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const name of names) expect(known, `${r.alert}: ${name}`).toContain(name);
    }
  });
});
