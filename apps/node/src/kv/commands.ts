/**
 * The commands the key-value state machine replicates through the Raft log, and their binary
 * encoding (an entry's data). Every command carries the client's id and request sequence, so a
 * retried request is recognised and answered with its first result instead of applied twice.
 *
 * Layout (big-endian): version u8 | op u8 | clientId (u16 length + UTF-8) | seq (u32 high, u32 low)
 *                      | key (u32 length + UTF-8) | value (u32 length + bytes, put only)
 */
export type KvCommand =
  | { readonly op: "put"; readonly clientId: string; readonly seq: number; readonly key: string; readonly value: Uint8Array }
  | { readonly op: "delete"; readonly clientId: string; readonly seq: number; readonly key: string };

const VERSION = 1;
const OP_CODE = { put: 1, delete: 2 } as const;

const encoder = new TextEncoder();
// ignoreBOM: a key or client id starting with U+FEFF keeps it (by default the decoder strips
// it, and a put of "\uFEFFk" would land on "k").
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function encodeCommand(cmd: KvCommand): Uint8Array {
  const client = encoder.encode(cmd.clientId);
  const key = encoder.encode(cmd.key);
  const value = cmd.op === "put" ? cmd.value : undefined;
  if (client.length > 0xffff) throw new RangeError("clientId longer than 65535 bytes");
  const size = 2 + 2 + client.length + 8 + 4 + key.length + (value === undefined ? 0 : 4 + value.length);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  out[at++] = VERSION;
  out[at++] = OP_CODE[cmd.op];
  view.setUint16(at, client.length);
  at += 2;
  out.set(client, at);
  at += client.length;
  view.setUint32(at, Math.floor(cmd.seq / 0x1_0000_0000));
  view.setUint32(at + 4, cmd.seq >>> 0);
  at += 8;
  view.setUint32(at, key.length);
  at += 4;
  out.set(key, at);
  at += key.length;
  if (value !== undefined) {
    view.setUint32(at, value.length);
    at += 4;
    out.set(value, at);
  }
  return out;
}

/** Decode a command, or describe why the bytes are not one (never throws). */
export function decodeCommand(bytes: Uint8Array): { ok: true; command: KvCommand } | { ok: false; error: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number): boolean => at + n <= bytes.length;
  try {
    if (!need(2)) return { ok: false, error: "truncated header" };
    const version = bytes[at++]!;
    if (version !== VERSION) return { ok: false, error: `unknown command version ${version}` };
    const op = bytes[at++]!;
    if (!need(2)) return { ok: false, error: "truncated client id" };
    const clientLen = view.getUint16(at);
    at += 2;
    if (!need(clientLen + 8 + 4)) return { ok: false, error: "truncated client id or sequence" };
    const clientId = decoder.decode(bytes.subarray(at, at + clientLen));
    at += clientLen;
    const seq = view.getUint32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
    // Past 2^53 - 1 the sum is rounded: the retry check would compare another number.
    if (!Number.isSafeInteger(seq)) return { ok: false, error: "sequence number above 2^53 - 1" };
    at += 8;
    const keyLen = view.getUint32(at);
    at += 4;
    if (!need(keyLen)) return { ok: false, error: "truncated key" };
    const key = decoder.decode(bytes.subarray(at, at + keyLen));
    at += keyLen;
    if (op === OP_CODE.delete) {
      if (at !== bytes.length) return { ok: false, error: "trailing bytes after a delete" };
      return { ok: true, command: { op: "delete", clientId, seq, key } };
    }
    if (op !== OP_CODE.put) return { ok: false, error: `unknown op ${op}` };
    if (!need(4)) return { ok: false, error: "truncated value length" };
    const valueLen = view.getUint32(at);
    at += 4;
    if (at + valueLen !== bytes.length) return { ok: false, error: "value length does not match the entry" };
    return { ok: true, command: { op: "put", clientId, seq, key, value: bytes.slice(at, at + valueLen) } };
  } catch (e) {
    return { ok: false, error: `invalid UTF-8: ${(e as Error).message}` };
  }
}
