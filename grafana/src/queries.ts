/**
 * Every panel query of the committed dashboards, read from grafana/dashboards/*.json (the files
 * Grafana loads, so what is listed is what runs). Depends only on node:fs, so tests elsewhere in
 * the repo can import it without the dashboard SDK.
 *
 * Queries use two Grafana variables, nothing else: $node (node-detail) and $__rate_interval.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface PanelQuery {
  /** The dashboard's title. */
  dashboard: string;
  /** The panel's title. */
  panel: string;
  /** The PromQL expression, variables not substituted. */
  expr: string;
}

/** The Grafana variables a panel query may use. */
export const QUERY_VARIABLES = ["$node", "$__rate_interval"] as const;

interface JsonPanel {
  title?: string;
  targets?: { expr?: unknown }[];
  panels?: JsonPanel[];
}

const dashboardsDir = new URL("../dashboards/", import.meta.url);

export function panelQueries(): { dashboard: string; panel: string; expr: string }[] {
  const out: PanelQuery[] = [];
  const visit = (dashboard: string, panels: readonly JsonPanel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr !== "string") throw new Error(`${dashboard} / ${p.title ?? "(untitled)"}: a target without a PromQL expr`);
        out.push({ dashboard, panel: p.title ?? "(untitled)", expr: t.expr });
      }
      // Collapsed rows hold their panels inside.
      visit(dashboard, p.panels ?? []);
    }
  };
  for (const file of readdirSync(dashboardsDir).filter((f) => f.endsWith(".json")).sort()) {
    const d = JSON.parse(readFileSync(new URL(file, dashboardsDir), "utf8")) as { title: string; panels?: JsonPanel[] };
    visit(d.title, d.panels ?? []);
  }
  return out;
}
