import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { NodeId } from "@raft-ts/core";
import { ByteReader, DecodeError, varintSize, writeVarint } from "./bytes.js";

/**
 * The handshake that opens every connection, before any Raft message may pass:
 *
 *   client -> server  HELLO   clusterId, clientId, serverId (who it means to reach), clientNonce
 *   server -> client  WELCOME clusterId, serverId, serverNonce, serverMac
 *   client -> server  AUTH    clientMac
 *
 * Without a secret both MACs are empty and the handshake only checks version, cluster id and
 * node ids (it guards against misconfiguration, not against attackers). With a secret it is
 * a mutual challenge-response: each side proves it knows the secret with an HMAC over both
 * nonces, so neither a recorded WELCOME nor a recorded AUTH is any use on a later
 * connection. The two MACs use different labels, so one side's proof can never be reflected
 * back as the other's. A side that has a secret refuses a peer that sends no MAC (no
 * downgrade), and MACs are compared in constant time.
 *
 * The client may send MESSAGE frames right after AUTH (no extra round trip): the server reads
 * frames in order, and if AUTH fails it closes the connection before reading any of them.
 */

export const NONCE_BYTES = 32;
export const MAC_BYTES = 32;
/** The cluster id travels with a one-byte length. */
export const MAX_CLUSTER_ID_BYTES = 255;

const SERVER_PROOF_LABEL = "raft-ts/transport-tcp/v1 server proof";
const CLIENT_PROOF_LABEL = "raft-ts/transport-tcp/v1 client proof";

export interface Hello {
  readonly clusterId: string;
  readonly clientId: NodeId;
  readonly serverId: NodeId;
  readonly nonce: Uint8Array;
}

export interface Welcome {
  readonly clusterId: string;
  readonly serverId: NodeId;
  readonly nonce: Uint8Array;
  /** Empty when the server has no secret. */
  readonly mac: Uint8Array;
}

export interface Auth {
  /** Empty when the client has no secret. */
  readonly mac: Uint8Array;
}

/**
 * Why a handshake failed. The server sends the first five to the client in a REJECT frame so
 * both ends can count and log the same reason; the rest are observed locally.
 */
export type HandshakeFailure =
  | "version"
  | "cluster_id"
  | "unknown_node"
  | "wrong_node"
  | "auth"
  | "malformed"
  | "unexpected_frame"
  | "frame_too_large"
  | "frame_too_small"
  | "timeout"
  | "closed"
  | "tls"
  | "busy";

const REJECT_CODES = ["version", "cluster_id", "unknown_node", "wrong_node", "auth"] as const;
export type RejectReason = (typeof REJECT_CODES)[number];

export type HandshakeDecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** The secret as bytes; a string is taken as UTF-8. */
export function secretBytes(secret: string | Uint8Array): Buffer {
  return typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
}

function clusterIdBytes(clusterId: string): Buffer {
  const b = Buffer.from(clusterId, "utf8");
  if (b.length > MAX_CLUSTER_ID_BYTES) throw new RangeError(`cluster id is ${b.length} bytes, at most ${MAX_CLUSTER_ID_BYTES}`);
  return b;
}

export function encodeHello(h: Hello): Uint8Array {
  const cid = clusterIdBytes(h.clusterId);
  const buf = new Uint8Array(1 + cid.length + varintSize("clientId", h.clientId) + varintSize("serverId", h.serverId) + NONCE_BYTES);
  buf[0] = cid.length;
  buf.set(cid, 1);
  let o = writeVarint(buf, 1 + cid.length, h.clientId);
  o = writeVarint(buf, o, h.serverId);
  buf.set(h.nonce.subarray(0, NONCE_BYTES), o);
  return buf;
}

export function encodeWelcome(w: Welcome): Uint8Array {
  const cid = clusterIdBytes(w.clusterId);
  const buf = new Uint8Array(1 + cid.length + varintSize("serverId", w.serverId) + NONCE_BYTES + 1 + w.mac.length);
  buf[0] = cid.length;
  buf.set(cid, 1);
  let o = writeVarint(buf, 1 + cid.length, w.serverId);
  buf.set(w.nonce.subarray(0, NONCE_BYTES), o);
  o += NONCE_BYTES;
  buf[o++] = w.mac.length;
  buf.set(w.mac, o);
  return buf;
}

export function encodeAuth(a: Auth): Uint8Array {
  const buf = new Uint8Array(1 + a.mac.length);
  buf[0] = a.mac.length;
  buf.set(a.mac, 1);
  return buf;
}

export function encodeReject(reason: RejectReason): Uint8Array {
  return Uint8Array.of(REJECT_CODES.indexOf(reason) + 1);
}

function decodeWith<T>(bytes: Uint8Array, read: (r: ByteReader) => T): HandshakeDecodeResult<T> {
  try {
    const r = new ByteReader(bytes);
    const value = read(r);
    r.expectEnd();
    return { ok: true, value };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e.message };
    throw e;
  }
}

function readClusterId(r: ByteReader): string {
  const bytes = r.view(r.u8());
  // fatal: invalid UTF-8 is malformed, not silently replaced (that could make two different
  // byte strings compare equal as cluster ids). ignoreBOM: for the same reason, a leading
  // U+FEFF is part of the id, not stripped.
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new DecodeError("cluster id is not valid UTF-8");
  }
}

function readMac(r: ByteReader): Uint8Array {
  const length = r.u8();
  if (length !== 0 && length !== MAC_BYTES) throw new DecodeError(`MAC of ${length} bytes`);
  return r.copy(length);
}

export function decodeHello(bytes: Uint8Array): HandshakeDecodeResult<Hello> {
  return decodeWith(bytes, (r) => {
    const clusterId = readClusterId(r);
    const clientId = r.varint();
    const serverId = r.varint();
    const nonce = r.copy(NONCE_BYTES);
    return { clusterId, clientId, serverId, nonce };
  });
}

export function decodeWelcome(bytes: Uint8Array): HandshakeDecodeResult<Welcome> {
  return decodeWith(bytes, (r) => {
    const clusterId = readClusterId(r);
    const serverId = r.varint();
    const nonce = r.copy(NONCE_BYTES);
    const mac = readMac(r);
    return { clusterId, serverId, nonce, mac };
  });
}

export function decodeAuth(bytes: Uint8Array): HandshakeDecodeResult<Auth> {
  return decodeWith(bytes, (r) => ({ mac: readMac(r) }));
}

/** The reason in a REJECT frame; a code this version does not know reads as "malformed". */
export function decodeReject(bytes: Uint8Array): RejectReason | "malformed" {
  if (bytes.length !== 1) return "malformed";
  return REJECT_CODES[bytes[0]! - 1] ?? "malformed";
}

/** Everything both sides agree on once HELLO and WELCOME have crossed. */
export interface Transcript {
  readonly clusterId: string;
  readonly clientId: NodeId;
  readonly serverId: NodeId;
  readonly clientNonce: Uint8Array;
  readonly serverNonce: Uint8Array;
}

function mac(secret: Uint8Array, label: string, t: Transcript): Buffer {
  // Each field is fixed-size or length-prefixed, and the label ends in a zero byte, so no two
  // different transcripts serialize to the same bytes.
  const cid = clusterIdBytes(t.clusterId);
  const ids = new Uint8Array(varintSize("clientId", t.clientId) + varintSize("serverId", t.serverId));
  writeVarint(ids, writeVarint(ids, 0, t.clientId), t.serverId);
  return createHmac("sha256", secret)
    .update(label)
    .update(Uint8Array.of(0, cid.length))
    .update(cid)
    .update(ids)
    .update(t.clientNonce)
    .update(t.serverNonce)
    .digest();
}

/** The server's proof (in WELCOME). */
export function serverMac(secret: Uint8Array, t: Transcript): Buffer {
  return mac(secret, SERVER_PROOF_LABEL, t);
}

/** The client's proof (in AUTH). */
export function clientMac(secret: Uint8Array, t: Transcript): Buffer {
  return mac(secret, CLIENT_PROOF_LABEL, t);
}

/**
 * Whether `received` is the right proof. With no secret configured only an empty MAC passes;
 * with one, only the exact HMAC (computed by `expected`), compared in constant time.
 */
export function verifyMac(secret: Uint8Array | undefined, received: Uint8Array, expected: (secret: Uint8Array) => Buffer): boolean {
  if (secret === undefined) return received.length === 0;
  if (received.length !== MAC_BYTES) return false;
  return timingSafeEqual(expected(secret), received);
}
