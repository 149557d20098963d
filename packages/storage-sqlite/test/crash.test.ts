import { describe, expect, it } from "vitest";
import { SqliteStorage } from "../src/index.js";
import { killHard, spawnFixture, waitForLine } from "./child.js";
import { batchSize, expectedData, snapshotData, termOf } from "./crash-batches.js";
import { TempDirs } from "./helpers.js";

const ROUNDS = 25;

/** A seeded generator for kill delays, so a failing run can be repeated with the same seed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 0x1_0000_0000;
  };
}

describe("SIGKILL at random moments, while appending, snapshotting and compacting", () => {
  const seed = Number(process.env.CRASH_SEED ?? 20261127);

  it(`loses no acknowledged batch over ${ROUNDS} kills (seed ${seed}; CRASH_SEED=${seed} replays the delays)`, async () => {
    const temp = new TempDirs();
    const random = lcg(seed);
    const dir = temp.make("raft-crash-");
    let acknowledged = 0;
    let totalKilledMidRun = 0;
    let snapshots = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const child = spawnFixture("append-batches.ts", [dir]);
        let reported = 0;
        child.stdout!.on("data", (chunk: Buffer) => {
          for (const m of chunk.toString().matchAll(/committed (\d+)/g)) reported = Math.max(reported, Number(m[1]));
        });
        const opened = await waitForLine(child, /^open \d+$/);
        expect(Number(opened.split(" ")[1])).toBeGreaterThanOrEqual(acknowledged);
        await new Promise((r) => setTimeout(r, 5 + Math.floor(random() * 120)));
        await killHard(child);
        if (reported > acknowledged) totalKilledMidRun++;
        acknowledged = Math.max(acknowledged, reported);

        const s = SqliteStorage.open(dir);
        try {
          const last = s.lastIndex();
          // Everything acknowledged is there...
          expect(last, `round ${round}`).toBeGreaterThanOrEqual(acknowledged);
          // ...intact, with no gap, and ending on a whole batch (a transaction is all or nothing).
          let boundary = 1;
          while (boundary <= last) boundary += batchSize(boundary);
          expect(boundary - 1, `round ${round}: last index ${last} is not at a batch boundary`).toBe(last);
          // A snapshot, when there is one, is whole, and the log starts at most right after it.
          const snap = s.snapshot();
          if (snap !== undefined) {
            expect(sameBytes(snap.data, snapshotData(snap.meta.index)), `round ${round}: snapshot ${snap.meta.index} is damaged`).toBe(true);
            expect(snap.meta.term).toBe(termOf(snap.meta.index));
            expect(s.firstIndex()).toBeLessThanOrEqual(snap.meta.index + 1);
            snapshots++;
          }
          const first = s.firstIndex();
          expect(s.term(first - 1)).toBe(first === 1 ? 0 : termOf(first - 1));
          const log = s.entries(first, last + 1, Number.MAX_SAFE_INTEGER);
          expect(log.length).toBe(last - first + 1);
          for (const e of log) {
            if (e.term !== termOf(e.index) || !sameBytes(e.data, expectedData(e.index))) {
              throw new Error(`round ${round}: entry ${e.index} is damaged`);
            }
          }
          expect(s.hardState().commit).toBe(last);
          acknowledged = last;
        } finally {
          s.close();
        }
      }
      expect(acknowledged).toBeGreaterThan(0);
      expect(snapshots, "the writer got to snapshot and compact").toBeGreaterThan(ROUNDS / 2);
      // The kills must land while the child is writing, or the test proves nothing.
      expect(totalKilledMidRun).toBeGreaterThan(ROUNDS / 2);
    } finally {
      temp.cleanup();
    }
  });
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
