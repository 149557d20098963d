// Every child process, proxy and temporary directory a benchmark or chaos run makes is
// registered here, so that Ctrl-C, SIGTERM or an error still leaves nothing behind. The signal
// handlers are installed only while something is registered, so a process that uses these runs
// as a library (a test runner) keeps its own signal handling in between.

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();
const SIGNALS = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const;
const handlers = new Map<NodeJS.Signals, () => void>();

/** Register `fn` to run if the process is interrupted; returns a function that unregisters it. */
export function onInterrupt(fn: Cleanup): () => void {
  install();
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
    if (cleanups.size === 0) uninstall();
  };
}

/** Run every registered cleanup once (bounded: a cleanup that hangs is given 15 s). */
export async function runCleanups(): Promise<void> {
  const all = [...cleanups];
  cleanups.clear();
  const timeout = new Promise<void>((r) => setTimeout(r, 15_000).unref());
  await Promise.race([Promise.allSettled(all.map(async (fn) => fn())), timeout]);
}

function install(): void {
  if (handlers.size > 0) return;
  for (const [signal, code] of SIGNALS) {
    const handler = () => {
      uninstall();
      process.stderr.write(`\n${signal}: stopping every process this run started and removing its files\n`);
      void runCleanups().finally(() => process.exit(code));
    };
    handlers.set(signal, handler);
    process.once(signal, handler);
  }
}

function uninstall(): void {
  for (const [signal, handler] of handlers) process.off(signal, handler);
  handlers.clear();
}
