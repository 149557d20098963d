import { describe, expect, it } from "vitest";
import { FrameSplitter, seededRng } from "../src/index.js";
import { frame } from "./helpers.js";

function drain(s: FrameSplitter): Buffer[] {
  const out: Buffer[] = [];
  for (let r = s.next(); r.type === "frame"; r = s.next()) out.push(r.frame);
  return out;
}

describe("FrameSplitter", () => {
  it("returns the same whole frames, prefix included, however the stream is cut", () => {
    const frames = Array.from({ length: 60 }, (_, i) => frame(i, (i * 37) % 300));
    const stream = Buffer.concat(frames);
    const rng = seededRng(3);
    for (let trial = 0; trial < 50; trial++) {
      const s = new FrameSplitter(1024);
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = 1 + Math.floor(rng() * (trial % 2 === 0 ? 8 : 700));
        s.push(stream.subarray(at, at + n));
        at += n;
        out.push(...drain(s));
      }
      expect(out).toEqual(frames);
      expect(s.bufferedBytes).toBe(0);
    }
  });

  it("fails on a length over the limit as soon as the prefix is in, and holds nothing after", () => {
    const s = new FrameSplitter(100);
    s.push(Buffer.concat([frame(1), Buffer.from([0, 0])]));
    expect(drain(s)).toHaveLength(1);
    s.push(Buffer.from([0, 101]));
    expect(s.next()).toEqual({ type: "too_large", length: 101 });
    s.push(Buffer.alloc(50));
    expect(s.next().type).toBe("too_large");
    expect(s.bufferedBytes).toBe(0);
  });

  it("accepts a length exactly at the limit, and leaves a truncated tail for takeRemainder", () => {
    const s = new FrameSplitter(10);
    const f = Buffer.concat([Buffer.from([0, 0, 0, 10]), Buffer.alloc(10, 7)]);
    s.push(Buffer.concat([f, f.subarray(0, 6)]));
    expect(drain(s)).toEqual([f]);
    expect(s.next()).toEqual({ type: "incomplete" });
    expect(s.takeRemainder()).toEqual(f.subarray(0, 6));
    expect(s.bufferedBytes).toBe(0);
    expect(s.takeRemainder()).toHaveLength(0);
  });
});
