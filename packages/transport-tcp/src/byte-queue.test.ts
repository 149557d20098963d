import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteQueue } from "./byte-queue.js";

describe("ByteQueue", () => {
  it("hands back exactly the bytes pushed, in order, however they were chunked and taken", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }), (chunks, takes) => {
        const q = new ByteQueue();
        for (const c of chunks) q.push(Buffer.from(c));
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        expect(q.length).toBe(all.length);
        let at = 0;
        for (const n of takes) {
          if (n > q.length) break;
          if (n >= 4) expect(q.peekUInt32BE()).toBe(all.readUInt32BE(at));
          expect(q.length).toBe(all.length - at); // peeking consumed nothing
          expect(Buffer.compare(q.take(n), all.subarray(at, at + n))).toBe(0);
          at += n;
        }
        expect(q.length).toBe(all.length - at);
      }),
      { numRuns: 500 },
    );
  });

  it("reads bytes inside one chunk in place, and joins the ones that span chunks", () => {
    const q = new ByteQueue();
    const first = Buffer.from([1, 2, 3, 4, 5]);
    q.push(first);
    q.push(Buffer.from([6, 7]));
    expect(q.contiguous(5)).toBe(true);
    expect(q.contiguous(6)).toBe(false);
    const view = q.take(2);
    expect(q.offset).toBe(2);
    const joined = q.join(4);
    expect([...joined]).toEqual([3, 4, 5, 6]);
    // The view shares the chunk's memory; the joined bytes are a copy.
    first[0] = 9;
    first[2] = 9;
    expect([...view]).toEqual([9, 2]);
    expect([...joined]).toEqual([3, 4, 5, 6]);
    expect(q.length).toBe(1);
    q.clear();
    expect(q.length).toBe(0);
  });
});
