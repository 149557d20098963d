import { crc32 } from "node:zlib";
import fc from "fast-check";
import { decodeKvSnapshot, encodeKvSnapshot, SnapshotFormatError, type KvSnapshotState } from "../../../../node/src/kv/snapshot-codec.js";
import type { KvResult } from "../../../../node/src/kv/state-machine.js";
import { applyMutations, hexPreview, kindOf, mutationsArb, type Field, type Seed } from "../mutate.js";
import { trickyStringArb } from "../strings.js";
import { accepted, FuzzFailure, rejected, type InProcessTarget, type Outcome } from "../types.js";

const u64Arb = fc.oneof(fc.nat({ max: 10_000 }), fc.maxSafeNat(), fc.constantFrom(0, 2 ** 32, Number.MAX_SAFE_INTEGER));

const resultArb: fc.Arbitrary<KvResult> = fc.oneof(
  fc.record({ op: fc.constant("put" as const), index: u64Arb }),
  fc.record({ op: fc.constant("delete" as const), index: u64Arb, existed: fc.boolean() }),
  fc.record({ op: fc.constant("rejected" as const), index: u64Arb, reason: trickyStringArb(40) }),
);

const stateArb: fc.Arbitrary<KvSnapshotState> = fc.record({
  applied: u64Arb,
  data: fc.uniqueArray(fc.tuple(trickyStringArb(30), fc.uint8Array({ maxLength: 64 })), { selector: ([k]) => k, maxLength: 8 }).map((e) => new Map(e)),
  sessions: fc
    .uniqueArray(fc.tuple(trickyStringArb(30), fc.record({ seq: u64Arb, result: resultArb })), { selector: ([k]) => k, maxLength: 6 })
    .map((e) => new Map(e)),
});

/** A snapshot body: its numeric fields, and where each key and session record lies. */
interface Layout {
  readonly fields: Field[];
  readonly keyRecords: [number, number][];
  readonly sessionRecords: [number, number][];
  readonly sessionCountAt: number;
}

/** The layout of encodeKvSnapshot(s) (documented in snapshot-codec.ts). */
function layoutOf(s: KvSnapshotState): Layout {
  const len = (t: string) => Buffer.byteLength(t, "utf8");
  const fields: Field[] = [
    { at: 0, width: 4 },
    { at: 4, width: 1 },
    { at: 5, width: 8 },
    { at: 13, width: 4 },
  ];
  const keyRecords: [number, number][] = [];
  const sessionRecords: [number, number][] = [];
  let at = 17;
  for (const [key, value] of s.data) {
    const start = at;
    fields.push({ at, width: 4 });
    at += 4 + len(key);
    fields.push({ at, width: 4 });
    at += 4 + value.length;
    keyRecords.push([start, at]);
  }
  const sessionCountAt = at;
  fields.push({ at, width: 4 });
  at += 4;
  for (const [clientId, { result }] of s.sessions) {
    const start = at;
    fields.push({ at, width: 4 });
    at += 4 + len(clientId);
    fields.push({ at, width: 8 }, { at: at + 8, width: 1 }, { at: at + 9, width: 8 });
    at += 17;
    if (result.op === "delete") {
      fields.push({ at, width: 1 });
      at += 1;
    } else if (result.op === "rejected") {
      fields.push({ at, width: 4 });
      at += 4 + len(result.reason);
    }
    sessionRecords.push([start, at]);
  }
  return { fields, keyRecords, sessionRecords, sessionCountAt };
}

interface BodySeed extends Seed {
  readonly layout: Layout;
}

/** The snapshot without its trailing checksum, so mutations can be re-checksummed. */
const bodySeedArb: fc.Arbitrary<BodySeed> = stateArb.map((s) => {
  const full = encodeKvSnapshot(s);
  const layout = layoutOf(s);
  return { bytes: full.subarray(0, full.length - 4), fields: layout.fields, layout };
});

/**
 * One key or session record written twice, with its count raised to match: a snapshot no
 * encoder makes (its maps have distinct keys) but whose every length and count is right.
 */
function duplicateRecord(seed: BodySeed, which: number): Uint8Array | undefined {
  const { keyRecords, sessionRecords, sessionCountAt } = seed.layout;
  const all = [...keyRecords.map((r) => ({ r, countAt: 13 })), ...sessionRecords.map((r) => ({ r, countAt: sessionCountAt }))];
  if (all.length === 0) return undefined;
  const { r, countAt } = all[which % all.length]!;
  const b = Buffer.from(seed.bytes);
  const out = Buffer.concat([b.subarray(0, r[1]), b.subarray(r[0], r[1]), b.subarray(r[1])]);
  // The count precedes every record it counts, so the insertion did not move it.
  out.writeUInt32BE(out.readUInt32BE(countAt) + 1, countAt);
  return Uint8Array.from(out);
}

type Checksum = "fixed" | "stale" | "none";

export interface SnapshotCase {
  readonly bytes: Uint8Array;
  readonly origin: string;
}

function withChecksum(body: Uint8Array, checksum: Checksum, original: Uint8Array): Uint8Array {
  if (checksum === "none") return body;
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(checksum === "fixed" ? body : original));
  return out;
}

/**
 * Most mutations get a fresh checksum: otherwise nearly every one would stop at the checksum
 * test and the parser behind it would go unexercised.
 */
export const snapshotCaseArb: fc.Arbitrary<SnapshotCase> = fc.oneof(
  { weight: 2, arbitrary: bodySeedArb.map((s) => ({ bytes: withChecksum(s.bytes, "fixed", s.bytes), origin: "valid" })) },
  {
    weight: 14,
    arbitrary: fc
      .tuple(bodySeedArb, mutationsArb(), fc.constantFrom<Checksum>("fixed", "fixed", "fixed", "fixed", "fixed", "stale", "none"))
      .map(([s, ms, checksum]) => ({ bytes: withChecksum(applyMutations(s, ms), checksum, s.bytes), origin: `mutated, checksum ${checksum}` })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(bodySeedArb, fc.nat()).map(([s, which]) => {
      const body = duplicateRecord(s, which);
      return body === undefined ? { bytes: withChecksum(s.bytes, "fixed", s.bytes), origin: "valid" } : { bytes: withChecksum(body, "fixed", body), origin: "duplicated record" };
    }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes) => ({ bytes, origin: "random" })) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 256 })
      .map((tail) => ({ bytes: withChecksum(Uint8Array.from([0x52, 0x4b, 0x56, 0x53, 1, ...tail]), "fixed", tail), origin: "random after a valid header" })),
  },
);

/**
 * apps/node's KV snapshot decode: what a follower loads from an InstallSnapshot a leader sent.
 * Typed rejection: SnapshotFormatError. Oracle: an accepted snapshot re-encodes to exactly its
 * bytes, so nothing in it was silently dropped or changed on the way in.
 */
export const kvSnapshotTarget: InProcessTarget<SnapshotCase> = {
  name: "kv-snapshot",
  description: "apps/node KV snapshot decode (decodeKvSnapshot): what a follower restores from a leader's snapshot",
  arbitrary: snapshotCaseArb,
  show: (c) => c.bytes,
  run(c): Outcome {
    let state: KvSnapshotState;
    try {
      state = decodeKvSnapshot(c.bytes);
    } catch (e) {
      if (e instanceof SnapshotFormatError) return rejected(kindOf(e.message.replace(/^key-value snapshot: /, "")));
      throw e;
    }
    const again = encodeKvSnapshot(state);
    if (!Buffer.from(again).equals(Buffer.from(c.bytes))) {
      throw new FuzzFailure("invariant", `an accepted snapshot (${state.data.size} keys, ${state.sessions.size} sessions) re-encodes to other bytes: ${hexPreview(again, 64)}`);
    }
    return accepted();
  },
};
