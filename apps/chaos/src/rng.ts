import { SeededRng } from "@raft-ts/core";

/**
 * Seeded randomness for the chaos suite. Every decision a proxy makes (drop this frame? how
 * long to hold that one?) draws from an Rng that descends from one run seed, never from
 * Math.random, so a failing run can be replayed from its seed as far as the proxies'
 * decisions go. (The operating system's scheduling is not replayable: which frame arrives
 * when still varies from run to run. See deriveSeed for how streams are kept apart so that
 * such variation disturbs as little as possible.)
 */

/** Returns a number in [0, 1). */
export type Rng = () => number;

/** A seeded Rng: the core's own generator (the simulator's), as a function. */
export function seededRng(seed: number): Rng {
  const rng = new SeededRng(toUint32(seed));
  return () => rng.float();
}

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit seed for an independent stream, from a parent seed and any labels (node ids, a
 * connection number, a direction). Why streams and not one shared Rng: the order in which
 * frames of different links reach the proxies depends on the OS, so with one shared Rng a
 * frame on link 1->2 arriving a microsecond earlier would shift every later decision on every
 * other link. With one stream per link, per connection and per direction, the n-th frame of a
 * stream always gets the same decision, whatever happens elsewhere.
 */
export function deriveSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Numbers up to 2^53 (say Date.now() as a seed) are mixed in as two 32-bit halves.
    const lo = toUint32(part);
    const hi = toUint32(Math.floor(Math.abs(part) / 4294967296));
    h = fmix32((h ^ lo) + 0x9e3779b9);
    h = fmix32((h ^ hi) + 0x7f4a7c15);
  }
  return h;
}

/** A fresh 32-bit seed drawn from `rng` (to fork a stream off an injected Rng). */
export function drawSeed(rng: Rng): number {
  return Math.floor(rng() * 4294967296) >>> 0;
}

function toUint32(n: number): number {
  if (!Number.isFinite(n)) throw new RangeError(`seed must be a finite number, got ${n}`);
  return Math.trunc(n) >>> 0;
}
