import type { ChaosCluster } from "./cluster.js";
import { describeFault, maxDown, type FaultKind, type ScheduledFault } from "./schedule.js";
import { sleep } from "../../../node/test/cluster-harness.js";

/** What became of one scheduled fault at run time. */
export interface ExecutedFault {
  readonly index: number;
  readonly kind: FaultKind;
  description: string;
  /** When it was applied, in ms after the start of the fault phase. */
  appliedAtMs?: number;
  revertedAtMs?: number;
  /** Why it was not applied (the node was not up, or it would have taken down a majority). */
  skipped?: string;
}

export interface FaultCounts {
  kills: number;
  pauses: number;
  restarts: number;
  partitions: number;
  oneWayCuts: number;
  conditions: number;
}

/**
 * Carries out a schedule against a cluster: each fault at its time, each revert at its. Keeps
 * at most a minority of nodes killed or paused (or restarted and not serving yet) at any moment,
 * whatever the schedule says, by skipping a fault that would break that.
 */
export class FaultExecutor {
  readonly executed: ExecutedFault[] = [];
  readonly counts: FaultCounts = { kills: 0, pauses: 0, restarts: 0, partitions: 0, oneWayCuts: 0, conditions: 0 };
  private readonly restarts = new Set<Promise<void>>();
  private aborted = false;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly log: (line: string) => void,
  ) {}

  /** Runs the schedule until `durationMs` after `start` (performance.now() time), or until abort(). */
  async run(schedule: readonly ScheduledFault[], start: number, durationMs: number): Promise<void> {
    const actions = schedule
      .flatMap((f) => [
        { t: f.atMs, f, apply: true },
        { t: f.revertAtMs, f, apply: false },
      ])
      .sort((a, b) => a.t - b.t || Number(a.apply) - Number(b.apply));
    const now = () => performance.now() - start;
    for (const a of actions) {
      if (this.aborted) return;
      const wait = a.t - now();
      if (wait > 0) await sleep(wait);
      if (this.aborted) return;
      if (a.apply) await this.apply(a.f, now);
      else await this.revert(a.f, now);
    }
    const rest = durationMs - now();
    if (rest > 0 && !this.aborted) await sleep(rest);
  }

  abort(): void {
    this.aborted = true;
  }

  /** Every restart started by a revert, awaited. */
  async settled(): Promise<void> {
    await Promise.all([...this.restarts]);
  }

  private line(t: number, text: string): void {
    this.log(`[${(t / 1000).toFixed(3).padStart(8)} s] ${text}`);
  }

  private async apply(f: ScheduledFault, now: () => number): Promise<void> {
    const e: ExecutedFault = { index: f.index, kind: f.kind, description: describeFault(f) };
    this.executed[f.index] = e;
    const c = this.cluster;
    if (f.kind === "kill" || f.kind === "pause") {
      const id = f.node!;
      if (c.state(id) !== "up") e.skipped = `node ${id} is ${c.state(id)}`;
      else if (c.downCount() + 1 > maxDown(c.ids.length)) e.skipped = `${c.downCount()} node(s) already down`;
      if (e.skipped !== undefined) {
        this.line(now(), `fault #${f.index} skipped (${e.description}): ${e.skipped}`);
        return;
      }
    }
    e.appliedAtMs = now();
    switch (f.kind) {
      case "kill":
        await c.kill(f.node!);
        this.counts.kills++;
        break;
      case "pause":
        c.pause(f.node!);
        this.counts.pauses++;
        break;
      case "isolate-leader": {
        const leader = await this.currentLeader();
        const target = leader ?? f.node!;
        e.description = leader === undefined ? `isolate node ${target} (no leader known)` : `isolate the leader, node ${target}`;
        c.links.isolate(target);
        this.counts.partitions++;
        break;
      }
      case "isolate":
        c.links.isolate(f.node!);
        this.counts.partitions++;
        break;
      case "split":
        c.links.partition(f.groups!);
        this.counts.partitions++;
        break;
      case "cut-one-way":
        c.links.cutOneWay(f.from!, f.to!);
        this.counts.oneWayCuts++;
        break;
      case "conditions":
        c.links.setConditions(f.conditions!);
        this.counts.conditions++;
        break;
    }
    this.line(e.appliedAtMs, `fault #${f.index}: ${e.description}`);
  }

  private async revert(f: ScheduledFault, now: () => number): Promise<void> {
    const e = this.executed[f.index];
    if (e === undefined || e.appliedAtMs === undefined) return;
    const c = this.cluster;
    let what: string;
    switch (f.kind) {
      case "kill": {
        const p = c.start(f.node!).finally(() => this.restarts.delete(p));
        this.restarts.add(p);
        this.counts.restarts++;
        what = `restart node ${f.node}`;
        break;
      }
      case "pause":
        c.resume(f.node!);
        what = `SIGCONT node ${f.node}`;
        break;
      case "conditions":
        c.links.setConditions({});
        what = "clear the link conditions";
        break;
      case "isolate-leader":
      case "isolate":
      case "split":
      case "cut-one-way":
        c.links.heal();
        what = "heal the network";
    }
    e.revertedAtMs = now();
    this.line(e.revertedAtMs, `revert #${f.index}: ${what}`);
  }

  /** The node that the up nodes report as leading in the highest term, if any. */
  private async currentLeader(): Promise<number | undefined> {
    const c = this.cluster;
    const seen = await Promise.all(c.ids.filter((id) => c.state(id) === "up").map((id) => c.status(id, 300)));
    let best: { term: number; leader: number } | undefined;
    for (const s of seen) {
      if (s?.leader == null) continue;
      if (best === undefined || s.term > best.term) best = { term: s.term, leader: s.leader };
    }
    return best?.leader;
  }
}
