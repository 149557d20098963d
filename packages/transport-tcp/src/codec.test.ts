import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InstallSnapshot, Member, Message } from "@raft-ts/core";
import { messageArb, messageArbs, MESSAGE_TYPES, mutate, mutationsArb, oneOfEach } from "../test/arbitraries.js";
import { EncodeError, varintSize, writeVarint } from "./bytes.js";
import { decodeMessage, encodeMessage, MAX_ADDRESS_BYTES, MAX_MEMBERS, messageSize, tryDecodeMessage } from "./codec.js";

function varint(v: number): number[] {
  const buf = new Uint8Array(varintSize("v", v));
  writeVarint(buf, 0, v);
  return [...buf];
}

function expectDecodeError(bytes: Uint8Array | number[], pattern: RegExp): void {
  const r = decodeMessage(Uint8Array.from(bytes));
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatch(pattern);
}

describe("message codec: round trips", () => {
  it.each(MESSAGE_TYPES)("decode(encode(m)) equals m for every %s", (type) => {
    fc.assert(
      fc.property(messageArbs[type], (m) => {
        const bytes = encodeMessage(m);
        expect(bytes.length).toBe(messageSize(m));
        expect(decodeMessage(bytes)).toEqual({ ok: true, message: m });
      }),
      { numRuns: 300 },
    );
  });

  it("a heartbeat with small numbers takes a handful of bytes", () => {
    const bytes = encodeMessage({ type: "Heartbeat", from: 1, to: 2, term: 5, commit: 1000, readSeq: 42 });
    // tag, from, to, term (1 byte each), commit (2), readSeq (1)
    expect([...bytes]).toEqual([5, 1, 2, 5, ...varint(1000), 42]);
  });

  it("keeps 64-bit indexes and terms exactly, up to 2^53 - 1", () => {
    for (const big of [2 ** 32, 2 ** 32 + 1, 2 ** 52 + 3, Number.MAX_SAFE_INTEGER]) {
      const m: Message = { type: "VoteRequest", from: 1, to: 2, term: big, preVote: false, lastLogIndex: big, lastLogTerm: big - 1 };
      expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, message: m });
    }
  });

  it("copies entry data out of the frame (the result does not alias the input)", () => {
    const m = oneOfEach(1, 2).find((x) => x.type === "AppendEntries")!;
    const bytes = encodeMessage(m);
    const r = decodeMessage(bytes);
    if (!r.ok || r.message.type !== "AppendEntries") throw new Error("decode failed");
    const data = r.message.entries[1]!.data;
    const before = [...data];
    bytes.fill(0);
    expect([...data]).toEqual(before);
  });
});

describe("message codec: decoding a window of a larger buffer", () => {
  it("decodes bytes[start, end) exactly as a copy of that range, ignoring what surrounds it", () => {
    fc.assert(
      fc.property(messageArb, fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }), (m, before, after) => {
        const payload = encodeMessage(m);
        const buf = Uint8Array.from([...before, ...payload, ...after]);
        const start = before.length;
        expect(decodeMessage(buf, start, start + payload.length)).toEqual({ ok: true, message: m });
        expect(tryDecodeMessage(buf, start, start + payload.length)).toEqual(m);
        // One byte short of the window is truncated, even though more bytes follow in the buffer.
        if (payload.length > 1) expect(decodeMessage(buf, start, start + payload.length - 1).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe("message codec: encoding refuses numbers it cannot carry", () => {
  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, 2 ** 64])("term = %s throws EncodeError naming the field", (bad) => {
    const m: Message = { type: "Heartbeat", from: 1, to: 2, term: bad, commit: 0, readSeq: 0 };
    expect(() => encodeMessage(m)).toThrow(EncodeError);
    expect(() => encodeMessage(m)).toThrow(/term/);
  });

  it("an entry index that is not an integer throws too", () => {
    const m: Message = {
      type: "AppendEntries",
      from: 1,
      to: 2,
      term: 1,
      prevLogIndex: 0,
      prevLogTerm: 0,
      leaderCommit: 0,
      entries: [{ index: 0.5, term: 1, type: "normal", data: new Uint8Array(0) }],
    };
    expect(() => messageSize(m)).toThrow(/entry\.index/);
  });
});

describe("message codec: decoding rejects malformed input without throwing", () => {
  it("rejects unknown tags", () => {
    expectDecodeError([0, 1, 2, 3, 4, 5], /unknown message tag 0/);
    expectDecodeError([10, 1, 2, 3, 4, 5], /unknown message tag 10/);
    expectDecodeError([1, 1, 2, 3, 4, 5, 6], /unknown VoteRequest flags 4/);
  });

  it("rejects every strict prefix of a valid encoding, and any trailing byte", () => {
    fc.assert(
      fc.property(messageArb, fc.integer({ min: 0, max: 255 }), (m, extra) => {
        const bytes = encodeMessage(m);
        for (let n = 0; n < bytes.length; n++) expect(decodeMessage(bytes.subarray(0, n)).ok).toBe(false);
        const longer = Uint8Array.from([...bytes, extra]);
        const r = decodeMessage(longer);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error).toMatch(/trailing/);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects booleans other than 0 and 1", () => {
    expectDecodeError([2, 1, 2, 3, 1, 2], /invalid boolean byte 2/); // VoteResponse granted = 2
  });

  it("rejects unknown entry types", () => {
    expectDecodeError([3, 1, 2, 3, 0, 0, 0, 1, 1, 1, 3, 0], /unknown entry type 3/);
    expectDecodeError([3, 1, 2, 3, 0, 0, 0, 1, 1, 1, 255, 0], /unknown entry type 255/);
  });

  it("reads entry type 2 as a config entry", () => {
    const r = decodeMessage(Uint8Array.from([3, 1, 2, 3, 0, 0, 0, 1, 1, 1, 2, 2, 0x7b, 0x7d]));
    expect(r.ok && r.message.type === "AppendEntries" && r.message.entries).toEqual([
      { index: 1, term: 1, type: "config", data: Uint8Array.from([0x7b, 0x7d]) },
    ]);
  });

  it("rejects integers above 2^53 - 1, overlong varints and varints over 8 bytes", () => {
    // 2^53 as a varint: seven 0x80 groups then 0x10 (7 * 7 = 49 bits, 0x10 << 49 = 2^53).
    expectDecodeError([6, 1, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0], /above 2\^53 - 1/);
    expect(decodeMessage(Uint8Array.from([6, 1, 2, ...varint(Number.MAX_SAFE_INTEGER), 0, 0])).ok).toBe(true);
    expectDecodeError([6, 1, 2, 0x81, 0x00, 0, 0], /non-canonical/);
    expectDecodeError([6, 1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0], /longer than 8 bytes/);
  });

  it("rejects a claimed entry count the remaining bytes cannot hold, before allocating for it", () => {
    // AppendEntries claiming 2^31 entries, followed by 8 bytes.
    const bytes = [3, 1, 2, 3, 0, 0, 0, ...varint(2 ** 31), 1, 1, 0, 0, 1, 1, 0, 0];
    expectDecodeError(bytes, /entry count 2147483648 exceeds/);
    // The largest representable count, too.
    expectDecodeError([3, 1, 2, 3, 0, 0, 0, ...varint(Number.MAX_SAFE_INTEGER)], /entry count \d+ exceeds/);
  });

  it("rejects an entry whose data length runs past the end", () => {
    expectDecodeError([3, 1, 2, 3, 0, 0, 0, 1, 1, 1, 0, ...varint(2 ** 31), 1, 2, 3], /truncated: needs 2147483648 bytes/);
  });

  it("never throws on random bytes, and whatever it accepts re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = decodeMessage(bytes);
        if (r.ok) expect(encodeMessage(r.message)).toEqual(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it("random bytes behind a valid tag: still no throw, still canonical when accepted", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.uint8Array({ maxLength: 40 }), (tag, rest) => {
        const bytes = Uint8Array.from([tag, ...rest]);
        const r = decodeMessage(bytes);
        if (r.ok) expect(encodeMessage(r.message)).toEqual(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it("never throws on mutated valid encodings, and whatever it accepts re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(messageArb, mutationsArb, (m, mutations) => {
        const bytes = mutate(encodeMessage(m), mutations);
        const r = decodeMessage(bytes);
        if (r.ok) expect(encodeMessage(r.message)).toEqual(bytes);
      }),
      { numRuns: 3000 },
    );
  });
});

/** An InstallSnapshot body up to its membership field: index 5, term 1, offset 0, done, no data. */
const SNAPSHOT_PREFIX = [8, 1, 2, 3, 5, 1, 0, 1, 0];

function snapshotWith(members: readonly Member[] | undefined): InstallSnapshot {
  const meta = members === undefined ? { index: 5, term: 1 } : { index: 5, term: 1, membership: { members } };
  return { type: "InstallSnapshot", from: 1, to: 2, term: 3, meta, offset: 0, data: new Uint8Array(0), done: true };
}

function member(id: number, address = "a", role: Member["role"] = "voter"): Member {
  return { id, role, address };
}

describe("message codec: snapshot membership", () => {
  it("is one 0 byte after the data when absent, and decodes with no membership key", () => {
    const bytes = encodeMessage(snapshotWith(undefined));
    expect([...bytes]).toEqual([...SNAPSHOT_PREFIX, 0]);
    const r = decodeMessage(bytes);
    if (!r.ok || r.message.type !== "InstallSnapshot") throw new Error("decode failed");
    expect("membership" in r.message.meta).toBe(false);
  });

  it("encodes each member as id, role byte, length-prefixed UTF-8 address", () => {
    const m = snapshotWith([member(1, "ab"), member(300, "\u00e9", "learner")]);
    const bytes = encodeMessage(m);
    expect([...bytes]).toEqual([...SNAPSHOT_PREFIX, 1, 2, 1, 0, 2, 0x61, 0x62, ...varint(300), 1, 2, 0xc3, 0xa9]);
    expect(decodeMessage(bytes)).toEqual({ ok: true, message: m });
  });

  it("round-trips an empty membership, distinct from an absent one", () => {
    const m = snapshotWith([]);
    expect([...encodeMessage(m)]).toEqual([...SNAPSHOT_PREFIX, 1, 0]);
    expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, message: m });
  });

  it("round-trips a membership at both caps", () => {
    const address = "x".repeat(MAX_ADDRESS_BYTES);
    const m = snapshotWith(Array.from({ length: MAX_MEMBERS }, (_, i) => member(i + 1, address, i % 2 === 0 ? "voter" : "learner")));
    expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, message: m });
  });

  it("rejects an unknown role byte", () => {
    expectDecodeError([...SNAPSHOT_PREFIX, 1, 1, 7, 2, 0], /unknown member role 2/);
    expectDecodeError([...SNAPSHOT_PREFIX, 1, 1, 7, 255, 0], /unknown member role 255/);
  });

  it("rejects a member count over the cap, before reading (or allocating for) any member", () => {
    expectDecodeError([...SNAPSHOT_PREFIX, 1, ...varint(MAX_MEMBERS + 1)], /1025 members, more than the 1024 allowed/);
    expectDecodeError([...SNAPSHOT_PREFIX, 1, ...varint(Number.MAX_SAFE_INTEGER)], /members, more than the 1024 allowed/);
  });

  it("rejects a member count within the cap that the remaining bytes cannot hold", () => {
    expectDecodeError([...SNAPSHOT_PREFIX, 1, ...varint(1000), 1, 0, 0], /member count 1000 exceeds what 3 remaining bytes can hold/);
  });

  it("rejects an address length running past the end of the frame", () => {
    expectDecodeError([...SNAPSHOT_PREFIX, 1, 1, 7, 0, ...varint(100), 0x61, 0x62], /truncated: needs 100 bytes, 2 remain/);
  });

  it("rejects an address length over the cap, whatever follows", () => {
    const address = new Array<number>(MAX_ADDRESS_BYTES + 1).fill(0x61);
    expectDecodeError([...SNAPSHOT_PREFIX, 1, 1, 7, 0, ...varint(MAX_ADDRESS_BYTES + 1), ...address], /address of member 7 is 1025 bytes, more than the 1024 allowed/);
  });

  it("rejects an address that is not UTF-8", () => {
    expectDecodeError([...SNAPSHOT_PREFIX, 1, 1, 7, 0, 2, 0xc3, 0x28], /address of member 7 is not valid UTF-8/);
    expectDecodeError([...SNAPSHOT_PREFIX, 1, 1, 7, 0, 3, 0xed, 0xa0, 0x80], /not valid UTF-8/); // an encoded surrogate
  });

  it("rejects id 0 and ids out of ascending order (which includes a repeat)", () => {
    expectDecodeError([...SNAPSHOT_PREFIX, 1, 1, 0, 0, 0], /member id 0/);
    expectDecodeError([...SNAPSHOT_PREFIX, 1, 2, 5, 0, 0, 3, 0, 0], /member id 3 after 5/);
    expectDecodeError([...SNAPSHOT_PREFIX, 1, 2, 5, 0, 0, 5, 1, 0], /member id 5 after 5/);
  });

  it("rejects a presence byte other than 0 and 1, and a body without the field", () => {
    expectDecodeError([...SNAPSHOT_PREFIX, 2], /invalid boolean byte 2/);
    expectDecodeError(SNAPSHOT_PREFIX, /truncated/); // the format before memberships existed
  });

  it("random bytes after the presence byte: no throw, canonical when accepted", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (rest) => {
        const bytes = Uint8Array.from([...SNAPSHOT_PREFIX, 1, ...rest]);
        const r = decodeMessage(bytes);
        if (r.ok) expect(encodeMessage(r.message)).toEqual(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it.each<[string, readonly Member[], RegExp]>([
    ["ids out of order", [member(2), member(1)], /member\.id.*above the previous member's \(2\)/],
    ["a repeated id", [member(2), member(2)], /member\.id/],
    ["id 0", [member(0)], /member\.id.*positive/],
    ["a fractional id", [member(1.5)], /member\.id.*integer/],
    ["an unknown role", [{ id: 1, role: "observer" as Member["role"], address: "" }], /member\.role/],
    ["an address over the cap", [member(1, "\u00e9".repeat(513))], /at most 1024 bytes/],
    ["a lone surrogate", [member(1, "a\ud800b")], /lone surrogates/],
    ["too many members", Array.from({ length: MAX_MEMBERS + 1 }, (_, i) => member(i + 1)), /at most 1024 members/],
  ])("encoding refuses %s (EncodeError, nothing sent)", (_, members, pattern) => {
    const m = snapshotWith(members);
    expect(() => messageSize(m)).toThrow(EncodeError);
    expect(() => messageSize(m)).toThrow(pattern);
  });
});
