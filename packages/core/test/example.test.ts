import { expect, it, vi } from "vitest";
import { runThreeNodes } from "../examples/three-nodes.js";

it("the README example elects a leader and commits an entry on all three nodes", () => {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const applied = runThreeNodes();
  log.mockRestore();
  expect([...applied.values()]).toEqual([["hello"], ["hello"], ["hello"]]);
});
