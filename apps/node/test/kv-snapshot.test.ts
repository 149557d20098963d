import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeCommand, type KvCommand } from "../src/kv/commands.js";
import { decodeKvSnapshot, encodeKvSnapshot, SnapshotFormatError } from "../src/kv/snapshot-codec.js";
import { KvStateMachine } from "../src/kv/state-machine.js";

const bytes = (s: string) => new TextEncoder().encode(s);

/** A state machine that went through puts, a delete, a retry, a rejected stale request and a garbage entry. */
function busyStateMachine(): KvStateMachine {
  const kv = new KvStateMachine();
  const cmds: KvCommand[] = [
    { op: "put", clientId: "a", seq: 1, key: "k1", value: bytes("v1") },
    { op: "put", clientId: "b", seq: 1, key: "k2", value: new Uint8Array([0, 255, 7]) },
    { op: "delete", clientId: "a", seq: 2, key: "k1" },
    { op: "put", clientId: "c", seq: 2 ** 40, key: "ключ", value: new Uint8Array(0) },
    { op: "put", clientId: "b", seq: 1, key: "k2", value: bytes("retry: not applied again") },
    { op: "put", clientId: "a", seq: 1, key: "k9", value: bytes("stale: rejected") },
  ];
  let index = 0;
  for (const c of cmds) kv.apply(++index, encodeCommand(c));
  kv.apply(++index, bytes("not a command"));
  kv.skip(index + 1);
  return kv;
}

describe("the key-value snapshot", () => {
  it("restores exactly the state it was taken from: keys, values, sessions and applied index", () => {
    const kv = busyStateMachine();
    const snap = kv.snapshot();
    const copy = new KvStateMachine();
    copy.restore(snap, kv.applied);
    expect(copy.applied).toBe(kv.applied);
    expect(copy.snapshot()).toEqual(snap); // same bytes: same keys, values, sessions, in order
    expect(copy.get("k2")).toEqual(new Uint8Array([0, 255, 7]));
    expect(copy.get("k1")).toBeUndefined();
    // Exactly-once survives: a retry of b/1 answers with the first result, not a new put.
    const retry = copy.apply(kv.applied + 1, encodeCommand({ op: "put", clientId: "b", seq: 1, key: "k2", value: bytes("again") }));
    expect(retry).toEqual({ op: "put", index: 2 });
    expect(copy.get("k2")).toEqual(new Uint8Array([0, 255, 7]));
  });

  it("refuses a damaged, truncated, foreign or newer snapshot, and leaves the state as it was", () => {
    const good = busyStateMachine().snapshot();
    const target = new KvStateMachine();
    target.apply(1, encodeCommand({ op: "put", clientId: "z", seq: 1, key: "mine", value: bytes("x") }));
    const before = target.snapshot();
    const flipped = good.slice();
    flipped[20] = flipped[20]! ^ 1;
    const newer = good.slice();
    newer[4] = 2;
    const cases: [Uint8Array, RegExp][] = [
      [flipped, /checksum mismatch/],
      [good.subarray(0, good.length - 9), /checksum mismatch|truncated/],
      [new Uint8Array(8), /too short/],
      [Uint8Array.from([...bytes("SQLite format 3"), ...new Uint8Array(20)]), /bad magic/],
      [newer, /checksum mismatch|version 2/],
    ];
    for (const [bad, message] of cases) {
      expect(() => target.restore(bad, 8)).toThrow(SnapshotFormatError);
      expect(() => target.restore(bad, 8)).toThrow(message);
      expect(target.snapshot()).toEqual(before);
    }
    expect(() => target.restore(good, 99)).toThrow(/holds the state at 8/);
    expect(target.snapshot()).toEqual(before);
  });

  it("keeps a leading byte order mark in keys, client ids and reasons (found by pnpm fuzz)", () => {
    const state = {
      applied: 3,
      data: new Map([["\uFEFFk", bytes("v")]]),
      sessions: new Map([["\uFEFFc", { seq: 1, result: { op: "rejected" as const, index: 2, reason: "\uFEFFwhy" } }]]),
    };
    const encoded = encodeKvSnapshot(state);
    expect(decodeKvSnapshot(encoded)).toEqual(state);
    expect(encodeKvSnapshot(decodeKvSnapshot(encoded))).toEqual(encoded);
  });

  it("refuses a key or a session written twice, and a boolean other than 0 or 1, even under a valid checksum (found by pnpm fuzz)", () => {
    /** `body` (a snapshot without its checksum) with a correct checksum appended. */
    const sealed = (body: Uint8Array): Uint8Array => {
      const out = new Uint8Array(body.length + 4);
      out.set(body);
      new DataView(out.buffer).setUint32(body.length, crc32(body));
      return out;
    };
    const bodyOf = (s: Parameters<typeof encodeKvSnapshot>[0]) => {
      const full = encodeKvSnapshot(s);
      return Buffer.from(full.subarray(0, full.length - 4));
    };
    // One key "k" -> "v": magic, version, applied, count 1, then the record (4 + 1 + 4 + 1 bytes), then no sessions.
    const oneKey = bodyOf({ applied: 1, data: new Map([["k", bytes("v")]]), sessions: new Map() });
    const record = oneKey.subarray(17, 27);
    const twice = Buffer.concat([oneKey.subarray(0, 27), record, oneKey.subarray(27)]);
    twice.writeUInt32BE(2, 13);
    expect(() => decodeKvSnapshot(sealed(twice))).toThrow(new SnapshotFormatError("a key appears twice (before byte 32)"));

    // One session "c" whose last delete did not find its key: ... clientId, seq, code 2, index, existed 0.
    const oneSession = bodyOf({ applied: 2, data: new Map(), sessions: new Map([["c", { seq: 1, result: { op: "delete", index: 2, existed: false } }]]) });
    expect(decodeKvSnapshot(sealed(oneSession)).sessions.get("c")?.result).toEqual({ op: "delete", index: 2, existed: false });
    const existedAt = oneSession.length - 1;
    const badBool = Buffer.from(oneSession);
    badBool[existedAt] = 2;
    expect(() => decodeKvSnapshot(sealed(badBool))).toThrow(new SnapshotFormatError(`invalid boolean 2 at byte ${existedAt}`));
    const session = oneSession.subarray(21);
    const sessionTwice = Buffer.concat([oneSession, session]);
    sessionTwice.writeUInt32BE(2, 17);
    expect(() => decodeKvSnapshot(sealed(sessionTwice))).toThrow(/a client's session appears twice/);
  });

  it("never throws anything but SnapshotFormatError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          decodeKvSnapshot(b);
        } catch (e) {
          expect(e).toBeInstanceOf(SnapshotFormatError);
        }
      }),
    );
  });
});
