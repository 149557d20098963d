import { encodeFrame, FrameDecoder, FrameKind, HANDSHAKE_MAX_FRAME_BYTES, PROTOCOL_VERSION, type FrameError } from "@raft-ts/transport-tcp";
import fc from "fast-check";
import { applyMutations, mutationsArb, type Field } from "../mutate.js";
import { accepted, FuzzFailure, rejected, type InProcessTarget, type Outcome } from "../types.js";
import { messageSeedArb } from "./codec.js";

/**
 * The frame decoder: a byte stream of valid and corrupted frames, cut into random chunks as
 * TCP would deliver it. Oracles: the frames, and where the stream fails, are exactly what a
 * plain whole-buffer reading of the same bytes gives (however the stream is chunked); and
 * the decoder never holds more than 4 + limit + the last chunk (its documented bound).
 */
export interface FrameCase {
  readonly stream: Uint8Array;
  /** Chunk boundaries (taken modulo the stream length), or "bytewise": one byte per chunk. */
  readonly cuts: readonly number[] | "bytewise";
  readonly limit: number;
  /** Raise the limit after this many frames, as the transport does once a peer authenticates. */
  readonly raise: { readonly afterFrames: number; readonly limit: number } | undefined;
}

type LengthChoice = "keep" | "zero" | "one" | "two" | "minus1" | "plus1" | "limit" | "limit+1" | "max" | "sign" | { readonly random: number };

interface FrameSpec {
  readonly kind: number;
  readonly version: number;
  readonly payload: Uint8Array;
  readonly length: LengthChoice;
}

const lengthChoiceArb: fc.Arbitrary<LengthChoice> = fc.oneof(
  { weight: 12, arbitrary: fc.constant("keep" as const) },
  { weight: 6, arbitrary: fc.constantFrom<LengthChoice>("zero", "one", "two", "minus1", "plus1", "limit", "limit+1", "max", "sign") },
  { weight: 1, arbitrary: fc.record({ random: fc.nat() }) },
);

const frameSpecArb: fc.Arbitrary<FrameSpec> = fc.record({
  kind: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: FrameKind.Hello, max: FrameKind.Message }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  version: fc.oneof({ weight: 6, arbitrary: fc.constant(PROTOCOL_VERSION) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  payload: fc.oneof(
    messageSeedArb.map((s) => s.bytes),
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ minLength: 200, maxLength: 1200 }),
  ),
  length: lengthChoiceArb,
});

function lengthValue(choice: LengthChoice, actual: number, limit: number): number {
  if (typeof choice === "object") return choice.random >>> 0;
  switch (choice) {
    case "keep":
      return actual;
    case "zero":
      return 0;
    case "one":
      return 1;
    case "two":
      return 2;
    case "minus1":
      return Math.max(0, actual - 1);
    case "plus1":
      return actual + 1;
    case "limit":
      return limit;
    case "limit+1":
      return limit + 1;
    case "max":
      return 0xffffffff;
    case "sign":
      return 0x80000000;
  }
}

/** The stream, and where each frame's length field is (for the stream-level mutations). */
function buildStream(specs: readonly FrameSpec[], limit: number): { bytes: Uint8Array; fields: Field[] } {
  const parts: Buffer[] = [];
  const fields: Field[] = [];
  let at = 0;
  for (const s of specs) {
    const frame = encodeFrame(s.kind as FrameKind, s.payload);
    frame[4] = s.version;
    frame.writeUInt32BE(lengthValue(s.length, frame.length - 4, limit), 0);
    fields.push({ at, width: 4 }, { at: at + 4, width: 1 }, { at: at + 5, width: 1 });
    parts.push(frame);
    at += frame.length;
  }
  return { bytes: Uint8Array.from(Buffer.concat(parts)), fields };
}

const limitArb = fc.oneof(
  fc.constant(HANDSHAKE_MAX_FRAME_BYTES),
  fc.integer({ min: 2, max: 64 }),
  fc.integer({ min: 64, max: 4096 }),
  fc.constant(4 * 1024 * 1024),
);

/** A stream of intact frames, cut anywhere: what a healthy peer sends. */
const cleanCaseArb: fc.Arbitrary<FrameCase> = fc
  .record({
    specs: fc.array(frameSpecArb.map((s) => ({ ...s, length: "keep" as const })), { maxLength: 8 }),
    cuts: fc.array(fc.nat(), { maxLength: 40 }),
    raise: fc.option(fc.record({ afterFrames: fc.nat({ max: 4 }), limit: fc.constant(4 * 1024 * 1024) }), { nil: undefined }),
  })
  .map(({ specs, cuts, raise }) => ({ stream: buildStream(specs, 0).bytes, cuts, limit: 4096, raise }));

const damagedCaseArb: fc.Arbitrary<FrameCase> = fc
  .record({
    specs: fc.array(frameSpecArb, { maxLength: 8 }),
    mutations: fc.option(mutationsArb({ max: 3 }), { freq: 3 }),
    tail: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { freq: 6 }),
    cuts: fc.oneof({ weight: 8, arbitrary: fc.array(fc.nat(), { maxLength: 40 }) }, { weight: 1, arbitrary: fc.constant("bytewise" as const) }),
    limit: limitArb,
    raise: fc.option(fc.record({ afterFrames: fc.nat({ max: 4 }), limit: limitArb }), { freq: 3 }),
  })
  .map(({ specs, mutations, tail, cuts, limit, raise }): FrameCase => {
    const built = buildStream(specs, limit);
    let stream = mutations === null ? built.bytes : applyMutations(built, mutations);
    if (tail !== null) stream = Uint8Array.from([...stream, ...tail]); // garbage after the frames
    return { stream, cuts, limit, raise: raise ?? undefined };
  });

export const frameCaseArb: fc.Arbitrary<FrameCase> = fc.oneof({ weight: 1, arbitrary: cleanCaseArb }, { weight: 3, arbitrary: damagedCaseArb });

/** What reading a stream gives: its frames, then how it ended. */
interface Reading {
  readonly frames: { version: number; kind: number; payload: string }[];
  end: { type: "clean" } | { type: "truncated" } | { type: "error"; error: FrameError; length: number };
}

/** The plain reading of the whole stream at once: the oracle for the chunked decoder. */
function readWhole(c: FrameCase): Reading {
  const b = Buffer.from(c.stream.buffer, c.stream.byteOffset, c.stream.byteLength);
  const out: Reading = { frames: [], end: { type: "clean" } };
  let limit = c.limit;
  let at = 0;
  for (;;) {
    const left = b.length - at;
    if (left === 0) return out;
    if (left < 4) {
      out.end = { type: "truncated" };
      return out;
    }
    const length = b.readUInt32BE(at);
    if (length < 2) {
      out.end = { type: "error", error: "frame_too_small", length };
      return out;
    }
    if (length > limit) {
      out.end = { type: "error", error: "frame_too_large", length };
      return out;
    }
    if (left - 4 < length) {
      out.end = { type: "truncated" };
      return out;
    }
    out.frames.push({ version: b[at + 4]!, kind: b[at + 5]!, payload: b.subarray(at + 6, at + 4 + length).toString("hex") });
    at += 4 + length;
    if (c.raise !== undefined && out.frames.length === c.raise.afterFrames) limit = c.raise.limit;
  }
}

function chunksOf(c: FrameCase): Buffer[] {
  const b = Buffer.from(c.stream.buffer, c.stream.byteOffset, c.stream.byteLength);
  if (c.cuts === "bytewise") return [...b].map((x) => Buffer.of(x));
  const points = [...new Set(c.cuts.map((x) => (b.length === 0 ? 0 : x % b.length)))].sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) chunks.push(b.subarray(from, p));
    from = Math.max(from, p);
  }
  chunks.push(b.subarray(from));
  return chunks;
}

/** The decoder as the transport drives it: push each chunk, take frames until incomplete or error. */
function readChunked(c: FrameCase): Reading {
  const decoder = new FrameDecoder(c.limit);
  let limit = c.limit;
  const out: Reading = { frames: [], end: { type: "clean" } };
  for (const chunk of chunksOf(c)) {
    decoder.push(chunk);
    for (;;) {
      const r = decoder.next();
      if (r.type === "incomplete") break;
      if (r.type === "error") {
        out.end = { type: "error", error: r.error, length: r.length };
        if (decoder.bufferedBytes !== 0) throw new FuzzFailure("invariant", `a failed decoder still holds ${decoder.bufferedBytes} bytes`);
        return out;
      }
      out.frames.push({ version: r.version, kind: r.kind, payload: r.bytes.subarray(r.start, r.end).toString("hex") });
      if (c.raise !== undefined && out.frames.length === c.raise.afterFrames) {
        limit = c.raise.limit;
        decoder.setMaxFrameBytes(limit);
      }
    }
    const bound = 4 + limit + chunk.length;
    if (decoder.bufferedBytes > bound) throw new FuzzFailure("memory", `the decoder holds ${decoder.bufferedBytes} bytes, above its bound of ${bound}`);
  }
  if (decoder.inFrame) out.end = { type: "truncated" };
  return out;
}

export const frameTarget: InProcessTarget<FrameCase> = {
  name: "frame",
  description: "transport-tcp FrameDecoder: streams of valid and corrupted frames in random chunks",
  arbitrary: frameCaseArb,
  show: (c) => c.stream,
  run(c): Outcome {
    const whole = readWhole(c);
    const chunked = readChunked(c);
    const a = JSON.stringify(whole);
    const b = JSON.stringify(chunked);
    if (a !== b) throw new FuzzFailure("invariant", `chunked decoding differs from reading the whole stream:\n  whole:   ${a.slice(0, 300)}\n  chunked: ${b.slice(0, 300)}`);
    const end = chunked.end;
    if (end.type === "error") return rejected(end.error);
    if (end.type === "truncated") return rejected("truncated");
    return accepted();
  },
};
