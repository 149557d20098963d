import { describe, expect, it } from "vitest";
import { EntryCache } from "../src/entry-cache.js";
import { entries } from "./helpers.js";

describe("EntryCache", () => {
  it("keeps the newest entries within its entry bound", () => {
    const c = new EntryCache(10, 1 << 20);
    c.append(entries(1, 25, 1));
    expect(c.size).toBe(10);
    expect(c.firstIndex).toBe(16);
    expect(c.get(15)).toBeUndefined();
    expect(c.get(25)?.index).toBe(25);
  });

  it("keeps within its byte bound, but always the newest entry", () => {
    // Each test entry is 24 + 4..6 bytes.
    const c = new EntryCache(1000, 100);
    c.append(entries(1, 10, 1));
    expect(c.size).toBe(3);
    expect(c.firstIndex).toBe(8);
    const tiny = new EntryCache(1000, 1);
    tiny.append(entries(1, 3, 1));
    expect(tiny.size).toBe(1);
    expect(tiny.get(3)?.index).toBe(3);
  });

  it("replaces a truncated suffix and restarts on a gap", () => {
    const c = new EntryCache(100, 1 << 20);
    c.append(entries(1, 10, 1));
    c.append(entries(6, 2, 2));
    expect(c.size).toBe(7);
    expect(c.get(7)?.term).toBe(2);
    expect(c.get(8)).toBeUndefined();
    c.append(entries(50, 2, 3));
    expect(c.firstIndex).toBe(50);
    expect(c.size).toBe(2);
  });

  it("drops a compacted prefix", () => {
    const c = new EntryCache(100, 1 << 20);
    c.append(entries(1, 10, 1));
    c.dropUpTo(4);
    expect(c.firstIndex).toBe(5);
    expect(c.slice(5, 11).map((e) => e.index)).toEqual([5, 6, 7, 8, 9, 10]);
    c.dropUpTo(20);
    expect(c.size).toBe(0);
    expect(c.firstIndex).toBe(21);
  });
});
