import { Command, InvalidArgumentError, Option } from "commander";
import { runCleanups } from "../../node/test/interrupt-cleanup.js";
import { runElectionBench, SETTINGS, type ElectionResult } from "./election.js";
import { electionTable } from "./election-table.js";
import { HEARTBEAT_DEFAULTS, runHeartbeatBench } from "./heartbeat.js";
import { heartbeatTable } from "./heartbeat-report.js";
import { LiveLine } from "./live-line.js";
import { thisMachine, type BenchRun, type HeartbeatResult, type WriteResult, type WriteTarget } from "./results.js";
import { saveRun, type OutputOptions } from "./save-run.js";
import { etcdVersion } from "./targets/etcd.js";
import { runUiBench, UI_DEFAULTS, uiTable } from "./ui.js";
import { runWriteBench, WRITE_DEFAULTS } from "./write.js";
import { writeTable } from "./write-table.js";

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
  return n;
};
const positiveList = (v: string) => v.split(",").map((x) => positive(x.trim()));
const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.001) throw new InvalidArgumentError(`expected a number of seconds, at least 0.001, got "${v}"`);
  return n;
};
const ms = (s: number) => Math.round(s * 1000);

const jsonOption = () => new Option("--json <file>", "write every figure, with the options, machine and date, to FILE");
const reportOption = () => new Option("--report <dir>", "write a self-contained HTML report with charts (and results.json) into DIR");

function record(options: Record<string, unknown>, parts: Pick<BenchRun, "election" | "heartbeat" | "write" | "ui">): BenchRun {
  return { date: new Date().toISOString(), machine: thisMachine(), command: ["pnpm", "bench", ...process.argv.slice(2)].join(" "), options, ...parts };
}

function print(lines: readonly string[]): void {
  console.log(`\n${lines.join("\n")}`);
}

// ---- the benchmarks, each as `all` runs it too ---------------------------------------------

interface ElectionOptions {
  trials: number;
  nodes: number[];
}

async function election(o: ElectionOptions, live: LiveLine): Promise<ElectionResult[]> {
  const results: ElectionResult[] = [];
  for (const setting of SETTINGS) {
    for (const nodes of o.nodes) {
      live.show(`election: ${setting.name}, ${nodes} nodes: starting`);
      results.push(await runElectionBench(setting, nodes, o.trials, (line) => live.show(`election: ${line}`)));
    }
  }
  live.done();
  print(electionTable(results));
  return results;
}

interface HeartbeatCliOptions {
  duration: number;
  defaultDuration: number;
  followers: number;
  rounds: number;
}

async function heartbeat(o: HeartbeatCliOptions, live: LiveLine): Promise<HeartbeatResult> {
  const result = await runHeartbeatBench(
    { followers: o.followers, durationMs: ms(o.duration), defaultDurationMs: ms(o.defaultDuration), rounds: o.rounds },
    (line) => live.show(`heartbeat: ${line}`),
  );
  live.done();
  print(heartbeatTable(result));
  return result;
}

interface WriteCliOptions {
  target: string[];
  concurrency: number[];
  duration: number;
  warmup: number;
}

async function write(o: WriteCliOptions, live: LiveLine): Promise<WriteResult> {
  const targets: WriteTarget[] = ["raft-ts", ...o.target.filter((t): t is WriteTarget => t === "etcd")];
  const result = await runWriteBench(
    { ...WRITE_DEFAULTS, targets, concurrencies: o.concurrency, durationMs: ms(o.duration), warmupMs: ms(o.warmup) },
    (line) => live.show(`write: ${line}`),
  );
  live.done();
  print(writeTable(result));
  return result;
}

// ---- the commands ---------------------------------------------------------------------------

const program = new Command("pnpm bench")
  .description("raft-ts benchmarks on real node processes (TCP, SQLite with fsync) on 127.0.0.1")
  .showHelpAfterError();

const electionOptions = (c: Command) =>
  c
    .option("--trials <k>", "failover trials per configuration", positive, 20)
    .option("--nodes <list>", "cluster sizes", positiveList, [3, 5]);
const heartbeatOptions = (c: Command) =>
  c
    .option("--duration <s>", "seconds measured in each raft and each raw phase", seconds, HEARTBEAT_DEFAULTS.durationMs / 1000)
    .option("--default-duration <s>", "seconds of heartbeat RTT measured at the default interval", seconds, HEARTBEAT_DEFAULTS.defaultDurationMs / 1000)
    .option("--followers <n>", "followers of the leader (2: a 3-node cluster)", positive, HEARTBEAT_DEFAULTS.followers)
    .option("--rounds <k>", "raft phases and raw phases each, alternating; the median of each is reported", positive, HEARTBEAT_DEFAULTS.rounds);
const writeOptions = (c: Command, prefix = "") =>
  c
    .addOption(
      new Option(`--${prefix}target <name...>`, "also run the same load against: etcd (3 members, from the etcd binary on PATH)").choices(["etcd"]).default([]),
    )
    .option(`--${prefix}concurrency <list>`, "closed-loop clients, one level after another", positiveList, [...WRITE_DEFAULTS.concurrencies])
    .option(`--${prefix}duration <s>`, "seconds measured at each concurrency", seconds, WRITE_DEFAULTS.durationMs / 1000)
    .option(`--${prefix}warmup <s>`, "seconds of the same load before each measurement", seconds, WRITE_DEFAULTS.warmupMs / 1000);

electionOptions(
  program
    .command("election")
    .description("cold start and failover after SIGKILL of the leader, for 3 and 5 nodes, at 150-300 ms and 12-24 ms election timeouts, beside the model's expectation"),
)
  .addOption(jsonOption())
  .addOption(reportOption())
  .action(async (o: ElectionOptions & OutputOptions) => {
    const results = await election(o, new LiveLine());
    saveRun(record({ trials: o.trials, nodes: o.nodes }, { election: results }), o);
  });

heartbeatOptions(
  program
    .command("heartbeat")
    .description(
      "heartbeat round trips/s from a leader to followers in their own processes, through the core and TCP transport at the shortest interval, beside a raw node:net ping-pong of the same frames; heartbeat RTT at the default interval",
    ),
)
  .addOption(jsonOption())
  .addOption(reportOption())
  .action(async (o: HeartbeatCliOptions & OutputOptions) => {
    const result = await heartbeat(o, new LiveLine());
    saveRun(record({ duration: o.duration, defaultDuration: o.defaultDuration, followers: o.followers, rounds: o.rounds }, { heartbeat: result }), o);
  });

writeOptions(
  program
    .command("write")
    .description("closed-loop PUTs (16-byte keys, 128-byte values) at concurrency 1, 16, 64, 256 against a 3-node cluster with fsync on; --target etcd runs the same load against etcd in the same run"),
)
  .addOption(jsonOption())
  .addOption(reportOption())
  .action(async (o: WriteCliOptions & OutputOptions) => {
    const result = await write(o, new LiveLine());
    saveRun(record({ target: o.target, concurrency: o.concurrency, duration: o.duration, warmup: o.warmup }, { write: result }), o);
  });

program
  .command("ui")
  .description("what an open live view costs: the write load at one concurrency, in alternating phases without and with one /events stream per node (what the /ui page opens), medians compared")
  .option("--concurrency <n>", "closed-loop clients", positive, UI_DEFAULTS.concurrency)
  .option("--duration <s>", "seconds measured in each phase", seconds, UI_DEFAULTS.durationMs / 1000)
  .option("--warmup <s>", "seconds of the same load before each phase's measurement", seconds, UI_DEFAULTS.warmupMs / 1000)
  .option("--rounds <k>", "phases of each kind, alternating", positive, UI_DEFAULTS.rounds)
  .option("--browser", "observe with the real page in Chromium (/usr/bin/chromium) instead of stream readers")
  .addOption(jsonOption())
  .addOption(reportOption())
  .action(async (o: { concurrency: number; duration: number; warmup: number; rounds: number; browser?: boolean } & OutputOptions) => {
    const live = new LiveLine();
    const observer = o.browser === true ? "browser" : "streams";
    const result = await runUiBench(
      { ...UI_DEFAULTS, concurrency: o.concurrency, durationMs: ms(o.duration), warmupMs: ms(o.warmup), rounds: o.rounds, observer },
      (line) => live.show(`ui: ${line}`),
    );
    live.done();
    print(uiTable(result));
    saveRun(record({ concurrency: o.concurrency, duration: o.duration, warmup: o.warmup, rounds: o.rounds, observer }, { ui: result }), o);
  });

program
  .command("all")
  .description("election (10 trials), heartbeat and write (against etcd too when it is on PATH) in one run: about 6 minutes here")
  .option("--trials <k>", "failover trials per election configuration", positive, 10)
  .option("--no-etcd", "leave etcd out of the write benchmark")
  .addOption(jsonOption())
  .addOption(reportOption())
  .action(async (o: { trials: number; etcd: boolean } & OutputOptions) => {
    const live = new LiveLine();
    const withEtcd = o.etcd && etcdVersion() !== undefined;
    if (o.etcd && !withEtcd) console.log("no etcd on PATH: the write benchmark runs without it (apt-get install etcd-server to compare)");
    const electionResults = await election({ trials: o.trials, nodes: [3, 5] }, live);
    const heartbeatResult = await heartbeat(
      { duration: HEARTBEAT_DEFAULTS.durationMs / 1000, defaultDuration: HEARTBEAT_DEFAULTS.defaultDurationMs / 1000, followers: HEARTBEAT_DEFAULTS.followers, rounds: HEARTBEAT_DEFAULTS.rounds },
      live,
    );
    const writeResult = await write(
      { target: withEtcd ? ["etcd"] : [], concurrency: [...WRITE_DEFAULTS.concurrencies], duration: WRITE_DEFAULTS.durationMs / 1000, warmup: WRITE_DEFAULTS.warmupMs / 1000 },
      live,
    );
    saveRun(record({ trials: o.trials, etcd: o.etcd }, { election: electionResults, heartbeat: heartbeatResult, write: writeResult }), o);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Whatever failed, leave no process or directory behind.
  await runCleanups();
  console.error(`\npnpm bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
