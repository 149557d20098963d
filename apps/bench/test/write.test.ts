import { Pool } from "undici";
import { describe, expect, it } from "vitest";
import { keyOf, runClosedLoop } from "../src/load.js";
import type { WriteLevel, WriteTargetResult } from "../src/results.js";
import { histogram, summarize } from "../src/stats.js";
import { startEtcd } from "../src/targets/etcd.js";
import { startRaftTs } from "../src/targets/raft-ts.js";
import type { RunningTarget } from "../src/targets/target.js";
import { WRITE_DEFAULTS, writeRatios } from "../src/write.js";

describe("the write load's pieces", () => {
  it("makes keys of exactly the asked size, distinct per number", () => {
    const keys = [0, 1, 9_999].map((n) => keyOf(n, 16));
    expect(keys.map((k) => Buffer.byteLength(k))).toEqual([16, 16, 16]);
    expect(new Set(keys).size).toBe(3);
  });

  it("puts each latency in the histogram bucket that bounds it", () => {
    const values = [0.001, 0.3, 0.31, 1, 1.5, 7, 7, 250];
    const buckets = histogram(values);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(values.length);
    for (const v of values) {
      const i = buckets.findIndex((b) => v <= b.upperMs);
      expect(buckets[i]!.count).toBeGreaterThan(0);
      if (i > 0) expect(v).toBeGreaterThan(buckets[i - 1]!.upperMs);
    }
    expect(buckets.at(-1)!.upperMs).toBeGreaterThanOrEqual(250);
  });

  it("divides raft-ts by etcd at each concurrency both ran", () => {
    const level = (concurrency: number, perSec: number, p99: number): WriteLevel => ({
      concurrency,
      durationMs: 1000,
      commits: perSec,
      errors: 0,
      commitsPerSec: perSec,
      latency: { ...summarize([p99]), p99 },
      histogram: [],
    });
    const ours: WriteTargetResult = { target: "raft-ts", version: "x", levels: [level(1, 900, 2), level(16, 8000, 6)] };
    const etcd: WriteTargetResult = { target: "etcd", version: "y", levels: [level(1, 1000, 1)] };
    expect(writeRatios([ours, etcd])).toEqual([{ concurrency: 1, throughput: 0.9, p99: 2 }]);
    expect(writeRatios([ours])).toEqual([]);
  });
});

/**
 * The measurement is honest when every write it counts is one the server committed: the
 * server's own counter moves at least as far, and a written key reads back its value.
 */
async function checkLoadAgainst(target: RunningTarget): Promise<void> {
  const before = await target.committedCount();
  const pool = new Pool(await target.leaderOrigin(), { connections: 4 });
  const written = new Map<string, Uint8Array>();
  let level: WriteLevel;
  try {
    level = await runClosedLoop({ ...WRITE_DEFAULTS, concurrency: 4, durationMs: 400, warmupMs: 100 }, async (key, value) => {
      const ok = await target.put(pool, key, value);
      if (ok) written.set(key, value);
      return ok;
    });
  } finally {
    await pool.close();
  }
  const after = await target.committedCount();
  expect(level.commits).toBeGreaterThan(0);
  expect(level.errors).toBe(0);
  expect(level.latency.count).toBe(level.commits);
  expect(level.histogram.reduce((n, b) => n + b.count, 0)).toBe(level.commits);
  expect(level.commitsPerSec).toBeCloseTo(level.commits / 0.4, 6);
  // Warm-up and tail writes are committed but not counted, so the server saw at least as many.
  expect(after - before).toBeGreaterThanOrEqual(level.commits);
  const [key, value] = [...written].at(-1)!;
  expect(Buffer.byteLength(key)).toBe(16);
  expect(value).toHaveLength(128);
  // Another client may have written the same key later; only a value some client sent can be there.
  const stored = await target.read(key);
  expect(stored).toBeDefined();
  expect([...written.values()].some((v) => Buffer.from(v).equals(Buffer.from(stored!)))).toBe(true);
}

describe("pnpm bench write, on real processes", () => {
  // etcd-server is installed by scripts/ensure-test-tools.sh (pnpm test), as CI runs it.
  const targets: [string, () => Promise<RunningTarget>][] = [
    ["a raft-ts", () => startRaftTs(3, WRITE_DEFAULTS.timing)],
    ["an etcd", () => startEtcd(3, WRITE_DEFAULTS.timing)],
  ];
  for (const [name, start] of targets) {
    it(`counts only writes ${name} cluster committed`, async () => {
      const target = await start();
      try {
        await checkLoadAgainst(target);
      } finally {
        await target.stop();
      }
    });
  }
});
