import { existsSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { processAlive as alive } from "../../node/test/cluster-harness.js";
import { runInProcess } from "../src/fuzz/in-process.js";
import { fuzzInProcess } from "../src/fuzz/property.js";
import { runFuzz, TARGET_NAMES } from "../src/fuzz/run.js";
import { accepted, rejected, type InProcessTarget } from "../src/fuzz/types.js";

const SEED = 20_261_127;

describe("pnpm fuzz", () => {
  it("a short fixed-seed run over every target: no crash, both sides of every decoder reached, the real node intact", { timeout: 60_000 }, async () => {
    const lines: string[] = [];
    const result = await runFuzz({ seconds: 7, seed: SEED, log: (l) => lines.push(l) });
    const report = lines.join("\n");
    expect(result.stats.map((s) => s.target), report).toEqual(TARGET_NAMES);
    for (const s of result.stats) {
      expect(s.crashes, `${s.target} crashed:\n${report}`).toBe(0);
      expect(s.accepted, `${s.target} accepted nothing:\n${report}`).toBeGreaterThan(0);
      expect(s.rejected, `${s.target} rejected nothing:\n${report}`).toBeGreaterThan(0);
      expect(s.accepted + s.rejected + s.crashes).toBe(s.tried);
    }
    // The real node survived: running and leading, healthy, every value written before intact.
    expect(result.nodeProblems, report).toEqual([]);
    expect(result.passed).toBe(true);
    expect(report).toContain(`seed ${SEED}`);
    // Nothing left behind.
    expect(result.node).toBeDefined();
    expect(alive(result.node!.pid)).toBe(false);
    expect(existsSync(result.node!.dir)).toBe(false);
  });

  it("reports a decoder's crash with the seed and path that replay it, shrunk", () => {
    const fragile: InProcessTarget<Uint8Array> = {
      name: "fragile",
      description: "throws a TypeError when its second byte is above 200",
      arbitrary: fc.uint8Array({ maxLength: 16 }),
      show: (b) => b,
      run: (b) => {
        if (b.length >= 2 && b[1]! > 200) throw new TypeError("not a typed rejection");
        return b.length % 2 === 0 ? accepted() : rejected("odd length");
      },
    };
    const first = fuzzInProcess(fragile, { fcSeed: 7, budgetMs: 5000 });
    expect(first.crashes).toBe(1);
    const [crash] = first.crashReports;
    expect(crash).toMatchObject({ target: "fragile", kind: "throw TypeError", fcSeed: 7 });
    expect(crash!.input).toBe("00c9 (2 bytes)"); // shrunk to the smallest input that throws
    expect(crash!.path).toBeDefined();
    // Inputs before the crash were classified; those tried while shrinking were not counted.
    expect(first.accepted + first.rejected + first.crashes).toBe(first.tried);
    const replay = fuzzInProcess(fragile, { fcSeed: crash!.fcSeed, budgetMs: 5000, path: crash!.path! });
    expect(replay.crashReports[0]?.input).toBe(crash!.input);
  });

  it("turns a decoder that never returns, or that allocates without bound, into a reported crash, and carries on", { timeout: 30_000 }, async () => {
    const fixture = (name: string) => new URL(`./fixtures/${name}.ts`, import.meta.url).href;
    const hang = await runInProcess(
      [
        { name: "hangs", fcSeed: 1, budgetMs: 10_000 },
        { name: "codec", fcSeed: 1, budgetMs: 300 },
      ],
      { hangMs: 1000, extraModules: [fixture("hanging-target")] },
    );
    expect(hang.map((s) => [s.target, s.crashes])).toEqual([
      ["hangs", 1],
      ["codec", 0],
    ]);
    expect(hang[0]!.crashReports[0]).toMatchObject({ kind: "hang" });
    expect(Number(JSON.parse(hang[0]!.crashReports[0]!.input)) % 7).toBe(3); // the input it was stuck on
    expect(hang[1]!.tried).toBeGreaterThan(0); // the next target ran in a new worker

    const [hoard] = await runInProcess([{ name: "hoards", fcSeed: 1, budgetMs: 10_000 }], { heapLimitMb: 64, extraModules: [fixture("hoarding-target")] });
    expect(hoard!.crashReports[0]).toMatchObject({ kind: "memory" });
    expect(Number(JSON.parse(hoard!.crashReports[0]!.input)) % 5).toBe(2);
  });
});
