import type { KvOperation, OpKind } from "@raft-ts/linearizability";
import type { ProxyCounters } from "../counters.js";
import type { CheckOutcome } from "./checks.js";
import type { ExecutedFault, FaultCounts } from "./executor.js";
import { FAULT_KINDS, type FaultKind } from "./schedule.js";

export interface OutcomeCounts {
  ok: number;
  failed: number;
  unknown: number;
}

export interface ChaosReport {
  readonly seed: number;
  readonly nodes: number;
  /** The requested fault phase, in seconds. */
  readonly durationS: number;
  /** The whole run, start to checks, in seconds. */
  readonly elapsedS: number;
  readonly operations: OutcomeCounts & { readonly total: number; readonly byOp: Record<OpKind, OutcomeCounts> };
  readonly faults: { readonly applied: number; readonly skipped: number; readonly byKind: Record<FaultKind, number> };
  readonly kills: number;
  readonly pauses: number;
  readonly restarts: number;
  readonly partitions: number;
  readonly oneWayCuts: number;
  readonly conditions: number;
  readonly proxy: {
    readonly framesForwarded: number;
    readonly framesDropped: number;
    readonly framesDuplicated: number;
    readonly framesBlackholed: number;
    readonly connectionsReset: number;
  };
  /** Distinct terms seen in /status during the run. */
  readonly elections: number;
  readonly maxTerm: number;
  readonly convergenceMs: number | null;
  readonly checks: readonly CheckOutcome[];
  readonly passed: boolean;
}

export function countOperations(ops: readonly KvOperation[]): ChaosReport["operations"] {
  const zero = (): OutcomeCounts => ({ ok: 0, failed: 0, unknown: 0 });
  const byOp: Record<OpKind, OutcomeCounts> = { put: zero(), get: zero(), delete: zero() };
  const all = zero();
  for (const o of ops) {
    const field = o.status === "ok" ? "ok" : o.status === "fail" ? "failed" : "unknown";
    byOp[o.op][field]++;
    all[field]++;
  }
  return { ...all, total: ops.length, byOp };
}

export function countFaults(executed: readonly (ExecutedFault | undefined)[]): ChaosReport["faults"] {
  const byKind = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  let applied = 0;
  let skipped = 0;
  for (const e of executed) {
    if (e === undefined) continue;
    if (e.appliedAtMs === undefined) {
      skipped++;
      continue;
    }
    applied++;
    byKind[e.kind]++;
  }
  return { applied, skipped, byKind };
}

export function proxySummary(t: ProxyCounters): ChaosReport["proxy"] {
  const sum = (f: "framesForwarded" | "framesDropped" | "framesDuplicated" | "framesBlackholed") => t.forward[f] + t.backward[f];
  return {
    framesForwarded: sum("framesForwarded"),
    framesDropped: sum("framesDropped"),
    framesDuplicated: sum("framesDuplicated"),
    framesBlackholed: sum("framesBlackholed"),
    connectionsReset: t.connectionsReset + t.connectionsRefused,
  };
}

export function faultTotals(c: FaultCounts): Pick<ChaosReport, "kills" | "pauses" | "restarts" | "partitions" | "oneWayCuts" | "conditions"> {
  return { ...c };
}

/** The report as an aligned two-column table. */
export function reportTable(r: ChaosReport): string[] {
  const o = r.operations;
  const op = (k: OpKind) => `${o.byOp[k].ok} ok / ${o.byOp[k].failed} failed / ${o.byOp[k].unknown} unknown`;
  const kinds = FAULT_KINDS.filter((k) => r.faults.byKind[k] > 0).map((k) => `${k} ${r.faults.byKind[k]}`);
  const rows: [string, string][] = [
    ["result", r.passed ? "PASS" : "FAIL"],
    ["seed", String(r.seed)],
    ["nodes", String(r.nodes)],
    ["duration", `${r.durationS} s of faults, ${r.elapsedS.toFixed(1)} s in all`],
    ["operations", `${o.total}: ${o.ok} ok / ${o.failed} failed / ${o.unknown} unknown`],
    ["  put", op("put")],
    ["  get", op("get")],
    ["  delete", op("delete")],
    ["faults", `${r.faults.applied} applied${r.faults.skipped > 0 ? `, ${r.faults.skipped} skipped (minority bound)` : ""}`],
    ["  by kind", kinds.join(", ") || "none"],
    ["kills / restarts", `${r.kills} / ${r.restarts}`],
    ["pauses", String(r.pauses)],
    ["partitions", `${r.partitions} (+ ${r.oneWayCuts} one-way cuts)`],
    ["link conditions", String(r.conditions)],
    ["proxy frames", `${r.proxy.framesForwarded} forwarded, ${r.proxy.framesDropped} dropped, ${r.proxy.framesDuplicated} duplicated, ${r.proxy.framesBlackholed} blackholed`],
    ["proxy connections reset", String(r.proxy.connectionsReset)],
    ["elections (terms seen)", `${r.elections} (highest term ${r.maxTerm})`],
    ["convergence", r.convergenceMs === null ? "not reached" : `${r.convergenceMs} ms`],
    ...r.checks.map((c): [string, string] => [`check: ${c.name}`, `${c.ok ? "ok" : "FAILED"}: ${c.detail}`]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}
