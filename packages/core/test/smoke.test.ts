import { describe, expect, it } from "vitest";
import { TestCluster } from "./harness.js";

describe("three in-memory nodes", () => {
  it("elect a leader and commit an entry on every node", () => {
    const c = new TestCluster(3);
    expect(c.elect(1)).toBe(true);
    c.propose(1, "hello");
    for (const id of c.ids) expect(c.appliedData(id)).toEqual(["hello"]);
  });
});
