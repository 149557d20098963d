import { describe, expect, it } from "vitest";
import { checkHistory, InvalidHistoryError, type CheckResult, type KvOperation } from "../src/index.js";
import { bruteForceLinearizable, del, get, put } from "./helpers.js";

/** The failure's explanation, failing the test if the history was judged anything else. */
function failure(result: CheckResult) {
  if (result.ok !== false) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

/**
 * Checks, and asserts the brute-force oracle agrees (all these histories are small), and that
 * each search gives the same verdict and the same explanation.
 */
function check(history: KvOperation[]): CheckResult {
  const result = checkHistory(history);
  expect(result.ok === true).toBe(bruteForceLinearizable(history));
  for (const strategy of ["depth-first", "breadth-first"] as const) {
    const other = checkHistory(history, { strategy });
    expect(other.ok).toBe(result.ok);
    if (other.ok === false && result.ok === false) {
      expect(other.explanation.prefix.length).toBe(result.explanation.prefix.length);
      expect(other.explanation.stateAfterPrefix).toBe(result.explanation.stateAfterPrefix);
    }
  }
  return result;
}

describe("sequential histories", () => {
  it("accepts one client writing, reading, deleting and reading again", () => {
    const result = check([
      put("c1", "x", "1", 0, 1),
      get("c1", "x", "1", 2, 3),
      put("c1", "x", "2", 4, 5),
      get("c1", "x", "2", 6, 7),
      del("c1", "x", 8, 9),
      get("c1", "x", null, 10, 11),
    ]);
    expect(result.ok).toBe(true);
    expect(result.stats.operations).toBe(6);
  });

  it("accepts several clients taking turns, and a read of a key never written as absent", () => {
    expect(
      check([
        get("c3", "x", null, 0, 1),
        put("c1", "x", 10, 2, 3),
        get("c2", "x", 10, 4, 5),
        put("c3", "x", 11, 6, 7),
        get("c1", "x", 11, 8, 9),
        get("c2", "x", "never", 10, 11, "fail"),
      ]).ok,
    ).toBe(true);
  });

  it("accepts an empty history", () => {
    const result = checkHistory([]);
    expect(result).toMatchObject({ ok: true, stats: { keys: 0, operations: 0 } });
  });
});

describe("classic non-linearizable histories", () => {
  it("rejects a stale read: absent after a completed write", () => {
    const result = failure(check([put("c1", "x", "1", 0, 1), get("c2", "x", null, 2, 3)]));
    expect(result.key).toBe("x");
    expect(result.explanation.prefix.map((s) => s.index)).toEqual([0]);
    expect(result.explanation.stateAfterPrefix).toBe("1");
    expect(result.explanation.blocked.map((b) => b.index)).toEqual([1]);
    expect(result.explanation.blocked[0]!.reason).toContain("read absent");
  });

  it("rejects a read of a value never written", () => {
    const result = failure(check([put("c1", "x", "1", 0, 1), get("c2", "x", "7", 2, 3)]));
    expect(result.explanation.blocked[0]!.reason).toContain("no put on this key ever wrote");
    expect(result.explanation.summary).toContain('"7"');
  });

  it("rejects a read of a value never written even when the read overlaps everything", () => {
    const result = failure(check([get("c2", "x", "7", 0, 100), put("c1", "x", "1", 1, 2), put("c1", "x", "2", 3, 4)]));
    expect(result.explanation.prefix).toHaveLength(2);
    expect(result.explanation.blocked.map((b) => b.op.op)).toEqual(["get"]);
  });

  it("rejects two reads that see a concurrent write's values in an order inconsistent with real time", () => {
    // c3 saw the new value 2; c4, starting after c3 finished, still sees the old value 1.
    const history = [
      put("c1", "x", 1, 0, 1),
      put("c2", "x", 2, 2, 10),
      get("c3", "x", 2, 3, 4),
      get("c4", "x", 1, 5, 6),
    ];
    const result = failure(check(history));
    expect(result.explanation.blocked.map((b) => b.index)).toEqual([3]);
    expect(result.explanation.blocked[0]!.reason).toContain("read 1, but the key holds 2");
    // The same reads in the other order are fine: old value first, then the new one.
    expect(check([history[0]!, history[1]!, get("c3", "x", 1, 3, 4), get("c4", "x", 2, 5, 6)]).ok).toBe(true);
  });

  it("rejects a lost acknowledged write: a read returns the older value after a newer put was acknowledged", () => {
    const result = failure(
      check([put("c1", "x", "old", 0, 1), put("c2", "x", "new", 2, 3), get("c3", "x", "old", 4, 5)]),
    );
    expect(result.explanation.stateAfterPrefix).toBe("new");
    expect(result.explanation.blocked[0]!.reason).toContain('"old" was written at step 1 and overwritten since');
  });

  it("rejects a read from the future: the value's only put begins after the read returned", () => {
    const result = failure(check([get("c1", "x", "1", 0, 1), put("c2", "x", "1", 2, 3)]));
    expect(result.explanation.prefix).toHaveLength(0);
    expect(result.explanation.blocked[0]!.reason).toContain("begins at 2, too late");
  });

  it("rejects a write going back in time on the same client", () => {
    expect(
      check([put("c1", "x", 1, 0, 1), put("c1", "x", 2, 2, 3), get("c1", "x", 2, 4, 5), get("c1", "x", 1, 6, 7)]).ok,
    ).toBe(false);
  });
});

describe("concurrent histories linearizable in some order", () => {
  it("accepts overlapping puts taking effect in the order opposite to their calls", () => {
    expect(check([put("c1", "x", 1, 0, 5), put("c2", "x", 2, 1, 6), get("c3", "x", 1, 7, 8)]).ok).toBe(true);
    expect(check([put("c1", "x", 1, 0, 5), put("c2", "x", 2, 1, 6), get("c3", "x", 2, 7, 8)]).ok).toBe(true);
  });

  it("accepts reads overlapping a write seeing the old value, then the new one", () => {
    expect(
      check([
        put("c1", "x", 1, 0, 1),
        put("c2", "x", 2, 2, 8),
        get("c3", "x", 1, 3, 4),
        get("c4", "x", 2, 5, 6),
        get("c3", "x", 2, 9, 10),
      ]).ok,
    ).toBe(true);
  });

  it("accepts three concurrent puts whose order only later reads reveal, and rejects an inconsistent last read", () => {
    const base = [
      put("c1", "x", "a", 0, 10),
      put("c2", "x", "b", 0, 10),
      put("c3", "x", "c", 0, 10),
      get("c4", "x", "b", 1, 2),
      get("c4", "x", "a", 3, 4),
      get("c5", "x", "c", 11, 12),
    ];
    expect(check(base).ok).toBe(true);
    const result = failure(check([...base, get("c4", "x", "b", 13, 14)]));
    expect(result.explanation.prefix).toHaveLength(6);
    expect(result.explanation.stateAfterPrefix).toBe("c");
  });

  it("treats intervals that only touch as concurrent, and a strict gap as ordered", () => {
    expect(check([put("c1", "x", 1, 0, 5), get("c2", "x", null, 5, 6)]).ok).toBe(true);
    expect(check([put("c1", "x", 1, 0, 5), get("c2", "x", null, 5.001, 6)]).ok).toBe(false);
  });

  it("accepts a read that returns at the instant it was called", () => {
    expect(check([put("c1", "x", 1, 0, 4), get("c2", "x", 1, 2, 2), get("c3", "x", 1, 5, 5)]).ok).toBe(true);
  });

  it("does not depend on the order operations appear in the history array", () => {
    const history = [
      put("c1", "x", 1, 0, 1),
      put("c2", "x", 2, 2, 10),
      get("c3", "x", 2, 3, 4),
      get("c4", "x", 1, 5, 6),
    ];
    expect(checkHistory([...history].reverse()).ok).toBe(false);
    expect(checkHistory([history[2]!, history[0]!, history[3]!, history[1]!]).ok).toBe(false);
  });
});

describe("delete", () => {
  it("empties the key: a later read sees absent", () => {
    expect(check([put("c1", "x", 1, 0, 1), del("c2", "x", 2, 3), get("c1", "x", null, 4, 5)]).ok).toBe(true);
  });

  it("rejects reading the deleted value after the delete completed", () => {
    const result = failure(check([put("c1", "x", 1, 0, 1), del("c2", "x", 2, 3), get("c1", "x", 1, 4, 5)]));
    expect(result.explanation.stateAfterPrefix).toBeUndefined();
    expect(result.explanation.blocked[0]!.reason).toContain("the key holds absent");
  });

  it("lets a read concurrent with a delete see either the value or absent", () => {
    expect(check([put("c1", "x", 1, 0, 1), del("c2", "x", 2, 6), get("c3", "x", 1, 3, 4)]).ok).toBe(true);
    expect(check([put("c1", "x", 1, 0, 1), del("c2", "x", 2, 6), get("c3", "x", null, 3, 4)]).ok).toBe(true);
  });

  it("accepts deleting an absent key, and writing again after a delete", () => {
    expect(
      check([
        del("c1", "x", 0, 1),
        get("c2", "x", null, 2, 3),
        put("c1", "x", 1, 4, 5),
        del("c2", "x", 6, 7),
        put("c3", "x", 2, 8, 9),
        get("c1", "x", 2, 10, 11),
      ]).ok,
    ).toBe(true);
  });

  it("rejects a read of absent between two completed puts", () => {
    expect(check([put("c1", "x", 1, 0, 1), get("c2", "x", null, 2, 3), put("c1", "x", 2, 4, 5)]).ok).toBe(false);
  });
});

describe("per-key independence", () => {
  it("checks keys separately: interleaved keys each linearizable pass", () => {
    const result = check([
      put("c1", "x", 1, 0, 10),
      put("c2", "y", 1, 1, 2),
      get("c2", "y", 1, 3, 4),
      get("c3", "x", null, 3, 4),
      get("c3", "x", 1, 11, 12),
      del("c1", "y", 11, 13),
    ]);
    expect(result).toMatchObject({ ok: true, stats: { keys: 2, keysChecked: 2 } });
  });

  it("names the failing key when another key is fine", () => {
    const result = failure(
      check([put("c1", "x", 1, 0, 1), get("c2", "x", 1, 2, 3), put("c1", "y", 1, 0, 1), get("c2", "y", null, 2, 3)]),
    );
    expect(result.key).toBe("y");
    expect(result.explanation.subHistory.every((s) => s.op.key === "y")).toBe(true);
  });

  it("does not let a value written to one key explain a read of another", () => {
    const result = failure(check([put("c1", "x", 5, 0, 1), get("c2", "y", 5, 2, 3)]));
    expect(result.key).toBe("y");
    expect(result.explanation.blocked[0]!.reason).toContain("no put on this key ever wrote");
  });

  it("handles many keys", () => {
    const history: KvOperation[] = [];
    for (let k = 0; k < 200; k++) {
      history.push(put("c1", `k${k}`, k, k, k + 5), get("c2", `k${k}`, k, k + 6, k + 7));
    }
    expect(checkHistory(history)).toMatchObject({ ok: true, stats: { keys: 200, keysChecked: 200, operations: 400 } });
    history.push(get("c3", "k150", 149, 500, 501));
    expect(failure(checkHistory(history)).key).toBe("k150");
  });
});

describe("malformed histories", () => {
  it("throws InvalidHistoryError naming the operation", () => {
    const cases: [unknown, RegExp][] = [
      [{ clientId: 1, op: "put", key: "x", call: 0, return: 1, status: "ok" }, /needs a string or number value/],
      [{ clientId: 1, op: "cas", key: "x", call: 0, return: 1, status: "ok" }, /op must be/],
      [{ clientId: 1, op: "get", key: 3, call: 0, return: 1, status: "ok" }, /key must be a string/],
      [{ clientId: 1, op: "get", key: "x", call: 2, return: 1, status: "ok" }, /before call/],
      [{ clientId: 1, op: "get", key: "x", call: 0, return: Infinity, status: "ok" }, /finite return/],
      [{ clientId: 1, op: "get", key: "x", call: Number.NaN, return: 1, status: "ok" }, /call must be/],
      [{ clientId: 1, op: "get", key: "x", call: 0, return: 1, status: "maybe" }, /status must be/],
    ];
    for (const [op, message] of cases) {
      let error: unknown;
      try {
        checkHistory([put("c0", "x", 1, 0, 1), op as KvOperation]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidHistoryError);
      expect((error as InvalidHistoryError).index).toBe(1);
      expect((error as Error).message).toMatch(message);
    }
  });

  it("does not require a return time for indeterminate operations", () => {
    const op = { clientId: 1, op: "put", key: "x", value: 1, call: 0, return: null, status: "info" };
    expect(checkHistory([op as unknown as KvOperation, get("c2", "x", 1, 1, 2)]).ok).toBe(true);
  });
});
