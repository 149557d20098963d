import { describe, expect, it } from "vitest";
import { checkHistory, formatOperation, renderFailure, renderHistory, type KvOperation } from "../src/index.js";
import { get, put, putUnknown } from "./helpers.js";

function failed(history: KvOperation[]) {
  const result = checkHistory(history);
  if (result.ok !== false) throw new Error("expected a failure");
  return result;
}

describe("formatOperation", () => {
  it("shows the client, the call, its interval and how it ended", () => {
    expect(formatOperation(put("c1", "x", "1", 0, 1.25))).toBe('client c1 put("x", "1") [0, 1.25]');
    expect(formatOperation(get(7, "x", null, 2, 3))).toBe('client 7 get("x") -> absent [2, 3]');
    expect(formatOperation(get(7, "x", 5, 2, 3))).toBe('client 7 get("x") -> 5 [2, 3]');
    expect(formatOperation(putUnknown("c2", "x", 2, 4))).toBe('client c2 put("x", 2) [4, ∞) unknown');
    expect(formatOperation({ clientId: "c", op: "delete", key: "x", call: 1, return: 2, status: "fail" })).toBe(
      'client c delete("x") [1, 2] failed',
    );
  });
});

describe("renderHistory", () => {
  it("lists operations in call order with a timeline", () => {
    const text = renderHistory([get("c3", "x", 1, 4, 5), put("c1", "x", 1, 0, 2), putUnknown("c2", "x", 2, 1)]);
    const lines = text.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^#\s+client\s+call\s+return\s+operation\s+status\s+\|0 \.\. 5\s*\|\s+note$/);
    expect(lines[1]).toContain('put("x", 1)');
    expect(lines[1]).toMatch(/^1\s+c1/); // index in the array given
    expect(lines[2]).toContain("∞");
    expect(lines[2]).toMatch(/=>\|/); // open-ended bar runs to the edge
    expect(lines[3]).toContain('get("x") -> 1');
    expect(lines[3]).toMatch(/\[=+\]\|$/);
  });

  it("can leave the timeline out, and says so when there is nothing", () => {
    expect(renderHistory([put("c1", "x", 1, 0, 2)], { timeline: false })).not.toContain("|");
    expect(renderHistory([])).toBe("(no operations)");
  });
});

describe("renderFailure", () => {
  it("explains a stale read: summary, prefix, the blocked read and the window around it", () => {
    const result = failed([put("a", "x", "1", 0, 1), put("b", "x", "2", 2, 3), get("c", "x", "1", 4, 5)]);
    const text = renderFailure(result);
    expect(text).toContain('key "x" is not linearizable: the longest linearizable prefix found has 2 of its 3 checked operations');
    expect(text).toContain("The longest linearizable prefix found: 2 steps:");
    expect(text).toContain('  1. client a put("x", "1") [0, 1]  => "1"');
    expect(text).toContain('  2. client b put("x", "2") [2, 3]  => "2"');
    expect(text).toContain('Then the key holds "2".');
    expect(text).toContain('  ! client c get("x") -> "1" [4, 5]: it read "1", but the key holds "2" here');
    expect(text).toMatch(/2\s+c\s+4\s+5\s+get\("x"\) -> "1".*BLOCKED \(deadline\)/);
    expect(text).toMatch(/0\s+a\s+0\s+1\s+put\("x", "1"\).*prefix step 1/);
    expect(renderFailure(result.explanation)).toBe(text);
  });

  it("shows only the end of a long prefix and a bounded window", () => {
    const history: KvOperation[] = [];
    for (let i = 0; i < 100; i++) history.push(put("w", "x", i, 10 * i, 10 * i + 1));
    for (let i = 0; i < 100; i++) history.push(get(`r${i}`, "x", 99, 995, 2000));
    history.push(get("late", "x", 5, 1500, 1600));
    const result = failed(history);
    const text = renderFailure(result, { prefixSteps: 3, maxRows: 20 });
    expect(result.explanation.prefix.length).toBe(200);
    expect(text).toContain("The longest linearizable prefix found: 200 steps (the last 3 shown):");
    expect(text).toMatch(/\(the last 20 of \d+\):/);
    expect(text).toContain('  ! client late get("x") -> 5 [1500, 1600]');
  });

  it("renders the other verdicts briefly", () => {
    expect(renderFailure(checkHistory([]))).toBe("linearizable");
    const many = Array.from({ length: 24 }, (_, i) => put(`c${i}`, "x", i, 0, 10));
    const unknown = checkHistory([...many, get("r", "x", 1, 20, 21), get("r", "x", 2, 22, 23)], { maxSteps: 1000 });
    expect(renderFailure(unknown)).toMatch(/^unknown: the step budget/);
  });
});
