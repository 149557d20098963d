// `pnpm bench ui`: what an open live view (/ui) costs a cluster under write load. The closed-loop
// PUT load of `pnpm bench write`, at one concurrency, in alternating phases without and with a
// page's worth of /events streams (the page opens one per node and parses every event), on the
// same cluster in the same run; the medians of each kind of phase are compared.
import { Pool } from "undici";
import { addStats, EventStreamReader, type EventStreamStats } from "./event-stream-reader.js";
import { runClosedLoop } from "./load.js";
import { percentile } from "./stats.js";
import { startRaftTs } from "./targets/raft-ts.js";
import { LiveViewBrowser } from "./ui-browser.js";
import { WRITE_DEFAULTS } from "./write.js";

export interface UiBenchOptions {
  readonly concurrency: number;
  /** Measured time per phase. */
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Phases of each kind; they alternate, in ABBA order, so drift hits both kinds alike. */
  readonly rounds: number;
  readonly nodes: number;
  /**
   * What observes the cluster in the observed phases: "streams", one /events reader per node in
   * this process (the page's load on the nodes, nothing else), or "browser", the real page in
   * Chromium on this same machine (its drawing competes with the nodes for the CPU too).
   */
  readonly observer: "streams" | "browser";
}

export const UI_DEFAULTS: UiBenchOptions = { concurrency: 64, durationMs: 5000, warmupMs: 1000, rounds: 4, nodes: 3, observer: "streams" };

export interface UiPhase {
  /** Whether the event streams were open during the phase. */
  readonly observed: boolean;
  readonly commitsPerSec: number;
  readonly p99Ms: number;
}

export interface UiResult {
  readonly observer: "streams" | "browser";
  readonly nodes: number;
  readonly concurrency: number;
  readonly durationMs: number;
  /** In the order they ran. */
  readonly phases: readonly UiPhase[];
  readonly medianWithout: { readonly commitsPerSec: number; readonly p99Ms: number };
  readonly medianWith: { readonly commitsPerSec: number; readonly p99Ms: number };
  /** Median commits/s with the streams open over without (target: within a few percent of 1). */
  readonly throughputRatio: number;
  readonly p99Ratio: number;
  /** What the streams delivered over all observed phases (proof that they were live); "streams" only. */
  readonly streams?: EventStreamStats & { readonly seconds: number };
  /** "browser" only: how many nodes the page showed up at the end of each observed phase. */
  readonly pageNodesUp?: readonly number[];
}

function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export async function runUiBench(o: UiBenchOptions, onProgress: (line: string) => void = () => {}): Promise<UiResult> {
  onProgress(`starting ${o.nodes} nodes`);
  const cluster = await startRaftTs(o.nodes, WRITE_DEFAULTS.timing);
  const phases: UiPhase[] = [];
  const stats: EventStreamStats[] = [];
  const pageNodesUp: number[] = [];
  let observedSeconds = 0;
  let browser: LiveViewBrowser | undefined;
  try {
    if (o.observer === "browser") browser = await LiveViewBrowser.launch();
    const order = Array.from({ length: o.rounds }, (_, r) => (r % 2 === 0 ? [false, true] : [true, false])).flat();
    for (const [i, observed] of order.entries()) {
      const readers = observed && browser === undefined ? cluster.nodeOrigins().map((u) => new EventStreamReader(`${u}/events`)) : [];
      await Promise.all(readers.map((r) => r.start()));
      const page = observed && browser !== undefined ? await browser.open(cluster.nodeOrigins()[0]!, o.nodes) : undefined;
      const pool = new Pool(await cluster.leaderOrigin(), { connections: o.concurrency, pipelining: 1 });
      const label = `phase ${i + 1}/${order.length} (${observed ? "with" : "without"} the ${o.observer === "browser" ? "page" : "streams"})`;
      const started = performance.now();
      try {
        const level = await runClosedLoop(
          { ...WRITE_DEFAULTS, concurrency: o.concurrency, durationMs: o.durationMs, warmupMs: o.warmupMs, seed: WRITE_DEFAULTS.seed + i },
          (key, value) => cluster.put(pool, key, value),
          (done) => onProgress(`${label}: ${done} commits`),
        );
        phases.push({ observed, commitsPerSec: level.commitsPerSec, p99Ms: level.latency.p99 });
        onProgress(`${label}: ${level.commitsPerSec.toFixed(0)} commits/s`);
      } finally {
        await pool.close();
        if (page !== undefined) {
          pageNodesUp.push(await LiveViewBrowser.nodesUp(page));
          await page.close();
        }
        if (observed) {
          stats.push(...(await Promise.all(readers.map((r) => r.stop()))));
          observedSeconds += (performance.now() - started) / 1000;
        }
      }
    }
  } finally {
    await browser?.close();
    await cluster.stop();
  }
  const pick = (observed: boolean) => phases.filter((p) => p.observed === observed);
  const medianWithout = { commitsPerSec: median(pick(false).map((p) => p.commitsPerSec)), p99Ms: median(pick(false).map((p) => p.p99Ms)) };
  const medianWith = { commitsPerSec: median(pick(true).map((p) => p.commitsPerSec)), p99Ms: median(pick(true).map((p) => p.p99Ms)) };
  return {
    observer: o.observer,
    nodes: o.nodes,
    concurrency: o.concurrency,
    durationMs: o.durationMs,
    phases,
    medianWithout,
    medianWith,
    throughputRatio: medianWith.commitsPerSec / medianWithout.commitsPerSec,
    p99Ratio: medianWith.p99Ms / medianWithout.p99Ms,
    ...(o.observer === "streams" ? { streams: { ...addStats(stats), seconds: observedSeconds } } : { pageNodesUp }),
  };
}

/** The table `pnpm bench ui` prints. */
export function uiTable(r: UiResult): string[] {
  const observedAs = r.observer === "browser" ? "the live view open in Chromium" : "one stream per node (a page's load)";
  return [
    `live view cost: ${r.nodes} nodes, concurrency ${r.concurrency}, ${r.phases.length} alternating phases of ${r.durationMs / 1000} s`,
    "",
    "| phases | commits/s (median) | p99 ms (median) |",
    "| --- | --- | --- |",
    `| without /events streams | ${r.medianWithout.commitsPerSec.toFixed(0)} | ${r.medianWithout.p99Ms.toFixed(2)} |`,
    `| with ${observedAs} | ${r.medianWith.commitsPerSec.toFixed(0)} | ${r.medianWith.p99Ms.toFixed(2)} |`,
    `| ratio (with / without) | ${r.throughputRatio.toFixed(3)} | ${r.p99Ratio.toFixed(3)} |`,
    "",
    `each phase, commits/s: ${r.phases.map((p) => `${p.observed ? "with" : "without"} ${p.commitsPerSec.toFixed(0)}`).join(", ")}`,
    r.streams !== undefined ? streamsLine(r.streams) : `the page showed ${(r.pageNodesUp ?? []).join(", ")} nodes up at the end of each observed phase`,
  ];
}

/** What the streams delivered, per second, by event. */
export function streamsLine(s: EventStreamStats & { readonly seconds: number }): string {
  const events = Object.entries(s.events)
    .map(([k, n]) => `${k} ${(n / s.seconds).toFixed(1)}/s`)
    .join(", ");
  return `the streams delivered ${(s.bytes / 1024 / s.seconds).toFixed(1)} KiB/s in all: ${events}${s.badPayloads > 0 ? `; ${s.badPayloads} payloads were not JSON` : ""}`;
}
