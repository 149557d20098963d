import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { median, runHeartbeatBench } from "../src/heartbeat.js";
import { PeerProcess, spawnedPeerPids, withPeerCleanup } from "../src/peer-processes.js";
import { encodeMessageFrame } from "@raft-ts/transport-tcp";

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw e;
  }
}

async function allExited(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const running = pids.filter(isRunning);
    if (running.length === 0 || performance.now() > deadline) return running;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("median", () => {
  it("is the middle value, or the mean of the two middle ones", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe("peer processes", () => {
  it("are stopped when the benchmark body throws", async () => {
    let pid = -1;
    await expect(
      withPeerCleanup(async () => {
        const p = PeerProcess.spawn("test echo", { mode: "raw", pongHex: "0000000100" });
        pid = p.pid;
        await p.next("listening", 30_000);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await allExited([pid], 5000)).toEqual([]);
  });

  it("rejects options that make no sense, before starting anything", async () => {
    const before = spawnedPeerPids().length;
    await expect(runHeartbeatBench({ followers: 0 })).rejects.toThrow(RangeError);
    await expect(runHeartbeatBench({ durationMs: 1.5 })).rejects.toThrow(RangeError);
    expect(spawnedPeerPids().length).toBe(before);
  });
});

describe("pnpm bench heartbeat, on real processes", () => {
  it("measures raft and raw round trips with the same frames, and RTT at the default interval", async () => {
    const before = spawnedPeerPids().length;
    const lines: string[] = [];
    const phases = { raft: [] as number[], raw: [] as number[] };
    const order: string[] = [];
    const r = await runHeartbeatBench(
      { followers: 2, durationMs: 500, defaultDurationMs: 1000, rounds: 2 },
      (l) => lines.push(l),
      (kind, round, perSec) => {
        phases[kind].push(perSec);
        order.push(`${kind} ${round}`);
      },
    );

    expect(r.followers).toBe(2);
    expect(r.durationMs).toBe(500);
    expect(order).toEqual(["raft 1", "raw 1", "raft 2", "raw 2"]);
    expect([...phases.raft, ...phases.raw].every((x) => x > 0)).toBe(true);
    expect(r.raftRoundTripsPerSec).toBe(median(phases.raft));
    expect(r.rawRoundTripsPerSec).toBe(median(phases.raw));
    expect(r.ratio).toBe(r.raftRoundTripsPerSec / r.rawRoundTripsPerSec);
    // Node 1 wins the first election (term 1) and commits its no-op (index 1); no read index is
    // pending (readSeq 0). Every field fits in one varint byte, so this is the frame's size.
    const heartbeat = encodeMessageFrame({ type: "Heartbeat", from: 1, to: 2, term: 1, commit: 1, readSeq: 0 });
    expect(r.frameBytes).toBe(heartbeat.length);

    expect(r.atDefault.tickMs).toBe(10);
    expect(r.atDefault.heartbeatMs).toBe(50);
    const rtt = r.atDefault.rtt;
    expect(rtt.count).toBeGreaterThan(0);
    // At most one heartbeat per follower per 50 ms leaves in the 1 s window (plus the one in
    // flight at each end): this phase ran at the default interval, not flat out.
    expect(rtt.count).toBeLessThanOrEqual(2 * (1000 / 50 + 2));
    expect(rtt.min).toBeGreaterThan(0);
    expect(rtt.p50).toBeLessThanOrEqual(rtt.p99);
    expect(rtt.p99).toBeLessThanOrEqual(rtt.max);

    // Five sets of two peers each: raft, raw, raft, raw, default interval. None is left running.
    const pids = spawnedPeerPids().slice(before);
    expect(pids).toHaveLength(10);
    expect(await allExited(pids, 5000)).toEqual([]);
    expect(lines.some((l) => l.startsWith("raft 2/2: ") && l.endsWith("round trips/s"))).toBe(true);
  });

  // SIGINT and SIGTERM: the benchmark kills its peers and exits as a shell would. SIGKILL: it
  // cannot, and the peers exit by themselves when their IPC channel closes.
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGKILL", null],
  ] as const)("leaves no peer process running after %s (exit code %s)", async (signal, code) => {
    const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), cli, "heartbeat", "--duration", "60", "--rounds", "1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const pids: number[] = [];
    try {
      let out = "";
      // Wait until the raft phase is measuring, its followers running.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no measurement within 60 s; output: ${out}`)), 60_000);
        child.stdout!.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const m = /pids ([\d, ]+)\)/.exec(out);
          if (m !== null && pids.length === 0) pids.push(...m[1]!.split(", ").map(Number));
          if (pids.length > 0 && out.includes("round trips/s")) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(pids).toHaveLength(2);
      expect(pids.every(isRunning)).toBe(true);
      child.kill(signal);
      expect(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 10_000))])).toBe(code);
      expect(await allExited(pids, 5000)).toEqual([]);
    } finally {
      // Whatever failed above, leave nothing behind.
      child.kill("SIGKILL");
      for (const pid of pids.filter(isRunning)) process.kill(pid, "SIGKILL");
    }
  });
});
