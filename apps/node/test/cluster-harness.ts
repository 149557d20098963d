import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");

export interface StatusBody {
  id: number;
  role: string;
  term: number;
  leader: number | null;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
}

/** A free TCP port on 127.0.0.1 (the OS picks; closed again before the node binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Real node processes started through the CLI a user runs (`node --config FILE --id N`), all on
 * 127.0.0.1, data and logs in a temporary directory that stop() removes.
 */
export class ProcessCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "raft-node-test-"));
  readonly procs = new Map<number, ChildProcess>();
  /** Nodes that exited without being asked to, for error messages. */
  private readonly exits: string[] = [];
  private readonly killing = new WeakSet<ChildProcess>();
  httpPorts = new Map<number, number>();
  private configFile = "";
  /** The config a joining node is started with: the cluster's nodes plus the spares. */
  private joinConfigFile = "";

  /** `size` nodes bootstrap the cluster; `spares` more have addresses, to be started with --join. */
  constructor(
    readonly size = 3,
    readonly spares = 0,
  ) {}

  /** Timing (and snapshot) settings written into the config (defaults: the cluster.json defaults). */
  async init(
    timing: { tickMs?: number; electionTimeoutMs?: [number, number]; heartbeatMs?: number; snapshot?: { everyEntries: number; keepEntries: number } } = {},
  ): Promise<void> {
    const nodes: { id: number; raft: string; http: string }[] = [];
    for (let id = 1; id <= this.size + this.spares; id++) {
      const raft = await freePort();
      const http = await freePort();
      this.httpPorts.set(id, http);
      nodes.push({ id, raft: `127.0.0.1:${raft}`, http: `127.0.0.1:${http}` });
    }
    const write = (file: string, list: typeof nodes) =>
      writeFileSync(
        file,
        JSON.stringify({ clusterId: "test", ...timing, dataDir: join(this.dir, "node-{id}"), nodes: list, limits: { requestTimeoutMs: 3000 } }, null, 2),
      );
    this.configFile = join(this.dir, "cluster.json");
    write(this.configFile, nodes.slice(0, this.size));
    this.joinConfigFile = join(this.dir, "cluster-join.json");
    write(this.joinConfigFile, nodes);
  }

  /** Delete node `id`'s data directory, as a replaced machine would have none. */
  wipe(id: number): void {
    if (this.procs.has(id)) throw new Error(`node ${id} is running`);
    rmSync(join(this.dir, `node-${id}`), { recursive: true, force: true });
  }

  url(id: number): string {
    return `http://127.0.0.1:${this.httpPorts.get(id)}`;
  }

  /** Start node `id`; with `join`, as a new member joining through node `join`'s HTTP address. */
  start(id: number, opts: { join?: number } = {}): void {
    if (this.procs.has(id)) throw new Error(`node ${id} is already running`);
    const log = createWriteStream(join(this.dir, `node-${id}.log`), { flags: "a" });
    const args =
      opts.join === undefined
        ? ["--config", this.configFile]
        : ["--config", this.joinConfigFile, "--join", `127.0.0.1:${this.httpPorts.get(opts.join)}`];
    const child = spawn(process.execPath, ["--import", tsx, cli, "node", ...args, "--id", String(id), "--log-format", "json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.procs.set(id, child);
    child.once("exit", (code, signal) => {
      if (this.procs.get(id) === child) this.procs.delete(id);
      if (!this.killing.has(child)) this.exits.push(`node ${id} exited by itself (${signal ?? `status ${code}`})`);
    });
  }

  startAll(): void {
    for (let id = 1; id <= this.size; id++) this.start(id);
  }

  /** Send a signal and wait (bounded) for the process to exit. */
  async kill(id: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.procs.get(id);
    if (child === undefined) return;
    this.killing.add(child);
    await stopProcess(child, signal);
    this.procs.delete(id);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((id) => this.kill(id, "SIGTERM")));
    rmSync(this.dir, { recursive: true, force: true });
  }

  async status(id: number): Promise<StatusBody | undefined> {
    try {
      const res = await fetch(`${this.url(id)}/status`, { signal: AbortSignal.timeout(1000) });
      return (await res.json()) as StatusBody;
    } catch {
      return undefined;
    }
  }

  /** Wait until every running node names the same leader in the same term; returns it. */
  async waitForLeader(timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const seen = await Promise.all([...this.procs.keys()].map((id) => this.status(id)));
      const first = seen[0];
      if (
        seen.length > 0 &&
        first?.leader != null &&
        this.procs.has(first.leader) &&
        seen.every((s) => s !== undefined && s.leader === first.leader && s.term === first.term)
      ) {
        return first.leader;
      }
      await sleep(50);
    }
    throw new Error(`no leader agreed by nodes ${[...this.procs.keys()].join(",")} within ${timeoutMs} ms${this.diagnosis()}`);
  }

  /** What went wrong, for an error message: nodes that exited, and the end of every node's log (stop() deletes them). */
  diagnosis(): string {
    const tails = [...this.httpPorts.keys()].map((id) => {
      let text: string;
      try {
        text = readFileSync(join(this.dir, `node-${id}.log`), "utf8");
      } catch {
        return `node ${id}: no log`;
      }
      return `node ${id} log ends:\n${text.trimEnd().split("\n").slice(-4).join("\n")}`;
    });
    return `\n${[...this.exits, ...tails].join("\n")}`;
  }

  /**
   * Wait until node `id`'s log contains `text`. Its lines reach the file through a pipe a moment
   * after the node writes them, so reading the file at once can miss the latest.
   */
  async waitForLog(id: number, text: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let log = "";
      try {
        log = readFileSync(join(this.dir, `node-${id}.log`), "utf8");
      } catch {
        // not created yet
      }
      if (log.includes(text)) return;
      if (Date.now() > deadline) throw new Error(`node ${id}'s log does not say "${text}" within ${timeoutMs} ms${this.diagnosis()}`);
      await sleep(50);
    }
  }

  /** Wait until node `id` has applied at least `index`. */
  async waitForApplied(id: number, index: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = await this.status(id);
      if (s !== undefined && s.applied >= index) return;
      await sleep(50);
    }
    throw new Error(`node ${id} did not apply ${index} within ${timeoutMs} ms${this.diagnosis()}`);
  }
}

/** Send `signal` and wait for the process to exit; SIGKILL it if it is still there after `graceMs`. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill(signal);
  await Promise.race([exited, sleep(graceMs)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A request that follows redirects (as `curl -L` does) and never hangs past `timeoutMs`. */
export async function request(
  method: string,
  url: string,
  body?: string,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method, redirect: "follow", signal: AbortSignal.timeout(timeoutMs), headers, ...(body === undefined ? {} : { body }) });
  return { status: res.status, text: await res.text() };
}
