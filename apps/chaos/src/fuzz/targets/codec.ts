import type { Message } from "@raft-ts/core";
import { decodeMessage, encodeMessage, tryDecodeMessage } from "@raft-ts/transport-tcp";
import type fc from "fast-check";
import { messageArb } from "../messages.js";
import { bytesFrom, hexPreview, kindOf, type Field, type MutatedBytes, type Seed } from "../mutate.js";
import { accepted, FuzzFailure, rejected, type InProcessTarget, type Outcome } from "../types.js";

/** Bytes of `n` as an unsigned LEB128 varint. */
function varintBytes(n: number): number {
  let size = 1;
  for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) size++;
  return size;
}

/**
 * Where the encoding of `m` keeps its numbers: the message tag, then every varint (ids,
 * terms, indexes, and the counts and lengths a decoder must not trust). Follows the layout
 * documented in packages/transport-tcp/src/codec.ts; `raw` items are bytes no field covers.
 */
export function messageFields(m: Message): { fields: Field[]; size: number } {
  const items: ({ v: number } | { raw: number })[] = [{ raw: 1 }, { v: m.from }, { v: m.to }, { v: m.term }];
  switch (m.type) {
    case "VoteRequest":
      items.push({ raw: 1 }, { v: m.lastLogIndex }, { v: m.lastLogTerm });
      break;
    case "VoteResponse":
      items.push({ raw: 2 });
      break;
    case "AppendEntries":
      items.push({ v: m.prevLogIndex }, { v: m.prevLogTerm }, { v: m.leaderCommit }, { v: m.entries.length });
      for (const e of m.entries) items.push({ v: e.index }, { v: e.term }, { raw: 1 }, { v: e.data.byteLength }, { raw: e.data.byteLength });
      break;
    case "AppendEntriesResponse":
      items.push({ raw: 1 }, { v: m.matchIndex }, { v: m.rejectedIndex }, { v: m.conflictTerm }, { v: m.conflictIndex });
      break;
    case "Heartbeat":
      items.push({ v: m.commit }, { v: m.readSeq });
      break;
    case "HeartbeatResponse":
      items.push({ v: m.readSeq }, { v: m.commit });
      break;
    case "TimeoutNow":
      break;
    case "InstallSnapshot": {
      items.push({ v: m.meta.index }, { v: m.meta.term }, { v: m.offset }, { raw: 1 }, { v: m.data.byteLength }, { raw: m.data.byteLength }, { raw: 1 });
      const members = m.meta.membership?.members;
      if (members !== undefined) {
        items.push({ v: members.length });
        for (const x of members) {
          const len = Buffer.byteLength(x.address, "utf8");
          items.push({ v: x.id }, { raw: 1 }, { v: len }, { raw: len });
        }
      }
      break;
    }
    case "InstallSnapshotResponse":
      items.push({ v: m.index }, { v: m.offset }, { raw: 1 });
      break;
  }
  const fields: Field[] = [{ at: 0, width: 1 }];
  let at = 0;
  for (const item of items) {
    if ("v" in item) {
      fields.push({ at, width: "varint" });
      at += varintBytes(item.v);
    } else at += item.raw;
  }
  return { fields, size: at };
}

export const messageSeedArb: fc.Arbitrary<Seed> = messageArb.map((m) => {
  const bytes = encodeMessage(m);
  const { fields, size } = messageFields(m);
  // The layout above must match the codec's, or the field mutations would aim at nothing.
  if (size !== bytes.length) throw new Error(`fuzzer bug: the layout of ${m.type} gives ${size} bytes, the codec wrote ${bytes.length}`);
  return { bytes, fields };
});

/** Continuation bytes around the window: a decoder reading past its end would take them in. */
const PAD = Uint8Array.of(0x80, 0x80, 0xff);

/**
 * The message codec's decode (the payload of every MESSAGE frame a peer sends). Oracles: an
 * accepted payload re-encodes to exactly its bytes (the codec promises canonical encodings),
 * and decoding it inside a larger buffer, as the receive path does, gives the same result
 * (no read outside [start, end)).
 */
export const codecTarget: InProcessTarget<MutatedBytes> = {
  name: "codec",
  description: "transport-tcp message codec: decodeMessage / tryDecodeMessage, every message type",
  arbitrary: bytesFrom(messageSeedArb),
  show: (input) => input.bytes,
  run(input): Outcome {
    const bytes = input.bytes;
    const result = decodeMessage(bytes);
    const framed = new Uint8Array(PAD.length + bytes.length + PAD.length);
    framed.set(PAD, 0);
    framed.set(bytes, PAD.length);
    framed.set(PAD, PAD.length + bytes.length);
    const windowed = tryDecodeMessage(framed, PAD.length, PAD.length + bytes.length);
    if (!result.ok) {
      if (windowed !== result.error) {
        throw new FuzzFailure("invariant", `decoding inside a larger buffer gave ${JSON.stringify(windowed)}, alone ${JSON.stringify(result.error)}`);
      }
      return rejected(kindOf(result.error));
    }
    const again = encodeMessage(result.message);
    if (!Buffer.from(again).equals(Buffer.from(bytes))) {
      throw new FuzzFailure("invariant", `accepted ${result.message.type} re-encodes to other bytes: ${hexPreview(again, 64)}`);
    }
    if (typeof windowed === "string") throw new FuzzFailure("invariant", `decoding inside a larger buffer failed (${windowed}) where alone it succeeded`);
    if (!Buffer.from(encodeMessage(windowed)).equals(Buffer.from(bytes))) throw new FuzzFailure("invariant", "decoding inside a larger buffer gave another message");
    return accepted(result.message.type);
  },
};
