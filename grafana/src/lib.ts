/**
 * Small helpers over @grafana/grafana-foundation-sdk so the dashboards read as a list of
 * panels: one Prometheus data source (chosen by a variable), one query builder, and panel
 * constructors with the defaults every panel here shares (legend shown, sorted tooltip).
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as StateTimelinePanelBuilder } from "@grafana/grafana-foundation-sdk/statetimeline";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { METRICS, type MetricSpec } from "../../apps/node/src/metrics/catalog.js";

export { METRICS };

/** The data source uid the provisioning creates; the `datasource` variable defaults to it. */
export const PROMETHEUS_UID = "prometheus";

/** Every panel and query points at the data source picked in the `datasource` variable. */
export const DATASOURCE: common.DataSourceRef = { type: "prometheus", uid: "${datasource}" };

/** The data source picker: provisioned Grafana preselects uid "prometheus"; elsewhere, pick one. */
export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder("datasource")
    .label("Data source")
    .type("prometheus")
    .current({ text: "Prometheus", value: PROMETHEUS_UID });
}

/** The metric's name; for a histogram, one of its series (`_bucket`, `_sum`, `_count`). */
export function m(spec: MetricSpec, series?: "bucket" | "sum" | "count"): string {
  if (series === undefined) return spec.name;
  if (spec.type !== "histogram") throw new Error(`${spec.name} is a ${spec.type}, it has no _${series} series`);
  return `${spec.name}_${series}`;
}

/** PromQL label matchers, e.g. sel(METRICS.role, 'role="leader"') -> raft_role{role="leader"}. */
export function sel(metric: string, ...matchers: string[]): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(", ")}}`;
}

/** `histogram_quantile(q, sum by (le, ...by) (rate(<name>_bucket{...}[$__rate_interval])))`. */
export function quantile(q: number, spec: MetricSpec, by: readonly string[], ...matchers: string[]): string {
  const bucket = sel(m(spec, "bucket"), ...matchers);
  return `histogram_quantile(${q}, sum by (${["le", ...by].join(", ")}) (rate(${bucket}[$__rate_interval])))`;
}

export interface Query {
  expr: string;
  legend: string;
}

/** A Prometheus query: `expr` with the legend `legend`. */
export function q(expr: string, legend: string): Query {
  return { expr, legend };
}

function targets(queries: readonly Query[], instant: boolean): DataqueryBuilder[] {
  return queries.map((query, i) => {
    const b = new DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(query.expr)
      .legendFormat(query.legend);
    return instant ? b.instant() : b.range();
  });
}

const legend = (): common.VizLegendOptionsBuilder =>
  new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom);

const tooltip = (): common.VizTooltipOptionsBuilder =>
  new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);

export interface PanelOptions {
  description: string;
  unit: string;
  /** Grid width (of 24) and height; the dashboard builder places panels left to right. */
  span?: number;
  height?: number;
  /** Draw counts of events as bars rather than lines. */
  bars?: boolean;
  min?: number;
  decimals?: number;
}

export function timeseries(title: string, queries: readonly Query[], o: PanelOptions): TimeseriesPanelBuilder {
  const p = new TimeseriesPanelBuilder()
    .title(title)
    .description(o.description)
    .datasource(DATASOURCE)
    .targets(targets(queries, false))
    .unit(o.unit)
    .span(o.span ?? 12)
    .height(o.height ?? 8)
    .legend(legend())
    .tooltip(tooltip())
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never);
  if (o.bars === true) p.drawStyle(common.GraphDrawStyle.Bars).fillOpacity(60);
  if (o.min !== undefined) p.min(o.min);
  if (o.decimals !== undefined) p.decimals(o.decimals);
  return p;
}

export interface StatOptions {
  description: string;
  unit: string;
  span?: number;
  height?: number;
  mappings?: dashboard.ValueMapping[];
}

/** A stat panel over instant queries, showing each series' last value. */
export function stat(title: string, queries: readonly Query[], o: StatOptions): StatPanelBuilder {
  const p = new StatPanelBuilder()
    .title(title)
    .description(o.description)
    .datasource(DATASOURCE)
    .targets(targets(queries, true))
    .unit(o.unit)
    .span(o.span ?? 4)
    .height(o.height ?? 4)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.ValueAndName)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
  if (o.mappings !== undefined) p.mappings(o.mappings);
  return p;
}

/** A state timeline: one lane per series, coloured by the value mappings. */
export function stateTimeline(title: string, queries: readonly Query[], o: StatOptions): StateTimelinePanelBuilder {
  const p = new StateTimelinePanelBuilder()
    .title(title)
    .description(o.description)
    .datasource(DATASOURCE)
    .targets(targets(queries, false))
    .unit(o.unit)
    .span(o.span ?? 24)
    .height(o.height ?? 7)
    .legend(legend())
    .tooltip(tooltip())
    .showValue(common.VisibilityMode.Never)
    .mergeValues(true);
  if (o.mappings !== undefined) p.mappings(o.mappings);
  return p;
}

export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}

/**
 * Roles as numbers for stat and state-timeline panels (raft_role is one series per role, 1 for
 * the current one): 0 follower, 1 pre-candidate, 2 candidate, 3 leader.
 */
export const ROLE_CODES = [
  { role: "follower", code: 0, color: "green" },
  { role: "pre-candidate", code: 1, color: "yellow" },
  { role: "candidate", code: 2, color: "orange" },
  { role: "leader", code: 3, color: "blue" },
] as const;

/** The role as one number per `by` group (see ROLE_CODES). */
export function roleCode(by: readonly string[], ...matchers: string[]): string {
  const agg = by.length === 0 ? "max" : `max by (${by.join(", ")}) `;
  return ROLE_CODES.filter((r) => r.code > 0)
    .map((r) => {
      const term = `${agg}(${sel(m(METRICS.role), ...matchers, `role="${r.role}"`)})`;
      return r.code === 1 ? term : `${r.code} * ${term}`;
    })
    .join(" + ");
}

export const ROLE_MAPPINGS: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: Object.fromEntries(ROLE_CODES.map((r) => [String(r.code), { text: r.role, color: r.color, index: r.code }])),
  },
];

/** raft_leader_id is 0 when no leader is known. */
export const LEADER_MAPPINGS: dashboard.ValueMapping[] = [
  { type: dashboard.MappingType.ValueToText, options: { "0": { text: "none", color: "red", index: 0 } } },
];

export function isRow(p: dashboard.Panel | dashboard.RowPanel): p is dashboard.RowPanel {
  return p.type === "row";
}

/** Numbers the panels 1..n in order (Grafana wants unique ids; the SDK leaves them unset). */
export function numberPanels(d: dashboard.Dashboard): dashboard.Dashboard {
  let id = 0;
  for (const p of d.panels ?? []) {
    p.id = ++id;
    if (isRow(p)) for (const inner of p.panels) inner.id = ++id;
  }
  return d;
}

/** Metrics from prom-client's collectDefaultMetrics(), which every node also exports. */
export const PROCESS = {
  cpu: "process_cpu_seconds_total",
  cpuUser: "process_cpu_user_seconds_total",
  cpuSystem: "process_cpu_system_seconds_total",
  startTime: "process_start_time_seconds",
  residentMemory: "process_resident_memory_bytes",
  heapUsed: "nodejs_heap_size_used_bytes",
  eventLoopLagP50: "nodejs_eventloop_lag_p50_seconds",
  eventLoopLagP99: "nodejs_eventloop_lag_p99_seconds",
  eventLoopLagMax: "nodejs_eventloop_lag_max_seconds",
} as const;

/** What both dashboards share: tags, time range, refresh, shared crosshair, links to each other. */
export function dashboardShell(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["raft-ts"])
    .editable()
    .timezone("browser")
    .time({ from: "now-30m", to: "now" })
    .refresh("10s")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder("raft-ts dashboards")
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(["raft-ts"])
        .asDropdown(false)
        .includeVars(false)
        .keepTime(true),
    )
    .withVariable(datasourceVariable());
}
