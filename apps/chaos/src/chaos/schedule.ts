import type { LinkConditions } from "../link-map.js";
import { deriveSeed, seededRng, type Rng } from "../rng.js";

/**
 * The fault schedule of a chaos run, drawn from its seed alone: the same seed, node count and
 * duration always give the same schedule (what happens at run time, such as which node leads
 * when "isolate-leader" fires, is recorded in the run's log instead).
 */

export type FaultKind = "kill" | "pause" | "isolate-leader" | "isolate" | "split" | "cut-one-way" | "conditions";

export const FAULT_KINDS: readonly FaultKind[] = ["kill", "pause", "isolate-leader", "isolate", "split", "cut-one-way", "conditions"];

export interface ScheduledFault {
  readonly index: number;
  readonly kind: FaultKind;
  /** Milliseconds after the start of the fault phase. */
  readonly atMs: number;
  /** When it is reverted (the node restarted or continued, the link healed, the conditions cleared). */
  readonly revertAtMs: number;
  /** kill, pause, isolate: the node; isolate-leader: the node isolated if no leader is known then. */
  readonly node?: number;
  /** split: the two sides. */
  readonly groups?: readonly (readonly number[])[];
  /** cut-one-way: `from` can no longer reach `to`. */
  readonly from?: number;
  readonly to?: number;
  readonly conditions?: LinkConditions;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly durationMs: number;
}

/** Faults start this far apart, at random. */
export const GAP_MS: readonly [number, number] = [500, 2000];
/** And last this long (a pause is sometimes much shorter: see PAUSE_SHORT_MS). */
export const LENGTH_MS: readonly [number, number] = [300, 3000];
/** A short pause: below the election timeout's upper end (100 ms), so followers may or may not campaign. */
export const PAUSE_SHORT_MS: readonly [number, number] = [20, 90];
/**
 * A killed node is counted as down for this long after its restart, the time a node process
 * takes to start and serve again, so that the minority bound holds in practice too.
 */
export const RESTART_MARGIN_MS = 2500;

/** The most nodes that may be killed or paused at once: a minority, so a majority can always make progress. */
export function maxDown(nodes: number): number {
  return Math.floor((nodes - 1) / 2);
}

/** Until when a process fault keeps its node down, as the schedule counts it. */
export function downUntil(f: ScheduledFault): number {
  return f.revertAtMs + (f.kind === "kill" ? RESTART_MARGIN_MS : 0);
}

const isProcess = (k: FaultKind) => k === "kill" || k === "pause";
const isNetwork = (k: FaultKind) => k === "isolate-leader" || k === "isolate" || k === "split" || k === "cut-one-way";

/** Relative weights of the kinds (partitions of every flavour together are the most frequent). */
const WEIGHTS: Readonly<Record<FaultKind, number>> = {
  kill: 3,
  pause: 3,
  "isolate-leader": 2,
  isolate: 1,
  split: 1,
  "cut-one-way": 2,
  conditions: 2,
};

export function drawSchedule(o: ScheduleOptions): ScheduledFault[] {
  if (!Number.isInteger(o.nodes) || o.nodes < 3) throw new RangeError(`a chaos run needs at least 3 nodes, got ${o.nodes}`);
  const rng = seededRng(deriveSeed(o.seed, 0xc4a05));
  const ids = Array.from({ length: o.nodes }, (_, i) => i + 1);
  const faults: ScheduledFault[] = [];
  for (let t = uniform(rng, GAP_MS); t < o.durationMs; t += uniform(rng, GAP_MS)) {
    const active = faults.filter((f) => (isProcess(f.kind) ? downUntil(f) : f.revertAtMs) > t);
    const down = new Set(active.filter((f) => isProcess(f.kind)).map((f) => f.node!));
    const allowed = FAULT_KINDS.filter((k) => {
      if (isProcess(k)) return down.size < maxDown(o.nodes);
      if (isNetwork(k)) return !active.some((f) => isNetwork(f.kind));
      return !active.some((f) => f.kind === "conditions");
    });
    if (allowed.length === 0) continue;
    const kind = weighted(rng, allowed);
    let length = uniform(rng, LENGTH_MS);
    if (kind === "pause" && rng() < 0.3) length = uniform(rng, PAUSE_SHORT_MS);
    const base = { index: faults.length, kind, atMs: t, revertAtMs: Math.min(t + length, o.durationMs) };
    switch (kind) {
      case "kill":
      case "pause":
        faults.push({ ...base, node: pick(rng, ids.filter((id) => !down.has(id))) });
        break;
      case "isolate-leader":
      case "isolate":
        faults.push({ ...base, node: pick(rng, ids) });
        break;
      case "split": {
        const order = shuffle(rng, ids);
        const cut = 1 + Math.floor(rng() * (o.nodes - 1));
        faults.push({ ...base, groups: [order.slice(0, cut).sort((a, b) => a - b), order.slice(cut).sort((a, b) => a - b)] });
        break;
      }
      case "cut-one-way": {
        const [from, to] = shuffle(rng, ids);
        faults.push({ ...base, from: from!, to: to! });
        break;
      }
      case "conditions": {
        const minDelayMs = 1 + Math.floor(rng() * 10);
        const conditions: LinkConditions = {
          minDelayMs,
          maxDelayMs: minDelayMs + Math.floor(rng() * 11),
          drop: round3(rng() * 0.2),
          duplicate: round3(rng() * 0.05),
        };
        faults.push({ ...base, conditions });
        break;
      }
    }
  }
  return faults;
}

/** The nodes the schedule has down (killed, or paused) at time `t`. */
export function downAt(schedule: readonly ScheduledFault[], t: number): number[] {
  return schedule.filter((f) => isProcess(f.kind) && f.atMs <= t && t < downUntil(f)).map((f) => f.node!);
}

/** One line describing a fault, for the run's log. */
export function describeFault(f: ScheduledFault): string {
  switch (f.kind) {
    case "kill":
      return `SIGKILL node ${f.node}`;
    case "pause":
      return `SIGSTOP node ${f.node} for ${Math.round(f.revertAtMs - f.atMs)} ms`;
    case "isolate-leader":
      return "isolate the leader";
    case "isolate":
      return `isolate node ${f.node}`;
    case "split":
      return `partition ${f.groups!.map((g) => `{${g.join(",")}}`).join(" | ")}`;
    case "cut-one-way":
      return `cut ${f.from} -> ${f.to} (one way)`;
    case "conditions": {
      const c = f.conditions!;
      return `conditions: delay ${c.minDelayMs}-${c.maxDelayMs} ms, loss ${pct(c.drop)}, duplication ${pct(c.duplicate)}`;
    }
  }
}

const pct = (p: number | undefined) => `${((p ?? 0) * 100).toFixed(1)}%`;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

function uniform(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return Math.round(lo + rng() * (hi - lo));
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

function shuffle<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function weighted(rng: Rng, kinds: readonly FaultKind[]): FaultKind {
  const total = kinds.reduce((s, k) => s + WEIGHTS[k], 0);
  let r = rng() * total;
  for (const k of kinds) {
    r -= WEIGHTS[k];
    if (r < 0) return k;
  }
  return kinds[kinds.length - 1]!;
}
