import { decodeMessage, encodeAuth, encodeFrame, encodeHello, encodeMessage, FrameKind, HANDSHAKE_MAX_FRAME_BYTES, MAC_BYTES, NONCE_BYTES, PROTOCOL_VERSION } from "@raft-ts/transport-tcp";
import fc from "fast-check";
import { messageArb } from "../messages.js";
import { applyMutations, bytesFrom, mutationsArb, type Field, type Seed } from "../mutate.js";

/**
 * What the fuzzer sends to a real node's Raft port, and after what: as a stranger (nothing
 * before), after a valid HELLO from node 2 (the node answers WELCOME and awaits AUTH), or
 * on a connection authenticated as node 2 (the HMAC handshake done with the cluster secret).
 */
export type Stage = "stranger" | "hello" | "authenticated";

export interface RaftCase {
  readonly stage: Stage;
  readonly bytes: Uint8Array;
  /** The client nonce of the HELLO the fuzzer sends first (stages "hello" and "authenticated"). */
  readonly nonce: Uint8Array;
}

export interface Identity {
  readonly clusterId: string;
  /** The node under test. */
  readonly serverId: number;
  /** The learner the fuzzer plays. */
  readonly clientId: number;
}

/** The node's frame limit once a peer is authenticated (the transport's default). */
const MAX_FRAME_BYTES = 4 * 1024 * 1024;

type LengthChoice = "keep" | "zero" | "one" | "over-handshake" | "over-limit" | "max" | "plus1" | "minus1";

interface FrameSpec {
  readonly kind: number;
  readonly version: number;
  readonly payload: Uint8Array;
  readonly length: LengthChoice;
}

function frameBytes(s: FrameSpec): Buffer {
  const f = encodeFrame(s.kind as FrameKind, s.payload);
  f[4] = s.version;
  const actual = f.length - 4;
  const length = { keep: actual, zero: 0, one: 1, "over-handshake": HANDSHAKE_MAX_FRAME_BYTES + 1, "over-limit": MAX_FRAME_BYTES + 1, max: 0xffffffff, plus1: actual + 1, minus1: actual - 1 }[s.length];
  f.writeUInt32BE(length >>> 0, 0);
  return f;
}

/** Frames, then (sometimes) byte-level damage to the whole stream, aimed at the headers. */
function streamArb(spec: fc.Arbitrary<FrameSpec>, maxFrames: number): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.array(spec, { minLength: 1, maxLength: maxFrames }), fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: mutationsArb({ max: 2 }) }))
    .map(([specs, mutations]) => {
      const frames = specs.map(frameBytes);
      const fields: Field[] = [];
      let at = 0;
      for (const f of frames) {
        fields.push({ at, width: 4 }, { at: at + 4, width: 1 }, { at: at + 5, width: 1 });
        at += f.length;
      }
      const seed: Seed = { bytes: Buffer.concat(frames), fields };
      return mutations === null ? seed.bytes : applyMutations(seed, mutations);
    });
}

const lengthArb = fc.oneof(
  { weight: 10, arbitrary: fc.constant<LengthChoice>("keep") },
  { weight: 3, arbitrary: fc.constantFrom<LengthChoice>("zero", "one", "over-handshake", "over-limit", "max", "plus1", "minus1") },
);
const versionArb = fc.oneof({ weight: 8, arbitrary: fc.constant(PROTOCOL_VERSION) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) });
const anyKindArb = fc.integer({ min: 0, max: 255 });
const nonceArb = fc.uint8Array({ minLength: NONCE_BYTES, maxLength: NONCE_BYTES });

/** Bytes of other protocols, as a misdirected client would send them. */
const FOREIGN = [
  Buffer.from("GET / HTTP/1.1\r\nhost: raft\r\n\r\n", "latin1"),
  Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1"),
  Buffer.from("16030100a5010000a10303", "hex"), // a TLS ClientHello's first bytes
  Buffer.from("SSH-2.0-OpenSSH_9.6\r\n", "latin1"),
];

function helloSeeds(id: Identity): fc.Arbitrary<Seed> {
  // Good and bad HELLOs: another cluster, another server, a node that is no peer, this node itself.
  return fc
    .record({
      clusterId: fc.constantFrom(id.clusterId, `${id.clusterId}-other`, "", `\uFEFF${id.clusterId}`),
      clientId: fc.constantFrom(id.clientId, id.clientId, 99, id.serverId, 2 ** 53 - 1),
      serverId: fc.constantFrom(id.serverId, id.serverId, id.clientId, 7),
      nonce: nonceArb,
    })
    .map((h) => {
      const cid = Buffer.byteLength(h.clusterId, "utf8");
      return { bytes: encodeHello(h), fields: [{ at: 0, width: 1 }, { at: 1 + cid, width: "varint" as const }] };
    });
}

function strangerArb(id: Identity): fc.Arbitrary<Uint8Array> {
  const hello = bytesFrom(helloSeeds(id), { maxRandomBytes: 80 }).map((b) => b.bytes);
  const spec: fc.Arbitrary<FrameSpec> = fc.record({
    kind: fc.oneof({ weight: 6, arbitrary: fc.constant(FrameKind.Hello) }, { weight: 2, arbitrary: anyKindArb }),
    version: versionArb,
    payload: fc.oneof({ weight: 6, arbitrary: hello }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 1100 }) }),
    length: lengthArb,
  });
  return fc.oneof(
    { weight: 8, arbitrary: streamArb(spec, 3) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }) },
    { weight: 1, arbitrary: fc.constantFrom(...FOREIGN).map((b) => Uint8Array.from(b)) },
  );
}

function afterHelloArb(): fc.Arbitrary<Uint8Array> {
  const auth = fc.oneof(
    fc.uint8Array({ minLength: MAC_BYTES, maxLength: MAC_BYTES }).map((mac) => encodeAuth({ mac })), // a wrong proof
    fc.constant(encodeAuth({ mac: new Uint8Array(0) })), // no proof: no downgrade allowed
    bytesFrom(fc.constant({ bytes: encodeAuth({ mac: new Uint8Array(MAC_BYTES) }), fields: [{ at: 0, width: 1 }] }), { maxRandomBytes: 64 }).map((b) => b.bytes),
  );
  const spec: fc.Arbitrary<FrameSpec> = fc.record({
    kind: fc.oneof({ weight: 6, arbitrary: fc.constant(FrameKind.Auth) }, { weight: 2, arbitrary: anyKindArb }),
    version: versionArb,
    payload: fc.oneof({ weight: 6, arbitrary: auth }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 1100 }) }),
    length: lengthArb,
  });
  return fc.oneof({ weight: 8, arbitrary: streamArb(spec, 3) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }) });
}

function authenticatedArb(id: Identity): fc.Arbitrary<Uint8Array> {
  // Messages from node 2 to this node (what the connection may carry), others, and damaged ones.
  const message = messageArb.chain((m) =>
    fc.constantFrom({ ...m, from: id.clientId, to: id.serverId }, { ...m, from: id.clientId, to: id.serverId }, m).map((x) => encodeMessage(x)),
  );
  const payload = fc.oneof(
    { weight: 3, arbitrary: message },
    { weight: 4, arbitrary: message.chain((b) => mutationsArb({ max: 3 }).map((ms) => applyMutations({ bytes: b, fields: [] }, ms))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }) },
  );
  const spec: fc.Arbitrary<FrameSpec> = fc.record({
    kind: fc.oneof({ weight: 8, arbitrary: fc.constant(FrameKind.Message) }, { weight: 1, arbitrary: anyKindArb }),
    version: versionArb,
    payload,
    length: lengthArb,
  });
  // Intact frames too, as a peer in good health sends them: the connection must stay open.
  const intact = fc.array(message, { minLength: 1, maxLength: 3 }).map((ms) => Uint8Array.from(Buffer.concat(ms.map((m) => encodeFrame(FrameKind.Message, m)))));
  return fc.oneof({ weight: 3, arbitrary: streamArb(spec, 5) }, { weight: 1, arbitrary: intact }).map((b) => defuse(b, id));
}

/**
 * The stream with every message the node would deliver to Raft (valid, from node 2, to this
 * node) re-addressed to node 99, which the transport drops. The fuzzer attacks the decoders,
 * not Raft: a well-formed message with a huge term from a learner is a Byzantine peer, which
 * Raft does not claim to survive. Frames after the first one that closes the connection are
 * never read by the node and stay as they are.
 */
export function defuse(bytes: Uint8Array, id: Identity): Uint8Array {
  const b = Buffer.from(bytes);
  const out: Buffer[] = [];
  let at = 0;
  while (b.length - at >= 6) {
    const length = b.readUInt32BE(at);
    if (length < 2 || length > MAX_FRAME_BYTES || b.length - at - 4 < length) break;
    const version = b[at + 4]!;
    const kind = b[at + 5]!;
    if (version !== PROTOCOL_VERSION || kind !== FrameKind.Message) break;
    const r = decodeMessage(b.subarray(at + 6, at + 4 + length));
    if (!r.ok) break;
    const m = r.message;
    out.push(m.from === id.clientId && m.to === id.serverId ? encodeFrame(FrameKind.Message, encodeMessage({ ...m, to: 99 })) : b.subarray(at, at + 4 + length));
    at += 4 + length;
  }
  out.push(b.subarray(at));
  return Uint8Array.from(Buffer.concat(out));
}

export function raftCaseArb(id: Identity): fc.Arbitrary<RaftCase> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ stage: fc.constant<Stage>("stranger"), bytes: strangerArb(id), nonce: nonceArb }) },
    { weight: 2, arbitrary: fc.record({ stage: fc.constant<Stage>("hello"), bytes: afterHelloArb(), nonce: nonceArb }) },
    { weight: 4, arbitrary: fc.record({ stage: fc.constant<Stage>("authenticated"), bytes: authenticatedArb(id), nonce: nonceArb }) },
  );
}
