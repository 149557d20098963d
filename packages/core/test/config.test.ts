import { describe, expect, it } from "vitest";
import { ConfigError, MemoryStorage, RaftNode, resolveConfig, SeededRng, type RaftConfig } from "../src/index.js";

function base(overrides: Partial<RaftConfig> = {}): RaftConfig {
  return { id: 1, voters: [1, 2, 3], electionTicks: 10, heartbeatTicks: 2, rng: new SeededRng(1), ...overrides };
}

/** The ConfigError that `fn` throws (failing the test if it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

/** Check both entry points reject the config, naming `field`; returns resolveConfig's error. */
function rejects(config: RaftConfig, field: string): ConfigError {
  const fromResolve = configError(() => resolveConfig(config));
  const fromNode = configError(() => new RaftNode(config, new MemoryStorage()));
  for (const e of [fromResolve, fromNode]) {
    expect(e.field).toBe(field);
    expect(e.name).toBe("ConfigError");
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toContain(field);
  }
  expect(fromNode.message).toBe(fromResolve.message);
  return fromResolve;
}

describe("config validation", () => {
  it("rejects heartbeatTicks >= electionTicks, naming both values", () => {
    const greater = rejects(base({ heartbeatTicks: 13, electionTicks: 7 }), "heartbeatTicks");
    expect(greater.message).toContain("electionTicks");
    expect(greater.message).toMatch(/heartbeatTicks\D*13/);
    expect(greater.message).toMatch(/electionTicks\D*7/);

    const equal = rejects(base({ heartbeatTicks: 10, electionTicks: 10 }), "heartbeatTicks");
    expect(equal.message).toMatch(/heartbeatTicks\D*10/);
    expect(equal.message).toMatch(/electionTicks\D*10/);

    expect(() => resolveConfig(base({ heartbeatTicks: 9, electionTicks: 10 }))).not.toThrow();
  });

  it("rejects an id that is not among the voters", () => {
    const e = rejects(base({ id: 4, voters: [1, 2, 3] }), "voters");
    expect(e.message).toContain("4");
  });

  it("rejects duplicate voters", () => {
    const e = rejects(base({ voters: [1, 2, 2] }), "voters");
    expect(e.message).toMatch(/duplicate/i);
  });

  it("accepts an empty voter list (a node joining an existing cluster)", () => {
    expect(resolveConfig(base({ voters: [] })).voters).toEqual([]);
  });

  it("rejects voter ids that are not positive integers", () => {
    rejects(base({ voters: [1, 0, 3] }), "voters");
    rejects(base({ voters: [1, 2.5, 3] }), "voters");
    rejects(base({ voters: [1, -2, 3] }), "voters");
  });

  it("rejects an id that is not a positive integer", () => {
    rejects(base({ id: 0, voters: [0, 1, 2] }), "id");
    rejects(base({ id: 1.5, voters: [1.5, 2] }), "id");
  });

  it("rejects non-positive and non-integer tick counts", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const e = rejects(base({ electionTicks: bad, heartbeatTicks: 1 }), "electionTicks");
      expect(e.message).toContain(String(bad));
    }
    for (const bad of [0, -3, 0.5, Number.NaN]) {
      const e = rejects(base({ electionTicks: 10, heartbeatTicks: bad }), "heartbeatTicks");
      expect(e.message).toContain(String(bad));
    }
  });

  it("rejects non-positive and non-integer limits", () => {
    rejects(base({ maxEntriesPerMessage: 0 }), "maxEntriesPerMessage");
    rejects(base({ maxBytesPerMessage: -1 }), "maxBytesPerMessage");
    rejects(base({ maxInflightMessages: 1.5 }), "maxInflightMessages");
    rejects(base({ maxApplyBytesPerReady: 0 }), "maxApplyBytesPerReady");
    rejects(base({ applied: -1 }), "applied");
    rejects(base({ applied: 0.5 }), "applied");
  });
});

describe("config defaults", () => {
  it("fills in preVote and checkQuorum (true) and the limits", () => {
    const r = resolveConfig(base());
    expect(r.preVote).toBe(true);
    expect(r.checkQuorum).toBe(true);
    expect(r).toMatchObject({
      id: 1,
      voters: [1, 2, 3],
      electionTicks: 10,
      heartbeatTicks: 2,
      maxEntriesPerMessage: 256,
      maxBytesPerMessage: 1024 * 1024,
      maxInflightMessages: 64,
      maxApplyBytesPerReady: 4 * 1024 * 1024,
      applied: 0,
      logger: undefined,
      testingBugs: {},
    });
  });

  it("keeps explicit settings, including false", () => {
    const r = resolveConfig(base({ preVote: false, checkQuorum: false, maxInflightMessages: 3, applied: 5 }));
    expect(r.preVote).toBe(false);
    expect(r.checkQuorum).toBe(false);
    expect(r.maxInflightMessages).toBe(3);
    expect(r.applied).toBe(5);
  });

  it("copies the voter list, so later changes to the caller's array do not leak in", () => {
    const voters = [1, 2, 3];
    const r = resolveConfig(base({ voters }));
    voters.push(4);
    expect(r.voters).toEqual([1, 2, 3]);
  });

  it("a single-voter config is valid", () => {
    expect(() => new RaftNode(base({ voters: [1] }), new MemoryStorage())).not.toThrow();
  });
});
