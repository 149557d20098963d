/**
 * Byte-level primitives shared by the message codec and the handshake: unsigned LEB128
 * varints limited to JavaScript's safe integers, and a bounds-checked reader.
 *
 * Encoding is two passes: first the exact size (which also validates every number), then
 * writing into one buffer of that size. Decoding never trusts a length or a count: each is
 * checked against the bytes that remain before anything is allocated.
 */

/** At most 8 varint bytes: 56 bits, enough for 2^53 - 1. */
export const MAX_VARINT_BYTES = 8;

/** Raised inside decoders and converted to a `{ ok: false }` result at their boundary. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** A message that cannot be encoded: a caller's bug (the core only produces valid messages). */
export class EncodeError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    expected = "an integer in [0, 2^53 - 1]",
  ) {
    super(`cannot encode ${field}: expected ${expected}, got ${String(value)}`);
    this.name = "EncodeError";
  }
}

/** Bytes the varint encoding of `value` takes; throws EncodeError when it is not encodable. */
export function varintSize(field: string, value: number): number {
  // The fast paths come first: ids, terms and small indexes are the common case.
  if (value >= 0 && value < 0x80 && Number.isInteger(value)) return 1;
  if (!Number.isSafeInteger(value) || value < 0) throw new EncodeError(field, value);
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  let rest = Math.floor(value / 0x10000000);
  while (rest > 0) {
    size++;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

/**
 * Bytes the UTF-8 encoding of `s` takes, or -1 when `s` holds a lone surrogate: TextEncoder
 * would write U+FFFD for it, so the string could not come back as it went.
 */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c > 0xdfff) n += 3;
    else if (c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair: one code point above U+FFFF
      i++;
    } else return -1;
  }
  return n;
}

/** Writes `value` (already validated by varintSize) at `offset`; returns the offset after it. */
export function writeVarint(buf: Uint8Array, offset: number, value: number): number {
  let o = offset;
  let v = value;
  if (v < 0x80) {
    buf[o] = v;
    return o + 1;
  }
  if (v <= 0x7fffffff) {
    // Fits in 31 bits: 32-bit integer operations are exact, and fast.
    while (v >= 0x80) {
      buf[o++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
  } else {
    // Bitwise operators would truncate to 32 bits, so large values use division.
    while (v >= 0x80) {
      buf[o++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
  }
  buf[o++] = v;
  return o;
}

/**
 * Reads bytes[offset, end) front to back. Every method throws DecodeError on malformed input;
 * the decoders catch it, so no exception leaves a decode call.
 */
export class ByteReader {
  private bytes: Uint8Array;
  private offset: number;
  private end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  /** Points the reader at new input, so a hot decoder can reuse one reader. */
  reset(bytes: Uint8Array, offset: number, end: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
    return this;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  u8(): number {
    if (this.offset >= this.end) throw new DecodeError("truncated: expected a byte");
    return this.bytes[this.offset++]!;
  }

  /** Exactly 0 or 1: any other byte is malformed, so every valid payload has one encoding. */
  bool(): boolean {
    const b = this.u8();
    if (b > 1) throw new DecodeError(`invalid boolean byte ${b}`);
    return b === 1;
  }

  /**
   * An unsigned LEB128 integer up to 2^53 - 1. Overlong encodings (a trailing zero group) are
   * rejected, so decoding and re-encoding give back the same bytes.
   */
  varint(): number {
    const bytes = this.bytes;
    const end = this.end;
    let o = this.offset;
    if (o >= end) throw new DecodeError("truncated: expected a varint");
    let b = bytes[o++]!;
    if (b < 0x80) {
      this.offset = o;
      return b;
    }
    let value = b & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < MAX_VARINT_BYTES; i++) {
      if (o >= end) throw new DecodeError("truncated: varint");
      b = bytes[o++]!;
      // The first four groups fill 28 bits: exact with 32-bit operations. Beyond, floats.
      if (i < 4) value |= (b & 0x7f) << (7 * i);
      else value += (b & 0x7f) * scale;
      scale *= 0x80;
      if (b < 0x80) {
        if (b === 0) throw new DecodeError("non-canonical varint (trailing zero group)");
        // Past 2^53 the float sum may round, but never below 2^53, so this test is exact.
        if (value > Number.MAX_SAFE_INTEGER) throw new DecodeError("integer above 2^53 - 1");
        this.offset = o;
        return value;
      }
    }
    throw new DecodeError(`varint longer than ${MAX_VARINT_BYTES} bytes`);
  }

  /** A copy of the next `length` bytes: the caller may keep it without pinning the frame. */
  copy(length: number): Uint8Array {
    this.need(length);
    const out = new Uint8Array(length);
    out.set(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return out;
  }

  /** A view of the next `length` bytes, valid only while the frame is. */
  view(length: number): Uint8Array {
    this.need(length);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** Fails unless the payload was consumed exactly: trailing bytes mean a malformed frame. */
  expectEnd(): void {
    if (this.offset !== this.end) {
      throw new DecodeError(`${this.end - this.offset} trailing bytes`);
    }
  }

  /** Checked before any allocation, so a claimed length cannot make us allocate it. */
  need(length: number): void {
    if (length > this.remaining) {
      throw new DecodeError(`truncated: needs ${length} bytes, ${this.remaining} remain`);
    }
  }
}
