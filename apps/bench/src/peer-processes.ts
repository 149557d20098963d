// The benchmark's peer processes, seen from the benchmark: spawn, talk over IPC, stop. Every
// process started here is tracked until it exits, so that every way out of a run (return,
// error, Ctrl-C, SIGTERM, process exit) kills what is left. One benchmark run at a time.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FromPeer, PeerSpec, ToPeer } from "./heartbeat-ipc.js";
import { onInterrupt } from "../../node/test/interrupt-cleanup.js";

const tsx = import.meta.resolve("tsx");
const peerScript = fileURLToPath(new URL("./heartbeat-peer.ts", import.meta.url));
/** How much of a peer's stdout and stderr to keep for error messages. */
const OUTPUT_TAIL_CHARS = 4000;

const live = new Set<PeerProcess>();
const spawnedPids: number[] = [];

/** Every pid this process has spawned a peer as, running or not (for tests and reports). */
export function spawnedPeerPids(): readonly number[] {
  return spawnedPids;
}

/** SIGKILL every peer still running. Synchronous, so an 'exit' handler can call it. */
export function killAllPeers(): void {
  for (const p of live) p.kill();
}

export class PeerProcess {
  private readonly inbox: FromPeer[] = [];
  private readonly wakers = new Set<() => void>();
  private output = "";
  private exitedAs: string | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    live.add(this);
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.on("message", (m: FromPeer) => {
      this.inbox.push(m);
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      const gone = (how: string): void => {
        if (this.exitedAs !== undefined) return;
        this.exitedAs = how;
        live.delete(this);
        this.wake();
        resolve();
      };
      child.once("exit", (code, signal) => gone(signal ?? `exit code ${code}`));
      child.once("error", (e) => gone(`spawn error: ${e.message}`));
    });
  }

  /** Start `node --import tsx heartbeat-peer.ts SPEC`. */
  static spawn(name: string, spec: PeerSpec): PeerProcess {
    const child = spawn(process.execPath, ["--import", tsx, peerScript, JSON.stringify(spec)], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    if (child.pid !== undefined) spawnedPids.push(child.pid);
    return new PeerProcess(name, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  send(m: ToPeer): void {
    if (this.exitedAs !== undefined) return;
    // A callback turns a closed channel into an ignored error rather than an 'error' event:
    // a peer that died is reported by next() or stop(), with its output.
    this.child.send(m, () => {});
  }

  /**
   * The next message of type `type` (messages are kept until taken). Throws if the peer
   * reports a failure, exits, or sends nothing of that type within `timeoutMs`.
   */
  async next<T extends FromPeer["type"]>(type: T, timeoutMs: number): Promise<Extract<FromPeer, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === "failed");
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0]!;
        if (m.type === "failed") throw this.error(`failed: ${m.message}`);
        return m as Extract<FromPeer, { type: T }>;
      }
      if (this.exitedAs !== undefined) throw this.error(`exited (${this.exitedAs}) before sending "${type}"`);
      const left = deadline - performance.now();
      if (left <= 0) throw this.error(`sent no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.wakers.add(done);
      });
    }
  }

  kill(): void {
    if (this.exitedAs === undefined) this.child.kill("SIGKILL");
  }

  /** Ask the peer to stop; SIGKILL it if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exitedAs !== undefined) return;
    this.send({ type: "stop" });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), graceMs)));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === "late") {
      this.kill();
      await this.exited;
    }
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  private error(what: string): Error {
    const tail = this.output.trim();
    return new Error(`${this.name} (pid ${this.pid}) ${what}${tail === "" ? "" : `; its output ended with:\n${tail}`}`);
  }
}

/**
 * Run `body`, then stop every peer process still running, whatever happened: on return, on a
 * thrown error, on Ctrl-C or SIGTERM (through the benchmark's interrupt cleanup), and on any
 * other process exit (a synchronous 'exit' handler kills them). Peers also exit by themselves
 * when their IPC channel closes, which covers this process dying by SIGKILL.
 */
export async function withPeerCleanup<T>(body: () => Promise<T>): Promise<T> {
  const unregister = onInterrupt(killAllPeers);
  process.once("exit", killAllPeers);
  try {
    return await body();
  } finally {
    unregister();
    process.off("exit", killAllPeers);
    await Promise.all([...live].map((p) => p.stop()));
  }
}
