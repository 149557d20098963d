import { describe, expect, it } from "vitest";
import { frameCounter } from "./frame-counter.js";

describe("frameCounter", () => {
  it("counts length-prefixed frames exactly, however the stream is cut", () => {
    const frame = (n: number) => Buffer.concat([Buffer.from([0, 0, 0, n]), Buffer.alloc(n, n)]);
    const stream = Buffer.concat([frame(8), frame(0), frame(6), frame(1), frame(10)]);
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        const calls: number[] = [];
        const count = frameCounter((n) => calls.push(n));
        for (const chunk of [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]) if (chunk.length > 0) count(chunk);
        expect(calls.reduce((x, y) => x + y, 0)).toBe(5);
        expect(calls.every((n) => n > 0)).toBe(true);
      }
    }
  });
});
