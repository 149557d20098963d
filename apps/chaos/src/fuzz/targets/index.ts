import type { InProcessTarget } from "../types.js";
import { codecTarget } from "./codec.js";
import { configTarget } from "./config.js";
import { frameTarget } from "./frame.js";
import { handshakeTarget } from "./handshake.js";
import { kvCommandTarget } from "./kv-command.js";
import { kvSnapshotTarget } from "./kv-snapshot.js";
import { membershipTarget } from "./membership.js";

/** The decoders fuzzed inside the fuzzer's own process (in a worker thread), in run order. */
export const IN_PROCESS_TARGETS: readonly InProcessTarget<unknown>[] = [
  frameTarget,
  codecTarget,
  handshakeTarget,
  kvCommandTarget,
  kvSnapshotTarget,
  membershipTarget,
  configTarget,
] as InProcessTarget<unknown>[];

export function inProcessTarget(name: string): InProcessTarget<unknown> | undefined {
  return IN_PROCESS_TARGETS.find((t) => t.name === name);
}

/** Targets exported as `target` by these modules (URLs): test fixtures, never the fuzz run's own. */
export async function loadExtraTargets(modules: readonly string[]): Promise<InProcessTarget<unknown>[]> {
  const loaded = await Promise.all(modules.map(async (m) => ((await import(m)) as { target: InProcessTarget<unknown> }).target));
  return loaded;
}
