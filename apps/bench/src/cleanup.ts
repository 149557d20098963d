// Every child process and temporary directory a benchmark makes is registered here, so that
// Ctrl-C, SIGTERM or an error still leaves nothing behind.

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();
let installed = false;

/** Register `fn` to run if the process is interrupted; returns a function that unregisters it. */
export function onInterrupt(fn: Cleanup): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Run every registered cleanup once (bounded: a cleanup that hangs is given 15 s). */
export async function runCleanups(): Promise<void> {
  const all = [...cleanups];
  cleanups.clear();
  const timeout = new Promise<void>((r) => setTimeout(r, 15_000).unref());
  await Promise.race([Promise.allSettled(all.map(async (fn) => fn())), timeout]);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping every process the benchmark started and removing its files\n`);
      void runCleanups().finally(() => process.exit(code));
    });
  }
}
