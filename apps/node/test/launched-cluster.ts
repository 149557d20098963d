import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, processAlive as alive, sleep, stopProcess } from "./cluster-harness.js";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

export interface LaunchedNode {
  id: number;
  pid: number | null;
  running: boolean;
  http: string;
}

/**
 * The `pnpm start` launcher run as users run it (`--config`, `--control-port`), on free
 * 127.0.0.1 ports in a temporary directory that is its working directory (so the default data
 * directory, ./data/node-N, lands there too). It spawns the nodes; its control API stops and
 * starts them. stop() ends the launcher, makes sure no node it ever reported outlives it, and
 * removes the directory.
 */
export class LaunchedCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "raft-launcher-test-"));
  readonly httpPorts = new Map<number, number>();
  /** Every node pid the launcher reported. */
  readonly pids = new Set<number>();
  control = "";
  launcher: ChildProcess | undefined;

  /**
   * `defaultControlPort`: give no --control-port, so the launcher tries 127.0.0.1:8000 (the
   * caller makes sure it is taken) and runs without its control API.
   */
  async start(size = 3, opts: { defaultControlPort?: boolean } = {}): Promise<void> {
    const list = [];
    for (let id = 1; id <= size; id++) {
      const http = await freePort();
      this.httpPorts.set(id, http);
      list.push({ id, raft: `127.0.0.1:${await freePort()}`, http: `127.0.0.1:${http}` });
    }
    writeFileSync(join(this.dir, "cluster.json"), JSON.stringify({ clusterId: "launched", nodes: list }));
    const port = await freePort();
    this.control = opts.defaultControlPort === true ? "" : `http://127.0.0.1:${port}`;
    const log = createWriteStream(join(this.dir, "launcher.log"));
    // A relative config and the default data directory: both resolve from where the user ran it.
    const control = opts.defaultControlPort === true ? [] : ["--control-port", String(port)];
    this.launcher = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), cli, "--config", "cluster.json", ...control, "--log-format", "json"], {
      cwd: this.dir,
      env: { ...process.env, INIT_CWD: this.dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.launcher.stdout!.pipe(log);
    this.launcher.stderr!.pipe(log);
    if (opts.defaultControlPort === true) {
      // No control API to ask: the banner names every node's pid.
      await this.until("the launcher's banner with every node's pid", async () => {
        const pids = [...this.log().matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
        return pids.length >= size ? pids : undefined;
      });
      for (const m of this.log().matchAll(/pid (\d+)/g)) this.pids.add(Number(m[1]));
    } else {
      await this.until("the control API answers with every node running", async () => {
        const all = await this.nodes();
        return all.length === size && all.every((n) => n.running) ? all : undefined;
      });
    }
    // Running is not yet serving: wait for every node's HTTP API too.
    for (let id = 1; id <= size; id++) await this.until(`node ${id} answering /status`, () => this.status(id));
  }

  url(id: number): string {
    return `http://127.0.0.1:${this.httpPorts.get(id)}`;
  }

  log(): string {
    return readFileSync(join(this.dir, "launcher.log"), "utf8");
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field by the tests
  async api(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${this.control}${path}`, { method, headers, signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: res.headers };
  }

  async nodes(): Promise<LaunchedNode[]> {
    const r = await this.api("GET", "/nodes");
    if (r.status !== 200) throw new Error(`GET /nodes answered ${r.status}`);
    const nodes = r.body.nodes as LaunchedNode[];
    for (const n of nodes) if (n.pid !== null) this.pids.add(n.pid);
    return nodes;
  }

  async status(id: number): Promise<{ leader: number | null; role: string; term: number; commit: number } | undefined> {
    const res = await fetch(`${this.url(id)}/status`, { signal: AbortSignal.timeout(1000) });
    return (await res.json()) as { leader: number | null; role: string; term: number; commit: number };
  }

  /** Polls `fn` until it returns a value (errors count as not yet), bounded; the error carries the launcher's output. */
  async until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; launcher output:\n${this.log().slice(-3000)}`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    if (this.launcher !== undefined) await stopProcess(this.launcher, "SIGTERM", 20_000);
    this.launcher = undefined;
    // The launcher stops its nodes; make sure, whatever happened.
    for (const pid of this.pids) {
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
      if (alive(pid)) process.kill(pid, "SIGKILL");
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
