import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

/** Start a TypeScript fixture in its own Node process (through tsx), stdout piped. */
export function spawnFixture(fixture: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url)), ...args], {
    cwd: packageDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Resolve when the child prints a line matching `pattern`; reject on exit or after `ms`. */
export function waitForLine(child: ChildProcess, pattern: RegExp, ms = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    let stderr = "";
    const timer = setTimeout(() => done(new Error(`no line matching ${pattern} within ${ms} ms; stderr: ${stderr}`)), ms);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split("\n")) {
        if (pattern.test(line)) return done(undefined, line);
      }
    };
    const onErr = (chunk: Buffer) => {
      stderr += chunk.toString();
    };
    const onExit = (code: number | null) => done(new Error(`child exited (${code}) before ${pattern}; stderr: ${stderr}`));
    function done(err: Error | undefined, line?: string) {
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.stderr!.off("data", onErr);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve(line!);
    }
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onErr);
    child.on("exit", onExit);
  });
}

/** Kill with SIGKILL and wait until the process is gone. */
export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
