import { describe, expect, it } from "vitest";
import { checkHistory, type KvOperation } from "../src/index.js";
import { get, put } from "./helpers.js";

/**
 * The pathological shape: n puts of distinct values all overlapping, then two reads that no
 * order of the puts can explain (after all of them completed, the key cannot change from 1 to
 * 2). To prove it the search must rule out every order of the puts: about n * 2^(n-1)
 * configurations.
 */
function pathological(n: number, key = "x"): KvOperation[] {
  const history: KvOperation[] = [];
  for (let i = 1; i <= n; i++) history.push(put(`c${i}`, key, i, 0, 100));
  history.push(get("r", key, 1, 200, 201), get("r", key, 2, 202, 203));
  return history;
}

describe("budget", () => {
  it("decides a small instance of the pathological shape: not linearizable", () => {
    const result = checkHistory(pathological(8));
    expect(result.ok).toBe(false);
    expect(result.stats.steps).toBeGreaterThan(8 * 2 ** 7);
  });

  it("returns unknown, not a pass, when the step budget runs out", () => {
    const result = checkHistory(pathological(24), { maxSteps: 100_000 });
    expect(result.ok).toBe("unknown");
    if (result.ok !== "unknown") return;
    expect(result.key).toBe("x");
    expect(result.reason).toContain("step budget (100000 steps)");
    expect(result.stats.steps).toBe(100_000);
    expect(result.stats.keysChecked).toBe(0);
  });

  it("returns unknown when the time budget runs out, by the clock given", () => {
    let fake = 0;
    const now = (): number => (fake += 1); // 1 ms per reading
    const result = checkHistory(pathological(24), { timeoutMs: 50, now });
    expect(result.ok).toBe("unknown");
    if (result.ok !== "unknown") return;
    expect(result.reason).toContain("time budget (50 ms)");
    // The clock is read every 1024 steps, so about 50 readings' worth of steps were taken.
    expect(result.stats.steps).toBeGreaterThan(40 * 1024);
    expect(result.stats.steps).toBeLessThan(60 * 1024);
  });

  it("checks the smallest keys first, so a definite failure elsewhere is still found", () => {
    const history = [...pathological(24, "big"), put("c1", "small", 1, 0, 1), get("c2", "small", null, 2, 3)];
    const result = checkHistory(history, { maxSteps: 100_000 });
    expect(result.ok).toBe(false);
    if (result.ok === false) expect(result.key).toBe("small");
  });

  it("reports unknown with the keys already found linearizable", () => {
    const history = [...pathological(24, "big"), put("c1", "small", 1, 0, 1), get("c2", "small", 1, 2, 3)];
    const result = checkHistory(history, { maxSteps: 100_000 });
    expect(result).toMatchObject({ ok: "unknown", key: "big", stats: { keys: 2, keysChecked: 1 } });
    if (result.ok === "unknown") expect(result.reason).toContain("1 of 2 keys were checked");
  });

  it("a budget large enough gives the same verdict as no limit", () => {
    expect(checkHistory(pathological(10), { maxSteps: 1_000_000, timeoutMs: 60_000 }).ok).toBe(false);
    const fine = pathological(10).slice(0, 11); // drop the second read: now linearizable
    expect(checkHistory(fine, { maxSteps: 1_000_000 }).ok).toBe(true);
  });

  it("rejects a nonsensical budget", () => {
    expect(() => checkHistory([], { maxSteps: -1 })).toThrow(RangeError);
    expect(() => checkHistory([], { timeoutMs: Number.NaN })).toThrow(RangeError);
  });
});

describe("search pruning", () => {
  it("decides many concurrent reads of one value quickly, pass or fail", () => {
    // 200 long reads all overlapping; without the rule that a fitting read can go first, the
    // failing case would have to rule out every subset of them.
    const history: KvOperation[] = [put("w", "x", "a", 0, 1)];
    for (let i = 0; i < 200; i++) history.push(get(`r${i}`, "x", "a", 2, 1000));
    expect(checkHistory(history).ok).toBe(true);
    const failing = [...history, put("w", "x", "b", 3, 4), get("late", "x", "c", 5, 6)];
    const result = checkHistory(failing);
    expect(result.ok).toBe(false);
    expect(result.stats.steps).toBeLessThan(10_000);
  });
});
