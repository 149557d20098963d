import { randomInt } from "node:crypto";
import { runInProcess } from "./in-process.js";
import { HTTP_DESCRIPTION, httpTarget } from "./node/http-target.js";
import { fuzzNetwork, type NetworkTarget } from "./node/network.js";
import { RAFT_PORT_DESCRIPTION, raftTarget } from "./node/raft-target.js";
import { FuzzNode } from "./node/real-node.js";
import { renderReport } from "./report.js";
import { targetSeed } from "./seeds.js";
import { IN_PROCESS_TARGETS } from "./targets/index.js";
import type { TargetStats } from "./types.js";

const NETWORK_TARGETS: readonly { name: string; make: (node: FuzzNode) => NetworkTarget<unknown> }[] = [
  { name: "http", make: (node) => httpTarget(node) as NetworkTarget<unknown> },
  { name: "raft-port", make: (node) => raftTarget(node) as NetworkTarget<unknown> },
];

const DESCRIPTIONS = new Map<string, string>([
  ...IN_PROCESS_TARGETS.map((t): [string, string] => [t.name, t.description]),
  ["http", HTTP_DESCRIPTION],
  ["raft-port", RAFT_PORT_DESCRIPTION],
]);

/** Every target, in the order they run: the decoders in-process, then the real node. */
export const TARGET_NAMES: readonly string[] = [...IN_PROCESS_TARGETS.map((t) => t.name), ...NETWORK_TARGETS.map((t) => t.name)];

/** The node may use this much memory at its peak; more is allocation a client or peer drove without bound. */
const NODE_PEAK_LIMIT = 768 * 1024 * 1024;

export interface FuzzOptions {
  /** The whole budget, split evenly across the targets (the node's start-up is not counted). */
  readonly seconds: number;
  /** Default: random, and always printed. */
  readonly seed?: number;
  /** Default: every target. */
  readonly targets?: readonly string[];
  /** Replay one input (fast-check's path, as a crash report prints it); needs one target. */
  readonly path?: string;
  readonly log?: (line: string) => void;
}

export interface FuzzResult {
  readonly seed: number;
  readonly stats: readonly TargetStats[];
  /** What was wrong with the real node afterwards; undefined when no node target ran. */
  readonly nodeProblems: readonly string[] | undefined;
  /** The node process and its directory (both gone by the time runFuzz returns). */
  readonly node: { readonly pid: number; readonly dir: string } | undefined;
  readonly passed: boolean;
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

/** Counter deltas between two scrapes of the node's metrics, for the lines starting with `prefix`. */
function deltas(before: readonly string[] | undefined, after: readonly string[] | undefined, prefix: string): string[] {
  const parse = (lines: readonly string[] | undefined) =>
    new Map((lines ?? []).filter((l) => l.startsWith(prefix)).map((l) => [l.slice(0, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))]));
  const b = parse(before);
  const out: string[] = [];
  for (const [key, value] of parse(after)) {
    const d = value - (b.get(key) ?? 0);
    const reason = /reason="([^"]*)"/.exec(key)?.[1] ?? key;
    if (d > 0) out.push(`${reason} ${d}`);
  }
  return out;
}

/**
 * Fuzzes the chosen targets for `seconds` in total and prints the table. In-process decoders
 * run in a worker while the real node starts; then the node's HTTP API and Raft port. Passes
 * when no input crashed anything and the node afterwards is running, leading, healthy and
 * still holds every value written before (and its memory peak stayed bounded).
 */
export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const log = o.log ?? ((line: string) => console.log(line));
  const seed = o.seed ?? randomInt(2 ** 31);
  const chosen = o.targets ?? TARGET_NAMES;
  for (const t of chosen) if (!TARGET_NAMES.includes(t)) throw new Error(`no target "${t}" (targets: ${TARGET_NAMES.join(", ")})`);
  const names = TARGET_NAMES.filter((t) => chosen.includes(t));
  if (o.path !== undefined && names.length !== 1) throw new Error("--path replays one input of one target: give --target too");
  const budgetMs = (o.seconds * 1000) / names.length;
  log(`pnpm fuzz: seed ${seed}, ${o.seconds} s over ${names.length} targets (${(budgetMs / 1000).toFixed(1)} s each)`);
  for (const name of names) log(`  ${name.padEnd(12)} ${DESCRIPTIONS.get(name) ?? ""}`);
  log("");

  const network = NETWORK_TARGETS.filter((t) => names.includes(t.name));
  // The node starts while the decoders are fuzzed.
  const starting = network.length > 0 ? FuzzNode.start() : undefined;
  starting?.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled

  const stats: TargetStats[] = [];
  const inProcess = names.filter((n) => IN_PROCESS_TARGETS.some((t) => t.name === n));
  if (inProcess.length > 0) {
    const plan = inProcess.map((name) => ({ name, fcSeed: targetSeed(seed, name), budgetMs }));
    try {
      stats.push(...(await runInProcess(plan, o.path === undefined ? {} : { path: o.path })));
    } catch (e) {
      await (await starting?.catch(() => undefined))?.stop();
      throw e;
    }
  }

  let nodeProblems: string[] | undefined;
  const nodeNotes: string[] = [];
  let nodeInfo: FuzzResult["node"];
  if (starting !== undefined) {
    const node = await starting;
    if (node.pid !== undefined) nodeInfo = { pid: node.pid, dir: node.dir };
    try {
      for (const t of network) {
        if (node.exited !== undefined) break;
        const before = await node.metrics();
        const s = await fuzzNetwork(t.make(node), { fcSeed: targetSeed(seed, t.name), budgetMs, ...(o.path === undefined ? {} : { path: o.path }) });
        const after = await node.metrics();
        const failures = deltas(before, after, "raft_transport_handshake_failures_total");
        // Only what the fuzzer causes: node 1's own messages to the unreachable learner also
        // get dropped when their queue fills (queue_full), whatever the fuzzer does.
        const drops = deltas(before, after, "raft_transport_dropped_messages_total").filter((d) => /^wrong_(sender|recipient) /.test(d));
        if (failures.length > 0) s.notes.push(`the node counted handshake failures: ${failures.join(", ")}`);
        if (drops.length > 0) s.notes.push(`the node dropped messages whose from/to did not match the connection: ${drops.join(", ")}`);
        stats.push(s);
      }
      nodeProblems = await node.problems();
      const mem = node.memory();
      if (mem !== undefined) {
        nodeNotes.push(`the node's memory: ${mib(mem.rss)} resident at the end, ${mib(mem.peak)} at its peak (limit ${mib(NODE_PEAK_LIMIT)})`);
        if (mem.peak > NODE_PEAK_LIMIT) nodeProblems.push(`the node's resident memory peaked at ${mib(mem.peak)}, above ${mib(NODE_PEAK_LIMIT)}`);
      }
      if (nodeProblems.length > 0) nodeNotes.push(`the node's log ends:\n${node.logTail()}`);
    } finally {
      await node.stop();
    }
  }

  for (const line of renderReport({ seed, seconds: o.seconds, stats, nodeProblems, nodeNotes })) log(line);
  const crashes = stats.reduce((n, s) => n + s.crashes, 0);
  const passed = crashes === 0 && (nodeProblems === undefined || nodeProblems.length === 0);
  log("");
  log(passed ? `passed (seed ${seed})` : `FAILED (seed ${seed}): replay with pnpm fuzz --seed ${seed}${names.length === 1 ? ` --target ${names[0]}` : ""}`);
  return { seed, stats, nodeProblems, node: nodeInfo, passed };
}
