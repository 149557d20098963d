import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, sleep, stopProcess } from "../../../../node/test/cluster-harness.js";
import { onInterrupt } from "../../../../node/test/interrupt-cleanup.js";
import { rawExchange } from "./http-client.js";

const cli = fileURLToPath(new URL("../../../../node/src/cli.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");

/** The limits in the node's config: small, so "over the limit" costs little to send. */
export const FUZZ_LIMITS = { maxKeyBytes: 256, maxValueBytes: 64 * 1024 } as const;

/** Values written before the fuzzing starts and read back after it: nothing may lose them. */
const SENTINELS: readonly [string, Uint8Array][] = [
  ["~sentinel~text", Buffer.from("written before the fuzzing")],
  ["~sentinel~empty", new Uint8Array(0)],
  ["~sentinel~binary", Uint8Array.from({ length: 256 }, (_, i) => i)],
  ["~sentinel~\u00e9\u{1F600}", Buffer.from("a key outside ASCII")],
  ["~sentinel~at-the-limit", new Uint8Array(FUZZ_LIMITS.maxValueBytes).fill(0x5a)],
];

/**
 * One real raft-ts node, started as a process through the node CLI (as a user runs it) on
 * 127.0.0.1 with free ports and a temporary directory, for the HTTP and Raft-port fuzzers.
 * It leads a one-voter cluster (so it serves writes alone) that also has a learner, node 2,
 * whose addresses point nowhere: the fuzzer plays node 2 on the Raft port, so it can get
 * through the HMAC handshake and send malformed frames to an authenticated connection.
 */
export class FuzzNode {
  readonly clusterId = "fuzz";
  readonly id = 1;
  /** The learner the fuzzer impersonates. */
  readonly peerId = 2;
  readonly secret = randomBytes(24).toString("hex");
  private child: ChildProcess | undefined;
  private exit: string | undefined;
  private unregister: (() => void) | undefined;
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly httpPort: number,
    readonly raftPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Why the node is gone, if it exited by itself. */
  get exited(): string | undefined {
    return this.exit;
  }

  static async start(): Promise<FuzzNode> {
    const dir = mkdtempSync(join(tmpdir(), "raft-fuzz-node-"));
    const node = new FuzzNode(dir, await freePort(), await freePort());
    node.unregister = onInterrupt(() => node.stop());
    try {
      await node.launch();
      return node;
    } catch (e) {
      const tail = node.logTail();
      await node.stop();
      throw new Error(`the node did not start: ${(e as Error).message}\n${tail}`, { cause: e });
    }
  }

  private async launch(): Promise<void> {
    const config = {
      clusterId: this.clusterId,
      secret: this.secret,
      tickMs: 10,
      electionTimeoutMs: [100, 200],
      heartbeatMs: 30,
      dataDir: join(this.dir, "node-{id}"),
      limits: { ...FUZZ_LIMITS, requestTimeoutMs: 5000, maxHttpConnections: 256 },
      // Fuzzed writes are many: snapshots and compaction happen during the run too.
      snapshot: { everyEntries: 500, keepEntries: 50 },
      nodes: [{ id: this.id, raft: `127.0.0.1:${this.raftPort}`, http: `127.0.0.1:${this.httpPort}` }],
    };
    const configFile = join(this.dir, "cluster.json");
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const log = createWriteStream(join(this.dir, "node.log"));
    const child = spawn(process.execPath, ["--import", tsx, cli, "node", "--config", configFile, "--id", String(this.id), "--log-format", "json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.child = child;
    child.once("exit", (code, signal) => {
      if (!this.stopped) this.exit = `the node exited by itself (${signal ?? `status ${code}`})`;
    });

    await this.until(20_000, "answer /healthz", () => this.healthy(500));
    await this.until(10_000, "become leader", async () => (await this.json("/status"))?.role === "leader");
    // Node 2 joins as a learner at addresses nothing listens on: the node keeps leading alone.
    const [raft2, http2] = [await freePort(), await freePort()];
    const added = await fetch(`${this.url}/admin/members`, {
      method: "POST",
      body: JSON.stringify({ id: this.peerId, raft: `127.0.0.1:${raft2}`, http: `127.0.0.1:${http2}`, role: "learner" }),
      signal: AbortSignal.timeout(10_000),
    });
    if (added.status !== 200) throw new Error(`adding learner ${this.peerId} answered ${added.status}: ${await added.text()}`);
    for (const [key, value] of SENTINELS) {
      const res = await fetch(`${this.url}/kv/${encodeURIComponent(key)}`, { method: "PUT", body: value, signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) throw new Error(`writing ${key} answered ${res.status}: ${await res.text()}`);
    }
  }

  private async until(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit !== undefined) throw new Error(this.exit);
      if (await check()) return;
      await sleep(50);
    }
    throw new Error(`the node did not ${what} within ${timeoutMs} ms`);
  }

  /**
   * Whether GET /healthz answers 200 within `timeoutMs`: asked on a fresh connection each time
   * (a pooled one may be one the server has just closed), up to three times.
   */
  async healthy(timeoutMs = 2000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (let attempt = 0; attempt < 3; attempt++) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      try {
        const ex = await rawExchange(this.httpPort, Buffer.from(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`, "latin1"), {
          expected: 1,
          firstIsHead: false,
          timeoutMs: left,
        });
        if (ex.answers[0]?.status === 200) return true;
      } catch {
        // refused or timed out: try again while time is left
      }
      await sleep(20);
    }
    return false;
  }

  async json(path: string): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(2000) });
      return (await res.json()) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** The node's metrics as lines "name{labels} value" (Prometheus text), or undefined. */
  async metrics(): Promise<string[] | undefined> {
    try {
      const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(2000) });
      return (await res.text()).split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    } catch {
      return undefined;
    }
  }

  /**
   * What is wrong with the node now, if anything: gone, not answering /healthz, not leading,
   * or any value written before the fuzzing not read back intact (a linearizable read).
   */
  async problems(): Promise<string[]> {
    if (this.exit !== undefined) return [this.exit];
    const out: string[] = [];
    if (!(await this.healthy(5000))) out.push("the node does not answer /healthz");
    const status = await this.json("/status");
    if (status?.role !== "leader") out.push(`the node is no longer leader (status: ${JSON.stringify(status)})`);
    for (const [key, value] of SENTINELS) {
      try {
        const res = await fetch(`${this.url}/kv/${encodeURIComponent(key)}`, { signal: AbortSignal.timeout(5000) });
        const got = new Uint8Array(await res.arrayBuffer());
        if (res.status !== 200 || !Buffer.from(got).equals(Buffer.from(value))) out.push(`${key}: read back ${res.status} with ${got.length} bytes, wrote ${value.length}`);
      } catch (e) {
        out.push(`${key}: not read back (${(e as Error).message})`);
      }
    }
    if (this.exit !== undefined) out.unshift(this.exit);
    return out;
  }

  /** Resident memory now and at its peak (VmHWM), from /proc; undefined off Linux or once gone. */
  memory(): { rss: number; peak: number } | undefined {
    const pid = this.child?.pid;
    if (pid === undefined) return undefined;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
      return { rss: kib("VmRSS"), peak: kib("VmHWM") };
    } catch {
      return undefined;
    }
  }

  /** The end of the node's log, for error messages. */
  logTail(lines = 8): string {
    try {
      return readFileSync(join(this.dir, "node.log"), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL) and removes the directory. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.child !== undefined) await stopProcess(this.child, "SIGTERM", 5000);
    rmSync(this.dir, { recursive: true, force: true });
    this.unregister?.();
    this.unregister = undefined;
  }
}
