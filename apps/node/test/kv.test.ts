import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCommand, encodeCommand, type KvCommand } from "../src/kv/commands.js";
import { KvStateMachine } from "../src/kv/state-machine.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const put = (clientId: string, seq: number, key: string, value: string): Uint8Array =>
  encodeCommand({ op: "put", clientId, seq, key, value: bytes(value) });
const del = (clientId: string, seq: number, key: string): Uint8Array => encodeCommand({ op: "delete", clientId, seq, key });

describe("command encoding", () => {
  const commandArb: fc.Arbitrary<KvCommand> = fc.oneof(
    fc.record({
      op: fc.constant("put" as const),
      clientId: fc.string({ maxLength: 40 }),
      seq: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      key: fc.string({ maxLength: 100 }),
      value: fc.uint8Array({ maxLength: 300 }),
    }),
    fc.record({
      op: fc.constant("delete" as const),
      clientId: fc.string({ maxLength: 40 }),
      seq: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      key: fc.string({ maxLength: 100 }),
    }),
  );

  it("round-trips every command", () => {
    fc.assert(
      fc.property(commandArb, (cmd) => {
        const r = decodeCommand(encodeCommand(cmd));
        expect(r).toEqual({ ok: true, command: cmd });
      }),
    );
  });

  it("keeps a leading byte order mark in the key and the client id (found by pnpm fuzz)", () => {
    const cmd: KvCommand = { op: "put", clientId: "\uFEFFc", seq: 1, key: "\uFEFFk", value: bytes("v") };
    expect(decodeCommand(encodeCommand(cmd))).toEqual({ ok: true, command: cmd });
    // Applied, the put lands on its own key, not on "k".
    const kv = new KvStateMachine();
    kv.apply(1, encodeCommand(cmd));
    expect(kv.get("\uFEFFk")).toEqual(bytes("v"));
    expect(kv.get("k")).toBeUndefined();
  });

  it("refuses a sequence number above 2^53 - 1 instead of rounding it (found by pnpm fuzz)", () => {
    const enc = del("c", 1, "k");
    const seqAt = 4 + 1; // version, op, u16 length, then the client id "c"
    new DataView(enc.buffer).setUint32(seqAt, 0x00200000); // high word: 2^53
    expect(decodeCommand(enc)).toEqual({ ok: false, error: "sequence number above 2^53 - 1" });
    new DataView(enc.buffer).setUint32(seqAt, 0x001fffff);
    new DataView(enc.buffer).setUint32(seqAt + 4, 0xffffffff);
    expect(decodeCommand(enc)).toMatchObject({ ok: true, command: { seq: Number.MAX_SAFE_INTEGER } });
  });

  it("never throws on arbitrary or truncated bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const r = decodeCommand(b);
        expect(typeof r.ok).toBe("boolean");
      }),
    );
    fc.assert(
      fc.property(commandArb, fc.nat(), (cmd, cut) => {
        const enc = encodeCommand(cmd);
        const r = decodeCommand(enc.subarray(0, cut % enc.length));
        expect(r.ok).toBe(false);
      }),
    );
  });
});

describe("the key-value state machine", () => {
  it("applies puts and deletes in order", () => {
    const kv = new KvStateMachine();
    expect(kv.apply(1, put("a", 1, "k", "v1"))).toEqual({ op: "put", index: 1 });
    kv.skip(2);
    expect(kv.apply(3, del("a", 2, "k"))).toEqual({ op: "delete", index: 3, existed: true });
    expect(kv.get("k")).toBeUndefined();
    expect(kv.apply(4, del("a", 3, "k"))).toEqual({ op: "delete", index: 4, existed: false });
    expect(() => kv.apply(6, put("a", 4, "k", "x"))).toThrow(/out of order/);
  });

  it("applies a retried request once and answers the retry with the first result", () => {
    const kv = new KvStateMachine();
    expect(kv.apply(1, put("c", 7, "k", "first"))).toEqual({ op: "put", index: 1 });
    expect(kv.apply(2, put("other", 1, "k", "second"))).toEqual({ op: "put", index: 2 });
    // The same (client, seq) again, as if the client retried after a timeout.
    expect(kv.apply(3, put("c", 7, "k", "first"))).toEqual({ op: "put", index: 1 });
    expect(new TextDecoder().decode(kv.get("k"))).toBe("second");
    // An older request of that client is refused, not applied.
    const stale = kv.apply(4, put("c", 6, "k", "older"));
    expect(stale.op).toBe("rejected");
    expect(new TextDecoder().decode(kv.get("k"))).toBe("second");
  });

  it("turns an entry that is not a command into a rejection, identically on every node", () => {
    const a = new KvStateMachine();
    const b = new KvStateMachine();
    const junk = new Uint8Array([9, 9, 9]);
    expect(a.apply(1, junk)).toEqual(b.apply(1, junk));
    expect(a.apply(1 + 1, put("x", 1, "k", "v")).op).toBe("put");
  });

  it("evicts the least recently used session, the same way everywhere", () => {
    const kv = new KvStateMachine(2);
    kv.apply(1, put("a", 1, "k", "1"));
    kv.apply(2, put("b", 1, "k", "2"));
    kv.apply(3, put("a", 2, "k", "3")); // a is now the most recent
    kv.apply(4, put("c", 1, "k", "4")); // evicts b
    // a's retry is still recognised...
    expect(kv.apply(5, put("a", 2, "k", "3"))).toEqual({ op: "put", index: 3 });
    // ...b's is not: it applies again, as a new session.
    expect(kv.apply(6, put("b", 1, "k", "5"))).toEqual({ op: "put", index: 6 });
  });
});
