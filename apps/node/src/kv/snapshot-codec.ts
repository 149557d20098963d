import { crc32 } from "node:zlib";
import type { KvResult } from "./state-machine.js";

/**
 * The key-value state machine's snapshot: everything applying the log up to `applied` built,
 * sessions included (so exactly-once survives a restart from the snapshot).
 *
 * Layout (big-endian):
 *   magic "RKVS" | version u8 | applied u64 | keys u32 | (key str, value bytes)*
 *   | sessions u32 | (clientId str, seq u64, result)* | crc32 u32 of everything before it
 *   str/bytes = u32 length + bytes; result = op u8 (1 put, 2 delete, 3 rejected) index u64
 *   then existed u8 (delete) or reason str (rejected).
 *
 * Decoding checks the magic, version and checksum first, then every length against what is
 * left: a damaged snapshot is refused with a SnapshotFormatError, never half loaded.
 */
export interface KvSnapshotState {
  readonly applied: number;
  readonly data: ReadonlyMap<string, Uint8Array>;
  /** In least-recently-applied order, as the state machine keeps them. */
  readonly sessions: ReadonlyMap<string, { readonly seq: number; readonly result: KvResult }>;
}

export class SnapshotFormatError extends Error {
  constructor(problem: string) {
    super(`key-value snapshot: ${problem}`);
    this.name = "SnapshotFormatError";
  }
}

const MAGIC = [0x52, 0x4b, 0x56, 0x53]; // "RKVS"
const VERSION = 1;
const RESULT_CODE = { put: 1, delete: 2, rejected: 3 } as const;
const encoder = new TextEncoder();
// ignoreBOM: a key starting with U+FEFF keeps it when the snapshot is restored.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function encodeKvSnapshot(s: KvSnapshotState): Uint8Array {
  // Two passes: measure, then write into one buffer (a snapshot can hold millions of fields;
  // an allocation per field made encoding ten times slower, and it runs on the event loop).
  const strBytes = (t: string) => 4 + Buffer.byteLength(t, "utf8");
  let size = MAGIC.length + 1 + 8 + 4 + 4;
  for (const [key, value] of s.data) size += strBytes(key) + 4 + value.length;
  for (const [clientId, { result }] of s.sessions) {
    size += strBytes(clientId) + 8 + 1 + 8;
    if (result.op === "delete") size += 1;
    else if (result.op === "rejected") size += strBytes(result.reason);
  }
  const out = new Uint8Array(size + 4);
  const view = new DataView(out.buffer);
  let at = 0;
  const u8 = (n: number) => {
    out[at++] = n;
  };
  const u32 = (n: number) => {
    view.setUint32(at, n);
    at += 4;
  };
  const u64 = (n: number) => {
    u32(Math.floor(n / 0x1_0000_0000));
    u32(n >>> 0);
  };
  const bytes = (b: Uint8Array) => {
    u32(b.length);
    out.set(b, at);
    at += b.length;
  };
  const str = (t: string) => {
    const { written } = encoder.encodeInto(t, out.subarray(at + 4));
    u32(written);
    at += written;
  };

  out.set(MAGIC, 0);
  at = MAGIC.length;
  u8(VERSION);
  u64(s.applied);
  u32(s.data.size);
  for (const [key, value] of s.data) {
    str(key);
    bytes(value);
  }
  u32(s.sessions.size);
  for (const [clientId, { seq, result }] of s.sessions) {
    str(clientId);
    u64(seq);
    u8(RESULT_CODE[result.op]);
    u64(result.index);
    switch (result.op) {
      case "put":
        break;
      case "delete":
        u8(result.existed ? 1 : 0);
        break;
      case "rejected":
        str(result.reason);
        break;
    }
  }
  if (at !== size) throw new Error(`snapshot encoding: wrote ${at} bytes, measured ${size}`);
  view.setUint32(size, crc32(out.subarray(0, size)));
  return out;
}

export function decodeKvSnapshot(bytes: Uint8Array): KvSnapshotState {
  if (bytes.length < MAGIC.length + 1 + 8 + 4) throw new SnapshotFormatError(`${bytes.length} bytes is too short`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw new SnapshotFormatError("not a raft-ts key-value snapshot (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = bytes.length - 4;
  if (crc32(bytes.subarray(0, body)) !== view.getUint32(body)) throw new SnapshotFormatError("checksum mismatch: the snapshot is damaged");
  let at = MAGIC.length;
  const need = (n: number) => {
    if (at + n > body) throw new SnapshotFormatError(`truncated at byte ${at}`);
  };
  const u8 = () => {
    need(1);
    return bytes[at++]!;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(at);
    at += 4;
    return v;
  };
  const u64 = () => {
    const hi = u32();
    const lo = u32();
    const v = hi * 0x1_0000_0000 + lo;
    if (!Number.isSafeInteger(v)) throw new SnapshotFormatError(`number at byte ${at - 8} is too large`);
    return v;
  };
  const raw = () => {
    const n = u32();
    need(n);
    const b = bytes.slice(at, at + n);
    at += n;
    return b;
  };
  const str = () => {
    try {
      return decoder.decode(raw());
    } catch {
      throw new SnapshotFormatError(`invalid UTF-8 before byte ${at}`);
    }
  };

  const version = u8();
  if (version !== VERSION) throw new SnapshotFormatError(`version ${version} is not supported (this node reads ${VERSION})`);
  const applied = u64();
  // A key or client id twice, or a boolean other than 0 or 1, is damage no encoder makes:
  // refused, rather than one value silently overwriting the other.
  const bool = () => {
    const b = u8();
    if (b > 1) throw new SnapshotFormatError(`invalid boolean ${b} at byte ${at - 1}`);
    return b === 1;
  };
  const data = new Map<string, Uint8Array>();
  for (let i = u32(); i > 0; i--) {
    const key = str();
    if (data.has(key)) throw new SnapshotFormatError(`a key appears twice (before byte ${at})`);
    data.set(key, raw());
  }
  const sessions = new Map<string, { seq: number; result: KvResult }>();
  for (let i = u32(); i > 0; i--) {
    const clientId = str();
    if (sessions.has(clientId)) throw new SnapshotFormatError(`a client's session appears twice (before byte ${at})`);
    const seq = u64();
    const code = u8();
    const index = u64();
    let result: KvResult;
    if (code === RESULT_CODE.put) result = { op: "put", index };
    else if (code === RESULT_CODE.delete) result = { op: "delete", index, existed: bool() };
    else if (code === RESULT_CODE.rejected) result = { op: "rejected", index, reason: str() };
    else throw new SnapshotFormatError(`unknown result code ${code}`);
    sessions.set(clientId, { seq, result });
  }
  if (at !== body) throw new SnapshotFormatError(`${body - at} unexpected bytes after the sessions`);
  return { applied, data, sessions };
}
