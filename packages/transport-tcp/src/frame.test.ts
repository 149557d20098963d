import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { messageArb } from "../test/arbitraries.js";
import { encodeMessage } from "./codec.js";
import { encodeFrame, encodeMessageFrame, FRAME_HEADER_BYTES, FrameDecoder, FrameKind, payloadOf, PROTOCOL_VERSION, type FrameReadResult } from "./frame.js";

/** Cuts `bytes` at the given points (taken modulo its length) into chunks. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) chunks.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function lengthHeader(length: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(length, 0);
  return b;
}

describe("frames", () => {
  it("a message frame is the header then the codec's payload", () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const payload = encodeMessage(m);
        const frame = encodeMessageFrame(m);
        expect(frame.readUInt32BE(0)).toBe(2 + payload.length);
        expect(frame[4]).toBe(PROTOCOL_VERSION);
        expect(frame[5]).toBe(FrameKind.Message);
        expect(new Uint8Array(frame.subarray(FRAME_HEADER_BYTES))).toEqual(payload);
        expect(frame).toEqual(encodeFrame(FrameKind.Message, payload));
      }),
    );
  });

  it("the decoder returns the same frames however the stream is cut into chunks", () => {
    const framesArb = fc.array(fc.record({ kind: fc.integer({ min: 1, max: 5 }), payload: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 12 });
    fc.assert(
      fc.property(framesArb, fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f.kind as FrameKind, f.payload)));
        const limit = 400;
        const decoder = new FrameDecoder(limit);
        const out: Array<{ kind: number; payload: number[] }> = [];
        for (const chunk of split(stream, cuts)) {
          decoder.push(chunk);
          for (let r = decoder.next(); r.type !== "incomplete"; r = decoder.next()) {
            if (r.type === "error") throw new Error(r.error);
            expect(r.version).toBe(PROTOCOL_VERSION);
            out.push({ kind: r.kind, payload: [...payloadOf(r)] });
          }
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(4 + limit + chunk.length);
        }
        expect(out).toEqual(frames.map((f) => ({ kind: f.kind, payload: [...f.payload] })));
        expect(decoder.inFrame).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("a frame arriving one byte at a time is reassembled", () => {
    const frame = encodeFrame(FrameKind.Message, Buffer.from("hello, one byte at a time"));
    const decoder = new FrameDecoder(1024);
    let result: FrameReadResult = { type: "incomplete" };
    for (const byte of frame) {
      expect(result.type).toBe("incomplete");
      decoder.push(Buffer.of(byte));
      result = decoder.next();
    }
    if (result.type !== "frame") throw new Error(`expected a frame, got ${result.type}`);
    expect(payloadOf(result).toString()).toBe("hello, one byte at a time");
  });

  it("refuses a frame over the limit as soon as the length is read, before the body arrives", () => {
    const decoder = new FrameDecoder(1000);
    decoder.push(lengthHeader(1001));
    expect(decoder.next()).toEqual({ type: "error", error: "frame_too_large", length: 1001 });
    // It stays failed and holds nothing, whatever arrives next.
    decoder.push(Buffer.alloc(5000));
    expect(decoder.next().type).toBe("error");
    expect(decoder.bufferedBytes).toBe(0);
  });

  it("refuses a length of 2^32 - 1 without allocating it", () => {
    const decoder = new FrameDecoder(4 * 1024 * 1024);
    decoder.push(lengthHeader(0xffffffff));
    expect(decoder.next()).toMatchObject({ type: "error", error: "frame_too_large" });
  });

  it("accepts a frame of exactly the limit", () => {
    const decoder = new FrameDecoder(100);
    decoder.push(encodeFrame(FrameKind.Message, new Uint8Array(98)));
    expect(decoder.next().type).toBe("frame");
  });

  it("refuses lengths below 2 (no room for version and kind)", () => {
    for (const length of [0, 1]) {
      const decoder = new FrameDecoder(100);
      decoder.push(lengthHeader(length));
      expect(decoder.next()).toEqual({ type: "error", error: "frame_too_small", length });
    }
  });

  it("knows when the stream stopped inside a frame", () => {
    const decoder = new FrameDecoder(100);
    expect(decoder.inFrame).toBe(false);
    const frame = encodeFrame(FrameKind.Message, new Uint8Array(10));
    decoder.push(frame.subarray(0, 3));
    expect(decoder.next().type).toBe("incomplete");
    expect(decoder.inFrame).toBe(true);
    decoder.push(frame.subarray(3, 8));
    expect(decoder.next().type).toBe("incomplete");
    expect(decoder.inFrame).toBe(true);
    decoder.push(frame.subarray(8));
    expect(decoder.next().type).toBe("frame");
    expect(decoder.inFrame).toBe(false);
  });

  it("random byte streams in random chunks: never throws, never buffers past the bound", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 30 }), fc.integer({ min: 2, max: 2000 }), (chunks, limit) => {
        const decoder = new FrameDecoder(limit);
        for (const c of chunks) {
          decoder.push(Buffer.from(c));
          let r = decoder.next();
          while (r.type === "frame") {
            expect(r.end - r.start).toBeLessThanOrEqual(limit - 2);
            expect(r.end).toBeLessThanOrEqual(r.bytes.length);
            r = decoder.next();
          }
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(4 + limit + c.length);
          if (r.type === "error") expect(decoder.bufferedBytes).toBe(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
