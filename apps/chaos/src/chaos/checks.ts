import { checkHistory, renderFailure, type HistoryRecorder, type KvValue } from "@raft-ts/linearizability";
import { request, sleep } from "../../../node/test/cluster-harness.js";
import type { ChaosCluster, StatusWithUrl } from "./cluster.js";

export interface CheckOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * Watches /status of every serving node during the run: the terms seen (one per election
 * that got anywhere) and, per term, which node claimed to lead (two in one term would break
 * Raft's election safety).
 */
export class StatusMonitor {
  readonly terms = new Set<number>();
  readonly leaders = new Map<number, number>();
  readonly conflicts: string[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly cluster: ChaosCluster) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const c = this.cluster;
      const seen = await Promise.all(c.ids.filter((id) => c.state(id) === "up").map((id) => c.status(id, 300)));
      for (const s of seen) if (s !== undefined) this.observe(s);
      await sleep(100);
    }
  }

  observe(s: StatusWithUrl): void {
    this.terms.add(s.term);
    if (s.role !== "leader") return;
    const other = this.leaders.get(s.term);
    if (other === undefined) this.leaders.set(s.term, s.id);
    else if (other !== s.id) this.conflicts.push(`term ${s.term}: nodes ${other} and ${s.id} both reported being leader`);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

export interface Convergence {
  readonly ok: boolean;
  readonly ms: number;
  readonly leader?: number;
  /** The commit index every node reported (equal on all of them) when they converged. */
  readonly commit?: number;
  readonly detail: string;
}

/**
 * Waits (bounded) until every node names the same leader, in the same term, with the same
 * commit and applied indexes. `settle` runs once every node agrees on the leader and has
 * applied what the leader had committed when the wait began (the clients are still running
 * until then, so the cluster is shown to serve); exact equality of the indexes is then awaited
 * with no writes in flight.
 */
export async function waitForConvergence(cluster: ChaosCluster, timeoutMs: number, settle: () => Promise<void>, monitor?: StatusMonitor): Promise<Convergence> {
  const start = performance.now();
  const deadline = start + timeoutMs;
  let target: number | undefined;
  let settled = false;
  let last: (StatusWithUrl | undefined)[] = [];
  while (performance.now() < deadline) {
    last = await Promise.all(cluster.ids.map((id) => cluster.status(id, 1000)));
    for (const s of last) if (s !== undefined) monitor?.observe(s);
    const first = last[0];
    const agree =
      first?.leader != null && last.every((s) => s !== undefined && s.leader === first.leader && s.term === first.term);
    if (agree) {
      const leaderStatus = last.find((s) => s!.id === first.leader)!;
      if (!settled) {
        target ??= leaderStatus.commit;
        if (last.every((s) => s!.applied >= target!)) {
          await settle();
          settled = true;
          continue;
        }
      } else if (last.every((s) => s!.commit === first.commit && s!.applied === first.applied && s!.applied === s!.commit)) {
        const ms = Math.round(performance.now() - start);
        return { ok: true, ms, leader: first.leader!, commit: first.commit, detail: `leader ${first.leader}, term ${first.term}, commit = applied = ${first.commit} on every node after ${ms} ms` };
      }
    }
    await sleep(100);
  }
  if (!settled) await settle();
  const views = last.map((s, i) => (s === undefined ? `node ${cluster.ids[i]}: no answer` : `node ${s.id}: leader ${s.leader} term ${s.term} commit ${s.commit} applied ${s.applied}`));
  return { ok: false, ms: Math.round(performance.now() - start), detail: `no convergence within ${timeoutMs} ms; last seen: ${views.join("; ")}` };
}

/** Linearizable reads of every key through the leader, recorded in the history. Returns the values read. */
export async function finalReads(
  cluster: ChaosCluster,
  leader: number,
  keys: readonly string[],
  history: HistoryRecorder,
): Promise<{ values: Map<string, KvValue | null>; errors: string[] }> {
  const values = new Map<string, KvValue | null>();
  const errors: string[] = [];
  for (const key of keys) {
    const h = history.invoke("final-check", "get", key);
    try {
      const r = await request("GET", `${cluster.url(leader)}/kv/${key}`, undefined, {}, 5000);
      if (r.status === 200) {
        history.ok(h, r.text);
        values.set(key, r.text);
      } else if (r.status === 404) {
        history.ok(h, null);
        values.set(key, null);
      } else {
        history.unknown(h);
        errors.push(`GET ${key} from the leader answered ${r.status} ${r.text.slice(0, 200)}`);
      }
    } catch (e) {
      history.unknown(h);
      errors.push(`GET ${key} from the leader failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { values, errors };
}

/** Every node's stale (local) read of every key must equal the leader's value. */
export async function staleReadsAgree(cluster: ChaosCluster, expected: ReadonlyMap<string, KvValue | null>): Promise<CheckOutcome> {
  const mismatches: string[] = [];
  for (const id of cluster.ids) {
    for (const [key, value] of expected) {
      try {
        const r = await request("GET", `${cluster.url(id)}/kv/${key}?consistency=stale`, undefined, {}, 5000);
        const got = r.status === 200 ? r.text : r.status === 404 ? null : `<${r.status}>`;
        if (got !== value) mismatches.push(`node ${id} ${key}: ${JSON.stringify(got)}, leader: ${JSON.stringify(value)}`);
      } catch (e) {
        mismatches.push(`node ${id} ${key}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return {
    name: "applied states agree",
    ok: mismatches.length === 0,
    detail: mismatches.length === 0 ? `${cluster.ids.length} nodes x ${expected.size} keys: every stale read equals the leader's value` : mismatches.join("; "),
  };
}

/** The whole history must be linearizable. */
export function linearizable(history: HistoryRecorder): CheckOutcome & { rendered?: string } {
  const ops = history.history();
  const t = performance.now();
  const result = checkHistory(ops);
  const ms = Math.round(performance.now() - t);
  if (result.ok === true) return { name: "linearizable", ok: true, detail: `${ops.length} operations, checked in ${ms} ms` };
  if (result.ok === false) {
    const rendered = renderFailure(result);
    return { name: "linearizable", ok: false, detail: `key ${result.key} is not linearizable`, rendered };
  }
  return { name: "linearizable", ok: false, detail: `the checker could not decide (key ${result.key}): ${result.reason}` };
}
