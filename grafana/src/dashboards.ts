/** The dashboards and the files they are committed as. */
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { clusterOverview } from "./cluster-overview.js";
import { nodeDetail } from "./node-detail.js";

export interface DashboardFile {
  /** File name in grafana/dashboards/. */
  readonly file: string;
  readonly build: () => dashboard.Dashboard;
}

export const DASHBOARDS: readonly DashboardFile[] = [
  { file: "cluster-overview.json", build: clusterOverview },
  { file: "node-detail.json", build: nodeDetail },
];

/** The committed form: two-space JSON with a final newline. */
export function render(d: dashboard.Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

/** grafana/dashboards/, where the generated JSON lives (and Grafana's file provider reads). */
export const DASHBOARDS_DIR = new URL("../dashboards/", import.meta.url);
