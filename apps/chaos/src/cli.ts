import { Command, Option } from "commander";
import { runCleanups } from "../../node/test/interrupt-cleanup.js";
import { runChaos } from "./chaos/run.js";
import { seconds, seed } from "./cli-args.js";


const program = new Command("pnpm chaos")
  .description(
    "run real raft-ts nodes on 127.0.0.1 with a fault-injecting proxy on every peer link, clients recording a history, and faults drawn from a seed (kills, pauses, partitions, one-way cuts, delay, loss, duplication); then check convergence, agreement and linearizability",
  )
  .option("--duration <seconds>", "seconds of faults", seconds, 60)
  .option("--seed <n>", "seed of the fault schedule and the proxies (default: random, always printed)", seed)
  .addOption(new Option("--nodes <n>", "cluster size").choices(["3", "5"]).default("3"))
  .option("--keep", "keep the run directory (node logs, history, schedule, report) even on success", false)
  .showHelpAfterError()
  .action(async (o: { duration: number; seed?: number; nodes: string; keep: boolean }) => {
    const result = await runChaos({ durationS: o.duration, nodes: Number(o.nodes), keep: o.keep, ...(o.seed !== undefined ? { seed: o.seed } : {}) });
    process.exitCode = result.passed ? 0 : 1;
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  await runCleanups();
  console.error(`\npnpm chaos: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
