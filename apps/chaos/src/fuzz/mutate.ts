import fc from "fast-check";

/**
 * Byte-level mutation of valid encodings: the fuzzers start from something a real encoder
 * made and damage it the ways that find decoder bugs (bit flips, truncation, extension,
 * insertions of tricky byte sequences, and length or count fields set to huge, "negative" or
 * off-by-one values). Everything here is a fast-check arbitrary, so a failing input shrinks
 * (fewer mutations, smaller valid input) and replays from fast-check's seed and path.
 */

/** Where a valid encoding keeps a number, so mutations can aim at lengths and counts. */
export interface Field {
  readonly at: number;
  /** Big-endian fixed width in bytes, or an unsigned LEB128 varint. */
  readonly width: 1 | 2 | 4 | 8 | "varint";
}

/** A valid encoding, and where its numeric fields are (when the target knows). */
export interface Seed {
  readonly bytes: Uint8Array;
  readonly fields: readonly Field[];
}

/** How to pick a replacement number for a field. */
export type IntChoice =
  | "zero"
  | "one"
  | "all-ones"
  | "signed-max"
  | "signed-min"
  | "current+1"
  | "current-1"
  | "remaining"
  | "remaining+1"
  | "remaining-1"
  | "2^53-1"
  | "2^53"
  | "2^64-1"
  | "overlong"
  | { readonly random: number };

export type Mutation =
  | { readonly op: "flip"; readonly at: number; readonly bit: number }
  | { readonly op: "set"; readonly at: number; readonly byte: number }
  | { readonly op: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: "delete"; readonly at: number; readonly count: number }
  | { readonly op: "truncate"; readonly at: number }
  | { readonly op: "extend"; readonly bytes: Uint8Array }
  | { readonly op: "repeat"; readonly at: number; readonly count: number; readonly times: number }
  | { readonly op: "int"; readonly at: number; readonly width: 1 | 2 | 4 | 8; readonly value: IntChoice }
  | { readonly op: "field"; readonly field: number; readonly value: IntChoice };

/** Bytes that sit on boundaries of the formats: booleans, varint continuation, signs, ASCII. */
export const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0x81, 0xbf, 0xc0, 0xef, 0xfe, 0xff, 0x20, 0x22, 0x25, 0x5c];

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ""), "hex"));
const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "latin1"));

/**
 * Byte sequences worth inserting whole, since random bytes almost never spell them: UTF-8
 * that strict decoders must refuse or keep exactly (a BOM, overlong forms, surrogates, code
 * points past U+10FFFF, cut sequences), non-canonical and oversized varints, and a few
 * structural characters of the text formats.
 */
export const TOKENS: readonly Uint8Array[] = [
  hex("ef bb bf"), // BOM: must survive decoding, not be stripped
  hex("c0 80"), // overlong NUL
  hex("e0 80 80"), // overlong
  hex("ed a0 80"), // UTF-16 surrogate, as UTF-8
  hex("f4 90 80 80"), // above U+10FFFF
  hex("e2 82"), // cut in the middle
  hex("ff"),
  hex("80"),
  hex("00"),
  hex("80 00"), // overlong varint (trailing zero group)
  hex("ff ff ff ff ff ff ff 7f"), // 8-byte varint past 2^53
  hex("ff ff ff ff ff ff ff ff ff 01"), // 2^64 - 1
  hex("80 80 80 80 80 80 80 80 80 80 80 01"), // longer than any varint
  hex("ff ff ff ff"),
  hex("7f ff ff ff"),
  hex("80 00 00 00"),
  ascii("\r\n"),
  ascii('"'),
  ascii("\\u0000"),
  ascii("\\ud800"),
  ascii("{"),
  ascii("}"),
  ascii("["),
  ascii("]"),
  ascii(","),
  ascii(":"),
  ascii("null"),
  ascii("-1"),
  ascii("1e999"),
];

const intChoiceArb: fc.Arbitrary<IntChoice> = fc.oneof(
  fc.constantFrom<IntChoice>(
    "zero",
    "one",
    "all-ones",
    "signed-max",
    "signed-min",
    "current+1",
    "current-1",
    "remaining",
    "remaining+1",
    "remaining-1",
    "2^53-1",
    "2^53",
    "2^64-1",
    "overlong",
  ),
  fc.record({ random: fc.nat() }),
);

const tokenArb = (extra: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> => {
  const tokens = [...TOKENS, ...extra];
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...tokens) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }) });
};

/** A list of one to `max` mutations (more often one or two). */
export function mutationsArb(options: { tokens?: readonly Uint8Array[]; max?: number } = {}): fc.Arbitrary<Mutation[]> {
  const tokens = tokenArb(options.tokens ?? []);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }) },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 })) }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: tokens }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("extend" as const), bytes: fc.oneof(tokens, fc.uint8Array({ minLength: 1, maxLength: 64 })) }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("repeat" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 32 }), times: fc.integer({ min: 1, max: 64 }) }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("int" as const), at: fc.nat(), width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const), value: intChoiceArb }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant("field" as const), field: fc.nat(), value: intChoiceArb }) },
  );
  return fc.array(mutation, { minLength: 1, maxLength: options.max ?? 4 });
}

/** Reads the field's current value (as a bigint: a u64 may pass 2^53). */
function readField(bytes: Buffer, at: number, width: 1 | 2 | 4 | 8 | "varint"): { value: bigint; size: number } {
  if (width === "varint") {
    let value = 0n;
    let shift = 0n;
    let i = at;
    while (i < bytes.length && i - at < 10) {
      const b = bytes[i++]!;
      value |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) break;
    }
    return { value, size: Math.max(1, i - at) };
  }
  let value = 0n;
  for (let i = 0; i < width; i++) value = (value << 8n) | BigInt(bytes[at + i] ?? 0);
  return { value, size: width };
}

function choose(choice: IntChoice, width: 1 | 2 | 4 | 8 | "varint", current: bigint, remaining: number): bigint {
  const bits = width === "varint" ? 64n : BigInt(width * 8);
  const ones = (1n << bits) - 1n;
  if (typeof choice === "object") return BigInt(choice.random) & ones;
  switch (choice) {
    case "zero":
      return 0n;
    case "overlong":
      return current; // the same number, in a non-canonical encoding (varints only)
    case "one":
      return 1n;
    case "all-ones":
    case "2^64-1":
      return ones; // as a signed field: -1
    case "signed-max":
      return (1n << (bits - 1n)) - 1n;
    case "signed-min":
      return 1n << (bits - 1n);
    case "current+1":
      return (current + 1n) & ones;
    case "current-1":
      return (current - 1n) & ones;
    case "remaining":
      return BigInt(remaining) & ones;
    case "remaining+1":
      return BigInt(remaining + 1) & ones;
    case "remaining-1":
      return BigInt(Math.max(0, remaining - 1)) & ones;
    case "2^53-1":
      return (2n ** 53n - 1n) & ones;
    case "2^53":
      return 2n ** 53n & ones;
  }
}

function encodeVarint(value: bigint, overlong: boolean): Buffer {
  const out: number[] = [];
  let v = value;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n || overlong) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  if (overlong) out.push(0x00);
  return Buffer.from(out);
}

/** `out` with `count` bytes at `at` replaced by `insert` (a new buffer; slices are copied once). */
function splice(out: Buffer, at: number, count: number, insert: Uint8Array = new Uint8Array(0)): Buffer {
  return Buffer.concat([out.subarray(0, at), insert, out.subarray(Math.min(out.length, at + count))]);
}

function writeInt(out: Buffer, at: number, width: 1 | 2 | 4 | 8 | "varint", choice: IntChoice): Buffer {
  if (out.length === 0) return out;
  const pos = at % out.length;
  const { value: current, size } = readField(out, pos, width);
  const remaining = Math.max(0, out.length - pos - size);
  const value = choose(choice, width, current, remaining);
  if (width === "varint") return splice(out, pos, size, encodeVarint(value, choice === "overlong"));
  for (let i = width - 1, v = value; i >= 0; i--, v >>= 8n) {
    if (pos + i < out.length) out[pos + i] = Number(v & 0xffn);
  }
  return out;
}

/**
 * Applies `mutations` in order to a copy of `seed.bytes`; positions are taken modulo the
 * length. Works on Buffers (a request of megabytes is mutated in a few copies, not per byte).
 */
export function applyMutations(seed: Seed, mutations: readonly Mutation[]): Uint8Array {
  let out: Buffer = Buffer.from(seed.bytes);
  for (const m of mutations) {
    switch (m.op) {
      case "flip":
        if (out.length > 0) out[m.at % out.length]! ^= 1 << m.bit;
        break;
      case "set":
        if (out.length > 0) out[m.at % out.length] = m.byte;
        break;
      case "insert":
        out = splice(out, m.at % (out.length + 1), 0, m.bytes);
        break;
      case "delete":
        if (out.length > 0) out = splice(out, m.at % out.length, m.count);
        break;
      case "truncate":
        out = out.subarray(0, out.length === 0 ? 0 : m.at % out.length);
        break;
      case "extend":
        out = Buffer.concat([out, m.bytes]);
        break;
      case "repeat": {
        if (out.length === 0) break;
        const from = m.at % out.length;
        const slice = out.subarray(from, from + m.count);
        out = splice(out, from, 0, Buffer.concat(Array.from({ length: m.times }, () => slice)));
        break;
      }
      case "int":
        out = writeInt(out, m.at, m.width, m.value);
        break;
      case "field": {
        // Aimed at a known length or count; falls back to a u32 anywhere when none is known.
        const f = seed.fields.length > 0 ? seed.fields[m.field % seed.fields.length]! : { at: m.field, width: 4 as const };
        // Earlier mutations may have moved it: a field past the end is skipped.
        if (f.at < out.length) out = writeInt(out, f.at, f.width, m.value);
        break;
      }
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** A mutated seed together with how it was made (the mutations shrink with fast-check). */
export interface MutatedBytes {
  readonly bytes: Uint8Array;
  readonly origin: "valid" | "mutated" | "random";
}

/**
 * Inputs for a byte decoder: mostly mutations of valid encodings, some valid ones untouched
 * (so the accepting side is exercised too), and some purely random bytes.
 */
export function bytesFrom(valid: fc.Arbitrary<Seed>, options: { tokens?: readonly Uint8Array[]; maxRandomBytes?: number } = {}): fc.Arbitrary<MutatedBytes> {
  const mutations = mutationsArb(options.tokens === undefined ? {} : { tokens: options.tokens });
  return fc.oneof(
    { weight: 2, arbitrary: valid.map((s): MutatedBytes => ({ bytes: s.bytes, origin: "valid" })) },
    { weight: 14, arbitrary: fc.tuple(valid, mutations).map(([s, ms]): MutatedBytes => ({ bytes: applyMutations(s, ms), origin: "mutated" })) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: options.maxRandomBytes ?? 256 }).map((bytes): MutatedBytes => ({ bytes, origin: "random" })) },
  );
}

/** Text as a JSON string of at most about `max` characters, with the total length when cut. */
export function textPreview(s: string, max = 400): string {
  const j = JSON.stringify(s.slice(0, max));
  return j.length > max || s.length > max ? `${j.slice(0, max)}..." (${s.length} chars)` : j;
}

/** The first `max` bytes as hex, with the total length. */
export function hexPreview(bytes: Uint8Array | string, max = 256): string {
  if (typeof bytes === "string") return textPreview(bytes, max * 2);
  const shown = Buffer.from(bytes.subarray(0, max)).toString("hex");
  return bytes.length > max ? `${shown}... (${bytes.length} bytes)` : `${shown} (${bytes.length} bytes)`;
}

/** An error message as a rejection kind: numbers and quoted parts replaced, so kinds group. */
export function kindOf(message: string): string {
  return message
    .replace(/"(?:[^"\\]|\\.)*"/g, "S")
    .replace(/0x[0-9a-f]+/gi, "N")
    .replace(/\d+(\.\d+)?(e[+-]?\d+)?/gi, "N")
    .slice(0, 80);
}
