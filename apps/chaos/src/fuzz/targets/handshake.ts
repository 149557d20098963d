import { decodeAuth, decodeHello, decodeReject, decodeWelcome, encodeAuth, encodeHello, encodeReject, encodeWelcome, MAC_BYTES, NONCE_BYTES, type RejectReason } from "@raft-ts/transport-tcp";
import fc from "fast-check";
import { nodeIdArb } from "../messages.js";
import { bytesFrom, hexPreview, kindOf, type Field, type MutatedBytes, type Seed } from "../mutate.js";
import { trickyStringArb } from "../strings.js";
import { accepted, FuzzFailure, rejected, type InProcessTarget, type Outcome } from "../types.js";

type Which = "hello" | "welcome" | "auth" | "reject";

export interface HandshakeCase extends MutatedBytes {
  readonly which: Which;
}

const varintBytes = (n: number): number => {
  let size = 1;
  for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) size++;
  return size;
};

/** Cluster ids as the handshake carries them: at most 255 bytes of UTF-8. */
const clusterIdArb = trickyStringArb(40).filter((s) => Buffer.byteLength(s, "utf8") <= 255);
const nonceArb = fc.uint8Array({ minLength: NONCE_BYTES, maxLength: NONCE_BYTES });
const macArb = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: MAC_BYTES, maxLength: MAC_BYTES }));
const REASONS: RejectReason[] = ["version", "cluster_id", "unknown_node", "wrong_node", "auth"];

const helloSeed: fc.Arbitrary<Seed> = fc.record({ clusterId: clusterIdArb, clientId: nodeIdArb, serverId: nodeIdArb, nonce: nonceArb }).map((h) => {
  const cid = Buffer.byteLength(h.clusterId, "utf8");
  const fields: Field[] = [
    { at: 0, width: 1 },
    { at: 1 + cid, width: "varint" },
    { at: 1 + cid + varintBytes(h.clientId), width: "varint" },
  ];
  return { bytes: encodeHello(h), fields };
});

const welcomeSeed: fc.Arbitrary<Seed> = fc.record({ clusterId: clusterIdArb, serverId: nodeIdArb, nonce: nonceArb, mac: macArb }).map((w) => {
  const cid = Buffer.byteLength(w.clusterId, "utf8");
  const fields: Field[] = [
    { at: 0, width: 1 },
    { at: 1 + cid, width: "varint" },
    { at: 1 + cid + varintBytes(w.serverId) + NONCE_BYTES, width: 1 },
  ];
  return { bytes: encodeWelcome(w), fields };
});

const authSeed: fc.Arbitrary<Seed> = macArb.map((mac) => ({ bytes: encodeAuth({ mac }), fields: [{ at: 0, width: 1 }] }));
const rejectSeed: fc.Arbitrary<Seed> = fc.constantFrom(...REASONS).map((r) => ({ bytes: encodeReject(r), fields: [{ at: 0, width: 1 }] }));

const caseOf = (which: Which, seeds: fc.Arbitrary<Seed>): fc.Arbitrary<HandshakeCase> => bytesFrom(seeds, { maxRandomBytes: 128 }).map((b) => ({ ...b, which }));

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * The handshake's message parsers (HELLO, WELCOME, AUTH, REJECT payloads): the first bytes a
 * stranger's connection is read with. Oracle: an accepted payload re-encodes to exactly its
 * bytes, so two different byte strings never parse as the same cluster id or proof.
 */
export const handshakeTarget: InProcessTarget<HandshakeCase> = {
  name: "handshake",
  description: "transport-tcp handshake payloads: decodeHello, decodeWelcome, decodeAuth, decodeReject",
  arbitrary: fc.oneof(caseOf("hello", helloSeed), caseOf("welcome", welcomeSeed), caseOf("auth", authSeed), caseOf("reject", rejectSeed)),
  show: (c) => c.bytes,
  run(c): Outcome {
    const check = (again: Uint8Array): Outcome => {
      if (!same(again, c.bytes)) throw new FuzzFailure("invariant", `an accepted ${c.which} re-encodes to other bytes: ${hexPreview(again, 64)}`);
      return accepted(c.which);
    };
    switch (c.which) {
      case "hello": {
        const r = decodeHello(c.bytes);
        return r.ok ? check(encodeHello(r.value)) : rejected(`hello: ${kindOf(r.error)}`);
      }
      case "welcome": {
        const r = decodeWelcome(c.bytes);
        return r.ok ? check(encodeWelcome(r.value)) : rejected(`welcome: ${kindOf(r.error)}`);
      }
      case "auth": {
        const r = decodeAuth(c.bytes);
        return r.ok ? check(encodeAuth(r.value)) : rejected(`auth: ${kindOf(r.error)}`);
      }
      case "reject": {
        const r = decodeReject(c.bytes);
        return r === "malformed" ? rejected("reject: malformed") : check(encodeReject(r));
      }
    }
  },
};
