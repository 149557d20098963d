import { describe, expect, it } from "vitest";
import { deriveSeed, drawSeed, seededRng } from "../src/index.js";

describe("seeded randomness", () => {
  it("seededRng: the same seed gives the same sequence, in [0, 1)", () => {
    const a = seededRng(12345);
    const b = seededRng(12345);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(seededRng(12346)()).not.toBe(seededRng(12345)());
  });

  it("deriveSeed separates streams by every part, large seeds included", () => {
    const seeds = new Set<number>();
    for (const run of [1, 2, 2 ** 40, 2 ** 40 + 1]) for (const from of [1, 2, 3]) for (const to of [1, 2, 3]) seeds.add(deriveSeed(run, from, to));
    expect(seeds.size).toBe(36);
    expect(deriveSeed(1, 2, 3)).toBe(deriveSeed(1, 2, 3));
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2));
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    expect(() => deriveSeed(Number.NaN)).toThrow(RangeError);
  });

  it("drawSeed forks a reproducible 32-bit seed off an Rng", () => {
    const a = seededRng(9);
    const b = seededRng(9);
    expect(drawSeed(a)).toBe(drawSeed(b));
    expect(drawSeed(() => 0.999999999999)).toBeLessThan(2 ** 32);
  });
});
