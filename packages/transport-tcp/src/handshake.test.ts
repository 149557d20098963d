import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  clientMac,
  decodeAuth,
  decodeHello,
  decodeReject,
  decodeWelcome,
  encodeAuth,
  encodeHello,
  encodeReject,
  encodeWelcome,
  MAC_BYTES,
  NONCE_BYTES,
  serverMac,
  verifyMac,
  type RejectReason,
  type Transcript,
} from "./handshake.js";

const nonceArb = fc.uint8Array({ minLength: NONCE_BYTES, maxLength: NONCE_BYTES });
const idArb = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const clusterIdArb = fc.string({ minLength: 1, maxLength: 60 });

const secret = Buffer.from("a shared secret of enough bytes");
const transcript: Transcript = {
  clusterId: "prod",
  clientId: 1,
  serverId: 2,
  clientNonce: new Uint8Array(NONCE_BYTES).fill(1),
  serverNonce: new Uint8Array(NONCE_BYTES).fill(2),
};

describe("handshake messages", () => {
  it("HELLO round-trips", () => {
    fc.assert(
      fc.property(clusterIdArb, idArb, idArb, nonceArb, (clusterId, clientId, serverId, nonce) => {
        const hello = { clusterId, clientId, serverId, nonce };
        expect(decodeHello(encodeHello(hello))).toEqual({ ok: true, value: hello });
      }),
    );
  });

  it("WELCOME round-trips, with a MAC and without one", () => {
    fc.assert(
      fc.property(clusterIdArb, idArb, nonceArb, fc.boolean(), (clusterId, serverId, nonce, withMac) => {
        const welcome = { clusterId, serverId, nonce, mac: new Uint8Array(withMac ? MAC_BYTES : 0).fill(5) };
        expect(decodeWelcome(encodeWelcome(welcome))).toEqual({ ok: true, value: welcome });
      }),
    );
  });

  it("AUTH and REJECT round-trip", () => {
    const mac = new Uint8Array(MAC_BYTES).fill(3);
    expect(decodeAuth(encodeAuth({ mac }))).toEqual({ ok: true, value: { mac } });
    expect(decodeAuth(encodeAuth({ mac: new Uint8Array(0) }))).toEqual({ ok: true, value: { mac: new Uint8Array(0) } });
    for (const reason of ["version", "cluster_id", "unknown_node", "wrong_node", "auth"] satisfies RejectReason[]) {
      expect(decodeReject(encodeReject(reason))).toBe(reason);
    }
    expect(decodeReject(Uint8Array.of(99))).toBe("malformed");
    expect(decodeReject(Uint8Array.of())).toBe("malformed");
  });

  it("rejects a short nonce, a MAC of the wrong size, invalid UTF-8 and trailing bytes", () => {
    const hello = encodeHello({ clusterId: "c", clientId: 1, serverId: 2, nonce: new Uint8Array(NONCE_BYTES) });
    expect(decodeHello(hello.subarray(0, hello.length - 1)).ok).toBe(false);
    expect(decodeHello(Uint8Array.from([...hello, 0])).ok).toBe(false);
    expect(decodeAuth(Uint8Array.of(5, 1, 2, 3, 4, 5))).toMatchObject({ ok: false, error: expect.stringMatching(/MAC of 5 bytes/) });
    const badUtf8 = Uint8Array.from([2, 0xc3, 0x28, 1, 2, ...new Uint8Array(NONCE_BYTES)]);
    expect(decodeHello(badUtf8)).toMatchObject({ ok: false, error: expect.stringMatching(/UTF-8/) });
  });

  it("keeps a leading byte order mark in the cluster id: other bytes, another id (found by pnpm fuzz)", () => {
    const nonce = new Uint8Array(NONCE_BYTES);
    const hello = decodeHello(encodeHello({ clusterId: "\uFEFFprod", clientId: 1, serverId: 2, nonce }));
    expect(hello).toMatchObject({ ok: true, value: { clusterId: "\uFEFFprod" } });
    const welcome = decodeWelcome(encodeWelcome({ clusterId: "\uFEFFprod", serverId: 2, nonce, mac: new Uint8Array(0) }));
    expect(welcome).toMatchObject({ ok: true, value: { clusterId: "\uFEFFprod" } });
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        decodeHello(bytes);
        decodeWelcome(bytes);
        decodeAuth(bytes);
        decodeReject(bytes);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("handshake proofs", () => {
  it("the server's and the client's proofs differ for the same transcript (no reflection)", () => {
    expect(serverMac(secret, transcript).equals(clientMac(secret, transcript))).toBe(false);
  });

  it("each proof depends on every field of the transcript and on the secret", () => {
    const base = serverMac(secret, transcript);
    const variants: Transcript[] = [
      { ...transcript, clusterId: "prod2" },
      { ...transcript, clientId: 3 },
      { ...transcript, serverId: 3 },
      { ...transcript, clientId: 2, serverId: 1 },
      { ...transcript, clientNonce: new Uint8Array(NONCE_BYTES).fill(9) },
      { ...transcript, serverNonce: new Uint8Array(NONCE_BYTES).fill(9) },
    ];
    for (const v of variants) expect(serverMac(secret, v).equals(base)).toBe(false);
    expect(serverMac(Buffer.from("another secret of enough bytes"), transcript).equals(base)).toBe(false);
  });

  it("verifyMac accepts exactly the right proof", () => {
    const right = clientMac(secret, transcript);
    const compute = (s: Uint8Array): Buffer => clientMac(s, transcript);
    expect(verifyMac(secret, right, compute)).toBe(true);
    expect(verifyMac(secret, clientMac(Buffer.from("the wrong secret, long enough"), transcript), compute)).toBe(false);
    expect(verifyMac(secret, serverMac(secret, transcript), compute)).toBe(false);
    expect(verifyMac(secret, right.subarray(0, 31), compute)).toBe(false);
  });

  it("with a secret, an empty MAC is refused (no downgrade); without one, only an empty MAC passes", () => {
    const compute = (s: Uint8Array): Buffer => clientMac(s, transcript);
    expect(verifyMac(secret, new Uint8Array(0), compute)).toBe(false);
    expect(verifyMac(undefined, new Uint8Array(0), compute)).toBe(true);
    expect(verifyMac(undefined, clientMac(secret, transcript), compute)).toBe(false);
  });
});
