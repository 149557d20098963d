/**
 * Every series name a raft-ts node exports: the catalog (a histogram as its _bucket, _sum and
 * _count series), prom-client's default process and Node.js metrics as the node registers them,
 * and Prometheus' own `up`.
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import { METRICS, type MetricSpec } from "../../apps/node/src/metrics/catalog.js";

/** Removed by NodeMetrics (gauges named like counters; promtool check metrics rejects them). */
const REMOVED_DEFAULTS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

function series(name: string, type: string): string[] {
  return type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
}

export function catalogSeries(): Set<string> {
  return new Set((Object.values(METRICS) as MetricSpec[]).flatMap((s) => series(s.name, s.type)));
}

export async function defaultSeries(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = await registry.getMetricsAsJSON();
  return new Set(metrics.filter((m) => !REMOVED_DEFAULTS.includes(m.name)).flatMap((m) => series(m.name, String(m.type))));
}

export async function knownSeries(): Promise<Set<string>> {
  return new Set([...catalogSeries(), ...(await defaultSeries()), "up"]);
}
