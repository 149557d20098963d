/**
 * The committed dashboards against Grafana's dashboard schema, twice:
 *  - at compile time (`pnpm typecheck`): each JSON file is assigned to @grafana/schema's
 *    Dashboard type, enums loosened to the strings and numbers they are in JSON;
 *  - at run time: the fields Grafana needs to load and lay out a dashboard.
 */
import type { Dashboard as SchemaDashboard } from "@grafana/schema";
import { describe, expect, it } from "vitest";
import clusterOverview from "../dashboards/cluster-overview.json" with { type: "json" };
import nodeDetail from "../dashboards/node-detail.json" with { type: "json" };

/** A type as JSON holds it: enum members become plain strings and numbers. */
type AsJson<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends null | undefined
        ? T
        : T extends readonly (infer E)[]
          ? AsJson<E>[]
          : T extends object
            ? { [K in keyof T]: AsJson<T[K]> }
            : T;

type GrafanaDashboardJson = AsJson<SchemaDashboard>;

// Compile-time checks: these assignments fail `tsc` if a file leaves the schema.
const typed: Record<string, GrafanaDashboardJson> = {
  "cluster-overview.json": clusterOverview,
  "node-detail.json": nodeDetail,
};
// ...and the check is not vacuous:
// @ts-expect-error schemaVersion is a number
export const wrongSchemaVersion: GrafanaDashboardJson = { ...nodeDetail, schemaVersion: "42" };
// @ts-expect-error a gridPos needs x, y, w and h
export const wrongGridPos: GrafanaDashboardJson = { ...nodeDetail, panels: [{ type: "timeseries", gridPos: { x: 0, y: 0 } }] };

/** The panel types these dashboards use, all built into Grafana. */
const PANEL_TYPES = new Set(["row", "stat", "timeseries", "state-timeline"]);

interface Problem {
  where: string;
  what: string;
}

/** Runtime structural check of a dashboard's JSON: what Grafana needs to load and render it. */
export function structuralProblems(d: unknown): Problem[] {
  const problems: Problem[] = [];
  const bad = (where: string, what: string) => problems.push({ where, what });
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(d)) return [{ where: "dashboard", what: "not an object" }];
  if (typeof d.uid !== "string" || !/^[a-zA-Z0-9_-]{1,40}$/.test(d.uid)) bad("uid", `must be 1-40 of [a-zA-Z0-9_-], got ${JSON.stringify(d.uid)}`);
  if (typeof d.title !== "string" || d.title === "") bad("title", "missing");
  if (!Number.isInteger(d.schemaVersion) || (d.schemaVersion as number) < 36) bad("schemaVersion", `expected an integer >= 36, got ${String(d.schemaVersion)}`);
  if (!isObj(d.templating) || !Array.isArray(d.templating.list)) bad("templating.list", "missing");
  if (!Array.isArray(d.panels) || d.panels.length === 0) return [...problems, { where: "panels", what: "missing or empty" }];

  const ids = new Set<number>();
  const cells = new Map<string, string>();
  for (const [i, p] of d.panels.entries()) {
    const where = `panels[${i}]${isObj(p) && typeof p.title === "string" ? ` "${p.title}"` : ""}`;
    if (!isObj(p)) {
      bad(where, "not an object");
      continue;
    }
    if (typeof p.type !== "string" || !PANEL_TYPES.has(p.type)) bad(where, `unknown type ${String(p.type)}`);
    if (!Number.isInteger(p.id) || ids.has(p.id as number)) bad(where, `id ${String(p.id)} missing or repeated`);
    ids.add(p.id as number);
    if (typeof p.title !== "string" || p.title === "") bad(where, "no title");
    const g = p.gridPos;
    if (!isObj(g) || ![g.x, g.y, g.w, g.h].every(Number.isInteger)) {
      bad(where, "gridPos needs integer x, y, w, h");
    } else {
      const [x, y, w, h] = [g.x, g.y, g.w, g.h] as number[];
      if (x! < 0 || y! < 0 || w! < 1 || h! < 1 || x! + w! > 24) bad(where, `gridPos ${JSON.stringify(g)} off the 24-column grid`);
      for (let cx = x!; cx < x! + w!; cx++) {
        for (let cy = y!; cy < y! + h!; cy++) {
          const other = cells.get(`${cx},${cy}`);
          if (other !== undefined) bad(where, `overlaps ${other}`);
          cells.set(`${cx},${cy}`, where);
        }
      }
    }
    if (p.type === "row") {
      if (isObj(g) && g.w !== 24) bad(where, "a row spans the full width");
      continue;
    }
    if (!isObj(p.datasource) || p.datasource.type !== "prometheus" || typeof p.datasource.uid !== "string") bad(where, "datasource must be a Prometheus ref");
    if (!Array.isArray(p.targets) || p.targets.length === 0) {
      bad(where, "no targets");
      continue;
    }
    const refIds = new Set<string>();
    for (const t of p.targets) {
      if (!isObj(t) || typeof t.expr !== "string" || t.expr === "") bad(where, "a target without expr");
      else if (typeof t.refId !== "string" || refIds.has(t.refId)) bad(where, `target refId ${String(t.refId)} missing or repeated`);
      else refIds.add(t.refId);
      if (isObj(t) && (!isObj(t.datasource) || t.datasource.type !== "prometheus")) bad(where, "a target without its Prometheus datasource");
    }
    if (!isObj(p.fieldConfig) || !isObj(p.fieldConfig.defaults)) bad(where, "fieldConfig.defaults missing");
  }
  return problems;
}

describe("dashboards against Grafana's dashboard schema", () => {
  it.each(Object.entries(typed))("%s has every field Grafana needs", (_file, d) => {
    expect(structuralProblems(d)).toEqual([]);
  });

  it("the structural check finds what is wrong", () => {
    const broken = structuredClone(nodeDetail) as unknown as { uid: string; panels: Record<string, unknown>[] };
    broken.uid = "";
    delete broken.panels[1]!.datasource;
    broken.panels[2]!.targets = [];
    broken.panels[3]!.gridPos = broken.panels[2]!.gridPos;
    broken.panels[4]!.id = broken.panels[5]!.id;
    const found = structuralProblems(broken).map((p) => p.what);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^must be 1-40/),
        "datasource must be a Prometheus ref",
        "no targets",
        expect.stringMatching(/^overlaps/),
        expect.stringMatching(/missing or repeated$/),
      ]),
    );
    expect(structuralProblems({ ...nodeDetail, schemaVersion: undefined }).map((p) => p.where)).toEqual(["schemaVersion"]);
  });
});
