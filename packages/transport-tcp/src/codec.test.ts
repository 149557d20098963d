import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Message } from "@raft-ts/core";
import { messageArb, messageArbs, MESSAGE_TYPES, mutate, mutationsArb, oneOfEach } from "../test/arbitraries.js";
import { EncodeError, varintSize, writeVarint } from "./bytes.js";
import { decodeMessage, encodeMessage, messageSize, tryDecodeMessage } from "./codec.js";

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
    expectDecodeError([3, 1, 2, 3, 0, 0, 0, 1, 1, 1, 2, 0], /unknown entry type 2/);
  });

  it("rejects integers above 2^53 - 1, overlong varints and varints over 8 bytes", () => {
    // 2^53 as a varint: seven 0x80 groups then 0x10 (7 * 7 = 49 bits, 0x10 << 49 = 2^53).
    expectDecodeError([6, 1, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0], /above 2\^53 - 1/);
    expect(decodeMessage(Uint8Array.from([6, 1, 2, ...varint(Number.MAX_SAFE_INTEGER), 0])).ok).toBe(true);
    expectDecodeError([6, 1, 2, 0x81, 0x00, 0], /non-canonical/);
    expectDecodeError([6, 1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0], /longer than 8 bytes/);
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
