import { HistoryRecorder, type KvValue } from "@raft-ts/linearizability";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runClients } from "../../../node/test/workload.js";
import { newProxyCounters } from "../counters.js";
import { ChaosCluster } from "./cluster.js";
import { finalReads, linearizable, staleReadsAgree, StatusMonitor, waitForConvergence, type CheckOutcome, type Convergence } from "./checks.js";
import { onInterrupt } from "../../../node/test/interrupt-cleanup.js";
import { FaultExecutor } from "./executor.js";
import { logsAgree } from "./log-check.js";
import { countFaults, countOperations, faultTotals, proxySummary, reportTable, type ChaosReport } from "./report.js";
import { drawSchedule } from "./schedule.js";

export interface ChaosOptions {
  /** Seconds of faults (default 60). */
  readonly durationS?: number;
  /** Default: random (always printed). */
  readonly seed?: number;
  /** 3 or 5 (default 3). */
  readonly nodes?: number;
  /** Keep the run directory even when the run passes. */
  readonly keep?: boolean;
  /** Where progress lines go (default console.log). */
  readonly log?: (line: string) => void;
  /** Bound on the convergence after the faults stop (default 30 s). */
  readonly convergeTimeoutMs?: number;
}

export interface ChaosResult {
  readonly passed: boolean;
  readonly report: ChaosReport;
  /** The run directory: removed when the run passed (unless keep), else kept for inspection. */
  readonly runDir: string;
  readonly runDirKept: boolean;
  /** Every node process the run spawned (all stopped by the time runChaos returns). */
  readonly pids: readonly number[];
  readonly replay: string;
}

export const CLIENTS = 4;
export const KEYS = ["k0", "k1", "k2", "k3", "k4"];

/**
 * A chaos run: N real nodes with a proxy on every peer link, four clients recording a history,
 * faults drawn from the seed for `durationS`, then every fault stopped, convergence awaited and
 * the checks made. Nothing is left running afterwards, whatever happens.
 */
export async function runChaos(options: ChaosOptions = {}): Promise<ChaosResult> {
  const durationS = options.durationS ?? 60;
  const nodes = options.nodes ?? 3;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const log = options.log ?? ((line: string) => console.log(line));
  const replay = `pnpm chaos --seed ${seed} --nodes ${nodes} --duration ${durationS}`;
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "raft-chaos-"));
  log(`chaos: seed ${seed}, ${nodes} nodes, ${durationS} s of faults; run directory ${dir}`);

  const schedule = drawSchedule({ seed, nodes, durationMs: durationS * 1000 });
  const history = new HistoryRecorder();
  const checks: CheckOutcome[] = [];
  let cluster: ChaosCluster | undefined;
  let monitor: StatusMonitor | undefined;
  let executor: FaultExecutor | undefined;
  let clientsRunning = false;
  let clients: Promise<unknown> | undefined;
  let convergence: Convergence | undefined;
  let failureText: string | undefined;

  const teardown = async () => {
    executor?.abort();
    clientsRunning = false;
    await monitor?.stop();
    await cluster?.stop();
    await clients;
  };
  const unregister = onInterrupt(async () => {
    await teardown();
    if (options.keep !== true) rmSync(dir, { recursive: true, force: true });
  });

  try {
    cluster = await ChaosCluster.create({ size: nodes, seed, dir, elapsed: () => performance.now() - started });
    const c = cluster;
    await Promise.all(c.ids.map((id) => c.start(id)));
    const firstLeader = await waitForConvergence(c, 30_000, async () => {});
    if (!firstLeader.ok) throw new Error(`the cluster did not elect a leader: ${firstLeader.detail}`);
    log(`leader: node ${firstLeader.leader} (${((performance.now() - started) / 1000).toFixed(1)} s after the start)`);
    monitor = new StatusMonitor(c);

    clientsRunning = true;
    clients = runClients(history, {
      clients: CLIENTS,
      keys: KEYS,
      targets: () => {
        const up = c.upUrls();
        return up.length > 0 ? up : c.ids.map((id) => c.url(id));
      },
      running: () => clientsRunning,
    });

    executor = new FaultExecutor(c, log);
    const faultStart = performance.now();
    await executor.run(schedule, faultStart, durationS * 1000);

    // Stop the faults: a perfect network, every node running.
    log(`[${((performance.now() - faultStart) / 1000).toFixed(3).padStart(8)} s] faults stop: heal, clear conditions, continue and restart every node`);
    c.links.clearFaults();
    for (const id of c.ids) c.resume(id);
    await executor.settled();
    await Promise.all(c.ids.filter((id) => !c.isRunning(id)).map((id) => c.start(id)));

    const convergeTimeoutMs = options.convergeTimeoutMs ?? 30_000;
    convergence = await waitForConvergence(
      c,
      convergeTimeoutMs,
      async () => {
        clientsRunning = false;
        await clients;
      },
      monitor,
    );
    await monitor.stop();
    checks.push({ name: "convergence", ok: convergence.ok, detail: convergence.detail });

    let values: Map<string, KvValue | null> | undefined;
    if (convergence.ok && convergence.leader !== undefined) {
      const reads = await finalReads(c, convergence.leader, KEYS, history);
      checks.push({ name: "final reads", ok: reads.errors.length === 0, detail: reads.errors.length === 0 ? `read ${KEYS.length} keys through leader ${convergence.leader}` : reads.errors.join("; ") });
      values = reads.values;
    } else {
      checks.push({ name: "final reads", ok: false, detail: "skipped: the cluster did not converge" });
    }
    if (values !== undefined && values.size === KEYS.length) checks.push(await staleReadsAgree(c, values));
    else checks.push({ name: "applied states agree", ok: false, detail: "skipped: no final value of every key" });

    const lin = linearizable(history);
    checks.push({ name: lin.name, ok: lin.ok, detail: lin.detail });
    if (lin.rendered !== undefined) failureText = lin.rendered;

    checks.push({
      name: "election safety",
      ok: monitor.conflicts.length === 0,
      detail: monitor.conflicts.length === 0 ? `at most one leader per term in ${monitor.leaders.size} terms with a leader seen` : monitor.conflicts.join("; "),
    });
    checks.push({
      name: "no crashes",
      ok: c.unexpectedExits.length === 0,
      detail: c.unexpectedExits.length === 0 ? "no node exited unless killed" : c.unexpectedExits.join("; "),
    });
  } catch (e) {
    checks.push({ name: "run", ok: false, detail: e instanceof Error ? e.message : String(e) });
  } finally {
    await teardown();
    unregister();
  }
  // Read from the data directories, so only once every node has stopped.
  if (cluster !== undefined && convergence?.ok === true && convergence.commit !== undefined) {
    checks.push(logsAgree(dir, cluster.ids, convergence.commit));
  } else {
    checks.push({ name: "logs agree", ok: false, detail: "skipped: the cluster did not converge" });
  }

  const passed = checks.length > 0 && checks.every((x) => x.ok);
  const terms = monitor?.terms ?? new Set<number>();
  const executed = executor?.executed ?? [];
  const report: ChaosReport = {
    seed,
    nodes,
    durationS,
    elapsedS: Math.round(performance.now() - started) / 1000,
    operations: countOperations(history.history()),
    faults: countFaults(executed),
    ...faultTotals(executor?.counts ?? { kills: 0, pauses: 0, restarts: 0, partitions: 0, oneWayCuts: 0, conditions: 0 }),
    proxy: proxySummary(cluster?.links.totals() ?? newProxyCounters()),
    elections: [...terms].filter((t) => t > 0).length,
    maxTerm: Math.max(0, ...terms),
    convergenceMs: convergence?.ok === true ? convergence.ms : null,
    checks,
    passed,
  };

  log("");
  for (const line of reportTable(report)) log(line);
  const saveArtifacts = () => {
    writeFileSync(join(dir, "history.json"), JSON.stringify(history.history(), null, 1));
    writeFileSync(join(dir, "schedule.json"), JSON.stringify({ seed, nodes, durationS, schedule, executed: executed.filter(Boolean) }, null, 2));
    writeFileSync(join(dir, "report.json"), JSON.stringify(report, null, 2));
  };
  let kept = options.keep === true;
  if (!passed) {
    kept = true;
    saveArtifacts();
    if (failureText !== undefined) {
      writeFileSync(join(dir, "linearizability.txt"), failureText);
      log("");
      log(failureText);
    }
    log("");
    log(`FAILED. seed ${seed}; replay with: ${replay}`);
    log(`the run directory is kept: ${dir} (history.json, schedule.json, report.json, node-N.log)`);
  } else if (kept) {
    saveArtifacts();
    log(`the run directory is kept (--keep): ${dir}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
  return { passed, report, runDir: dir, runDirKept: kept, pids: cluster?.pids ?? [], replay };
}
