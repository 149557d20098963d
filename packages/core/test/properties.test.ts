import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { entrySize, limitSize, MemoryStorage, quorumValue, type Entry } from "../src/index.js";
import { tallyVotes } from "../src/quorum.js";
import { RaftLog } from "../src/raft-log.js";

/** Non-decreasing terms, as every Raft log has. */
const termsArb = fc
  .array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 60 })
  .map((steps) => {
    let t = 1;
    return steps.map((s) => (t += s));
  });

function logWithTerms(terms: number[]): RaftLog {
  const s = new MemoryStorage();
  s.persist(undefined, terms.map((term, i) => ({ index: i + 1, term, type: "normal", data: new Uint8Array(0) })));
  return new RaftLog(s, 0, 0, { members: [] });
}

const termAt = (terms: number[], i: number) => (i === 0 ? 0 : terms[i - 1]!);

describe("RaftLog conflict searches (binary search against a linear scan)", () => {
  it("lastIndexWithTermAtMost finds the largest index <= i whose term <= t", () => {
    fc.assert(
      fc.property(termsArb, fc.nat(70), fc.nat(200), (terms, index, term) => {
        const log = logWithTerms(terms);
        let expected = 0;
        for (let i = Math.min(index, terms.length); i >= 1; i--) {
          if (termAt(terms, i) <= term) {
            expected = i;
            break;
          }
        }
        expect(log.lastIndexWithTermAtMost(index, term)).toBe(expected);
      }),
    );
  });

  it("firstIndexOfTerm finds where the run of a term starts, not below the floor", () => {
    fc.assert(
      fc.property(
        termsArb.filter((t) => t.length > 0),
        fc.nat(),
        fc.nat(),
        (terms, a, b) => {
          const log = logWithTerms(terms);
          const index = (a % terms.length) + 1;
          const floor = (b % index) + 1;
          const term = termAt(terms, index);
          let expected = index;
          while (expected - 1 >= floor && termAt(terms, expected - 1) === term) expected--;
          expect(log.firstIndexOfTerm(index, term, floor)).toBe(expected);
        },
      ),
    );
  });
});

describe("quorum arithmetic", () => {
  it("quorumValue is reached by a majority and exceeded by no majority", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(100), { minLength: 1, maxLength: 9 }), (values) => {
        const q = quorumValue(values);
        const majority = Math.floor(values.length / 2) + 1;
        expect(values.filter((v) => v >= q).length).toBeGreaterThanOrEqual(majority);
        expect(values.filter((v) => v >= q + 1).length).toBeLessThan(majority);
      }),
    );
  });

  it("an election is won or lost exactly when the votes decide it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.nat(9), fc.nat(9), (voters, g, r) => {
        const granted = Math.min(g, voters);
        const rejected = Math.min(r, voters - granted);
        const outcome = tallyVotes(voters, granted, rejected);
        const majority = Math.floor(voters / 2) + 1;
        if (granted >= majority) expect(outcome).toBe("won");
        else if (granted + (voters - granted - rejected) < majority) expect(outcome).toBe("lost");
        else expect(outcome).toBe("pending");
      }),
    );
  });
});

describe("limitSize", () => {
  it("keeps the longest prefix within the byte budget, and never less than one entry", () => {
    const entryArb = fc.uint8Array({ maxLength: 64 });
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 20 }), fc.nat(2000), (datas, maxBytes) => {
        const entries: Entry[] = datas.map((data, i) => ({ index: i + 1, term: 1, type: "normal", data }));
        const out = limitSize(entries, maxBytes);
        expect(entries.slice(0, out.length)).toEqual(out);
        if (entries.length === 0) {
          expect(out).toEqual([]);
          return;
        }
        expect(out.length).toBeGreaterThanOrEqual(1);
        const size = (es: Entry[]) => es.reduce((s, e) => s + entrySize(e), 0);
        if (out.length > 1) expect(size(out)).toBeLessThanOrEqual(maxBytes);
        if (out.length < entries.length) expect(size(entries.slice(0, out.length + 1))).toBeGreaterThan(maxBytes);
      }),
    );
  });
});
