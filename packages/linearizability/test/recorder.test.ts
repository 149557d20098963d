import { describe, expect, it } from "vitest";
import { checkHistory, HistoryRecorder, type KvValue, type OperationHandle } from "../src/index.js";
import { seededRandom } from "./generate.js";

function fakeClock(): { now: () => number; set: (t: number) => void } {
  let t = 0;
  return { now: () => t, set: (v) => (t = v) };
}

describe("HistoryRecorder", () => {
  it("stamps calls and returns with the clock it was given", () => {
    const clock = fakeClock();
    const rec = new HistoryRecorder({ clock: clock.now });
    clock.set(10);
    const w = rec.invoke("c1", "put", "x", "1");
    clock.set(11);
    const r = rec.invoke("c2", "get", "x");
    clock.set(15);
    rec.ok(w);
    clock.set(17);
    rec.ok(r, "1");
    expect(rec.history()).toEqual([
      { clientId: "c1", op: "put", key: "x", value: "1", call: 10, return: 15, status: "ok" },
      { clientId: "c2", op: "get", key: "x", output: "1", call: 11, return: 17, status: "ok" },
    ]);
    expect(checkHistory(rec.history()).ok).toBe(true);
  });

  it("records absent reads, failures, unknown outcomes and operations still in flight", () => {
    const clock = fakeClock();
    const rec = new HistoryRecorder({ clock: clock.now });
    const a = rec.invoke("c1", "get", "x");
    clock.set(1);
    rec.ok(a); // absent
    const b = rec.invoke("c1", "put", "x", 5);
    clock.set(2);
    rec.fail(b);
    const c = rec.invoke("c1", "delete", "x");
    clock.set(3);
    rec.unknown(c);
    const d = rec.invoke("c2", "get", "x");
    clock.set(4);
    rec.ok(d, null);
    rec.invoke("c3", "put", "x", 6); // never completed
    expect(rec.inFlight).toBe(1);
    const h = rec.history();
    expect(h.map((o) => [o.op, o.status, o.call, o.return])).toEqual([
      ["get", "ok", 0, 1],
      ["put", "fail", 1, 2],
      ["delete", "unknown", 2, Infinity],
      ["get", "ok", 3, 4],
      ["put", "unknown", 4, Infinity],
    ]);
    expect(h[0]!.output).toBeNull();
    expect(h[3]!.output).toBeNull();
    expect(checkHistory(h).ok).toBe(true);
  });

  it("refuses to complete an operation twice, or one it did not start", () => {
    const rec = new HistoryRecorder({ clock: () => 0 });
    const h = rec.invoke("c1", "get", "x");
    rec.ok(h, 1);
    expect(() => rec.ok(h, 1)).toThrow(/already completed \(ok\)/);
    expect(() => rec.unknown(h)).toThrow(/already completed/);
    const other = new HistoryRecorder({ clock: () => 0 }).invoke("c1", "get", "x");
    expect(() => rec.fail(other)).toThrow(/not returned by this recorder/);
    const forged: OperationHandle = { index: 0 };
    expect(() => rec.fail(forged)).toThrow(/not returned by this recorder/);
  });

  it("refuses a clock that goes backwards, and a put without a value", () => {
    let t = 5;
    const rec = new HistoryRecorder({ clock: () => t });
    const h = rec.invoke("c1", "get", "x");
    t = 4;
    expect(() => rec.ok(h)).toThrow(/clock went backwards/);
    expect(() => rec.invoke("c1", "put" as "get", "x")).toThrow(/needs a string or number value/);
  });

  it("uses performance.now by default", () => {
    const rec = new HistoryRecorder();
    const before = performance.now();
    const h = rec.invoke("c1", "put", "x", 1);
    rec.ok(h);
    const after = performance.now();
    const [op] = rec.history();
    expect(op!.call).toBeGreaterThanOrEqual(before);
    expect(op!.return).toBeGreaterThanOrEqual(op!.call);
    expect(op!.return).toBeLessThanOrEqual(after);
  });

  it("returns fresh objects from history()", () => {
    const rec = new HistoryRecorder({ clock: () => 0 });
    rec.invoke("c1", "get", "x");
    expect(rec.history()).toEqual(rec.history());
    expect(rec.history()[0]).not.toBe(rec.history()[0]);
  });
});

/**
 * A discrete-event simulation of clients talking to a key-value server, recorded with a fake
 * clock: each request travels for a random time, is applied, and the answer travels back;
 * some answers are lost (the client records unknown). The server can be correct, serve reads
 * from a lagging replica, or forget acknowledged writes.
 */
type ServerBug = "none" | "stale-replica" | "forgets-writes";

function simulate(bug: ServerBug, seed: number): ReturnType<HistoryRecorder["history"]> {
  const rnd = seededRandom(seed);
  let now = 0;
  const rec = new HistoryRecorder({ clock: () => now });
  const primary = new Map<string, KvValue>();
  const replica = new Map<string, KvValue>(); // copies the primary every 50 time units
  let nextCopy = 50;
  type Event = { at: number; run: () => void };
  const queue: Event[] = [];
  const schedule = (at: number, run: () => void): void => {
    queue.push({ at, run });
    queue.sort((a, b) => a.at - b.at);
  };
  let writes = 0;
  const startOp = (client: string): void => {
    if (writes > 150) return;
    const key = `k${Math.floor(rnd() * 2)}`;
    const r = rnd();
    const kind = r < 0.5 ? "put" : r < 0.9 ? "get" : "delete";
    const value = `v${writes++}`;
    const handle = kind === "put" ? rec.invoke(client, "put", key, value) : rec.invoke(client, kind, key);
    const applyAt = now + 1 + rnd() * 10;
    const answerAt = applyAt + 1 + rnd() * 10;
    let output: KvValue | undefined;
    schedule(applyAt, () => {
      if (kind === "put") {
        if (!(bug === "forgets-writes" && rnd() < 0.2)) primary.set(key, value);
      } else if (kind === "delete") {
        primary.delete(key);
      } else {
        output = (bug === "stale-replica" ? replica : primary).get(key);
      }
    });
    schedule(answerAt, () => {
      if (rnd() < 0.05) rec.unknown(handle); // the answer was lost
      else rec.ok(handle, output);
      schedule(now + rnd() * 5, () => startOp(client));
    });
  };
  for (const c of ["a", "b", "c", "d"]) schedule(rnd() * 5, () => startOp(c));
  while (queue.length > 0) {
    const ev = queue.shift()!;
    while (nextCopy <= ev.at) {
      replica.clear();
      for (const [k, v] of primary) replica.set(k, v);
      nextCopy += 50;
    }
    now = ev.at;
    ev.run();
  }
  return rec.history();
}

describe("recorded simulations", () => {
  it("a correct server's histories are linearizable", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const history = simulate("none", seed);
      expect(history.length).toBeGreaterThan(150);
      expect(checkHistory(history).ok).toBe(true);
    }
  });

  it("reads from a lagging replica are caught", () => {
    const verdicts = Array.from({ length: 20 }, (_, i) => checkHistory(simulate("stale-replica", i + 1)).ok);
    expect(verdicts.filter((v) => v === false).length).toBeGreaterThanOrEqual(18);
    expect(verdicts).not.toContain("unknown");
  });

  it("a server that drops acknowledged writes is caught", () => {
    const verdicts = Array.from({ length: 20 }, (_, i) => checkHistory(simulate("forgets-writes", i + 1)).ok);
    expect(verdicts.filter((v) => v === false).length).toBeGreaterThanOrEqual(12);
    expect(verdicts).not.toContain("unknown");
  });
});
