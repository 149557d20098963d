// A closed-loop load: `concurrency` clients, each sending its next write as soon as the last one
// is answered, for a fixed time. Latency is measured per request from send to full answer.
import { histogram, summarize } from "./stats.js";
import type { WriteLevel } from "./results.js";

/** Sends one write; resolves true when the server acknowledged it as committed. */
export type SendWrite = (key: string, value: Uint8Array) => Promise<boolean>;

export interface LoadOptions {
  readonly concurrency: number;
  /** Measured time. */
  readonly durationMs: number;
  /** Time at the same load before measuring starts (connections opened, caches warm). */
  readonly warmupMs: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly keySpace: number;
  /** Seeds the key choice and the values (the same mix of keys for every target). */
  readonly seed: number;
}

/** The key for number `n`: `keyBytes` ASCII characters. */
export function keyOf(n: number, keyBytes: number): string {
  return `k${String(n).padStart(keyBytes - 1, "0")}`.slice(0, keyBytes);
}

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 0x1_0000_0000;
  };
}

export async function runClosedLoop(o: LoadOptions, send: SendWrite, onProgress?: (done: number, elapsedMs: number) => void): Promise<WriteLevel> {
  if (keyOf(o.keySpace - 1, o.keyBytes).length !== o.keyBytes || String(o.keySpace - 1).length > o.keyBytes - 1) {
    throw new RangeError(`${o.keySpace} keys do not fit in ${o.keyBytes}-byte keys`);
  }
  const random = lcg(o.seed);
  // A few distinct values, so the bytes are not all alike; printable so every target takes them.
  const values = Array.from({ length: 16 }, (_, v) =>
    Uint8Array.from({ length: o.valueBytes }, (_, i) => 97 + ((i * 7 + v * 13 + Math.floor(random() * 26)) % 26)),
  );

  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + o.warmupMs;
  const end = measureFrom + o.durationMs;
  let lastProgress = start;

  const client = async (): Promise<void> => {
    while (performance.now() < end) {
      const key = keyOf(Math.floor(random() * o.keySpace), o.keyBytes);
      const value = values[Math.floor(random() * values.length)]!;
      const sent = performance.now();
      const ok = await send(key, value).catch(() => false);
      const answered = performance.now();
      // Count only requests sent and answered inside the measured window.
      if (sent >= measureFrom && answered <= end) {
        if (ok) latencies.push(answered - sent);
        else errors++;
      }
      if (onProgress !== undefined && answered - lastProgress > 250) {
        lastProgress = answered;
        onProgress(latencies.length, answered - start);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  if (latencies.length === 0) throw new Error(`no write succeeded at concurrency ${o.concurrency} (${errors} failed)`);
  return {
    concurrency: o.concurrency,
    durationMs: o.durationMs,
    commits: latencies.length,
    errors,
    commitsPerSec: latencies.length / (o.durationMs / 1000),
    latency: summarize(latencies),
    histogram: histogram(latencies),
  };
}
