import { Command, InvalidArgumentError } from "commander";
import { runCleanups } from "../../../node/test/interrupt-cleanup.js";
import { runFuzz, TARGET_NAMES } from "./run.js";
import { seconds, seed } from "../cli-args.js";

const target = (v: string, previous: string[] = []) => {
  for (const t of v.split(",")) {
    if (!TARGET_NAMES.includes(t)) throw new InvalidArgumentError(`no target "${t}" (targets: ${TARGET_NAMES.join(", ")})`);
    previous.push(t);
  }
  return previous;
};

const program = new Command("pnpm fuzz")
  .description(
    "fuzz every decoder a peer or client can reach with mostly-malformed inputs drawn from a seed: the transport's frame decoder, " +
      "message codec and handshake, the KV command and snapshot decoders, configuration entries, config files, and a real node's " +
      "HTTP API and Raft port; print how many inputs each target accepted and rejected, and fail on any crash",
  )
  .option("--seconds <n>", "the whole budget, split evenly across the targets", seconds, 60)
  .option("--seed <n>", "seed of every target's inputs (default: random, always printed)", seed)
  .option("--target <name>", `only these targets (repeat, or separate with commas): ${TARGET_NAMES.join(", ")}`, target)
  .option("--path <path>", "replay one input: the path a crash report prints (with --seed and one --target)")
  .showHelpAfterError()
  .action(async (o: { seconds: number; seed?: number; target?: string[]; path?: string }) => {
    const result = await runFuzz({
      seconds: o.seconds,
      ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(o.target === undefined ? {} : { targets: o.target }),
      ...(o.path === undefined ? {} : { path: o.path }),
    });
    process.exitCode = result.passed ? 0 : 1;
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  await runCleanups();
  console.error(`\npnpm fuzz: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
