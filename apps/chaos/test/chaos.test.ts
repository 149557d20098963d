import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { processAlive as alive } from "../../node/test/cluster-harness.js";
import { runChaos } from "../src/chaos/run.js";

const SEED = 42;

/**
 * One real chaos run: 3 node processes on 127.0.0.1, a proxy on every peer link, 90 s of
 * faults from a fixed seed, then convergence and every check (the on-disk log comparison
 * included). About two and a half minutes.
 */
describe("a 2-minute chaos run with 3 nodes", () => {
  it("passes every check and leaves nothing behind", { timeout: 300_000 }, async () => {
    const lines: string[] = [];
    const result = await runChaos({ durationS: 120, seed: SEED, nodes: 3, log: (l) => lines.push(l) });
    const r = result.report;
    console.log(lines.slice(lines.indexOf("")).join("\n"));
    if (!result.passed) throw new Error(`the chaos run failed (${result.replay}; run directory ${result.runDir}):\n${lines.join("\n")}`);
    expect(result.passed).toBe(true);
    expect(r.checks.find((c) => c.name === "logs agree")?.ok).toBe(true);
    expect(r.kills).toBeGreaterThanOrEqual(1);
    expect(r.restarts).toBe(r.kills);
    expect(r.pauses).toBeGreaterThanOrEqual(1);
    expect(r.partitions).toBeGreaterThanOrEqual(1);
    expect(r.operations.ok).toBeGreaterThan(100);
    expect(r.convergenceMs).not.toBeNull();
    // Every process and the run directory are gone.
    expect(result.pids.length).toBeGreaterThanOrEqual(3 + r.kills);
    expect(result.pids.filter(alive)).toEqual([]);
    expect(result.runDirKept).toBe(false);
    expect(existsSync(result.runDir)).toBe(false);
  });
});
