import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, sleep, stopProcess, type StatusBody } from "../../../node/test/cluster-harness.js";
import { LinkMap } from "../link-map.js";

const cli = fileURLToPath(new URL("../../../node/src/cli.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");

/** Fast timing, so that faults cause many elections; frequent snapshots, so catch-up by snapshot happens. */
export const CHAOS_TIMING = {
  tickMs: 5,
  electionTimeoutMs: [50, 100] as [number, number],
  heartbeatMs: 15,
  snapshot: { everyEntries: 300, keepEntries: 30 },
};

/** down: not running; starting: spawned, not serving yet; up: serving; paused: SIGSTOPped. */
export type NodeState = "down" | "starting" | "up" | "paused";

export interface StatusWithUrl extends StatusBody {
  leaderHttp?: string;
}

/**
 * N raft-ts node processes on 127.0.0.1, started through the node CLI, each with its own config
 * file whose dialOverrides send every peer link i -> j through LinkMap's proxy i -> j.
 */
export class ChaosCluster {
  readonly ids: number[];
  /** Every pid ever spawned, to check that none is left. */
  readonly pids: number[] = [];
  /** Nodes that exited without being asked to. */
  readonly unexpectedExits: string[] = [];
  private readonly procs = new Map<number, ChildProcess>();
  private readonly states = new Map<number, NodeState>();
  private readonly httpPorts = new Map<number, number>();
  private readonly expectedExit = new WeakSet<ChildProcess>();
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly links: LinkMap,
    httpPorts: Map<number, number>,
    private readonly elapsed: () => number,
  ) {
    this.ids = [...httpPorts.keys()];
    for (const [id, port] of httpPorts) {
      this.httpPorts.set(id, port);
      this.states.set(id, "down");
    }
  }

  /** Reserves the ports, starts the proxies and writes one config file per node into `dir`. */
  static async create(o: { size: number; seed: number; dir: string; elapsed: () => number }): Promise<ChaosCluster> {
    const nodes: { id: number; raft: string; http: string }[] = [];
    const httpPorts = new Map<number, number>();
    for (let id = 1; id <= o.size; id++) {
      const raft = await freePort();
      const http = await freePort();
      httpPorts.set(id, http);
      nodes.push({ id, raft: `127.0.0.1:${raft}`, http: `127.0.0.1:${http}` });
    }
    const links = await LinkMap.create({
      nodes: nodes.map((n) => ({ id: n.id, address: { host: "127.0.0.1", port: Number(n.raft.split(":")[1]) } })),
      seed: o.seed,
    });
    const secret = randomBytes(24).toString("hex");
    for (const n of nodes) {
      const dialOverrides = Object.fromEntries([...links.peersFor(n.id)].map(([peer, a]) => [String(peer), `${a.host}:${a.port}`]));
      const config = {
        clusterId: "chaos",
        secret,
        ...CHAOS_TIMING,
        dataDir: join(o.dir, "node-{id}"),
        limits: { requestTimeoutMs: 3000 },
        dialOverrides,
        nodes,
      };
      writeFileSync(configFile(o.dir, n.id), JSON.stringify(config, null, 2));
    }
    return new ChaosCluster(o.dir, links, httpPorts, o.elapsed);
  }

  url(id: number): string {
    return `http://127.0.0.1:${this.httpPorts.get(id)}`;
  }

  state(id: number): NodeState {
    return this.states.get(id)!;
  }

  /** Nodes serving and not paused: where clients send requests. */
  upUrls(): string[] {
    return this.ids.filter((id) => this.state(id) === "up").map((id) => this.url(id));
  }

  /** Killed, paused, or restarted and not yet serving. */
  downCount(): number {
    return this.ids.filter((id) => this.state(id) !== "up").length;
  }

  /** Spawns node `id`; it counts as up once /healthz answers (awaited here, bounded). */
  async start(id: number, readyTimeoutMs = 20_000): Promise<void> {
    if (this.stopped) return;
    if (this.procs.has(id)) throw new Error(`node ${id} is already running`);
    const log = createWriteStream(join(this.dir, `node-${id}.log`), { flags: "a" });
    const child = spawn(process.execPath, ["--import", tsx, cli, "node", "--config", configFile(this.dir, id), "--id", String(id), "--log-format", "json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    if (child.pid !== undefined) this.pids.push(child.pid);
    this.procs.set(id, child);
    this.states.set(id, "starting");
    child.once("exit", (code, signal) => {
      if (this.procs.get(id) === child) {
        this.procs.delete(id);
        this.states.set(id, "down");
      }
      if (!this.expectedExit.has(child)) {
        this.unexpectedExits.push(`node ${id} (pid ${child.pid}) exited by itself at ${(this.elapsed() / 1000).toFixed(1)} s (${signal ?? `status ${code}`})`);
      }
    });
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline && this.procs.get(id) === child) {
      if (this.state(id) === "starting" && (await this.healthy(id))) {
        if (this.procs.get(id) === child && this.state(id) === "starting") this.states.set(id, "up");
        return;
      }
      if (this.state(id) !== "starting") return;
      await sleep(50);
    }
  }

  async kill(id: number): Promise<void> {
    const child = this.procs.get(id);
    if (child === undefined) return;
    this.expectedExit.add(child);
    await stopProcess(child, "SIGKILL");
    this.procs.delete(id);
    this.states.set(id, "down");
  }

  pause(id: number): void {
    const child = this.procs.get(id);
    if (child === undefined) return;
    child.kill("SIGSTOP");
    this.states.set(id, "paused");
  }

  resume(id: number): void {
    const child = this.procs.get(id);
    if (child === undefined || this.state(id) !== "paused") return;
    child.kill("SIGCONT");
    this.states.set(id, "up");
  }

  isRunning(id: number): boolean {
    return this.procs.has(id);
  }

  async status(id: number, timeoutMs = 1000): Promise<StatusWithUrl | undefined> {
    try {
      const res = await fetch(`${this.url(id)}/status`, { signal: AbortSignal.timeout(timeoutMs) });
      return (await res.json()) as StatusWithUrl;
    } catch {
      return undefined;
    }
  }

  private async healthy(id: number): Promise<boolean> {
    try {
      const res = await fetch(`${this.url(id)}/healthz`, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  /** Stops every node (continuing paused ones first) and closes every proxy. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    const running = [...this.procs.entries()];
    for (const [, child] of running) {
      this.expectedExit.add(child);
      child.kill("SIGCONT");
    }
    await Promise.all(running.map(([, child]) => stopProcess(child, "SIGTERM", 5000)));
    for (const [id] of running) {
      this.procs.delete(id);
      this.states.set(id, "down");
    }
    await this.links.close();
  }
}

function configFile(dir: string, id: number): string {
  return join(dir, `node-${id}.json`);
}
