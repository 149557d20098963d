import { deriveSeed } from "../rng.js";

/** A number from a target's name, to derive its stream from the run seed. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * fast-check's seed for one target: derived from the run seed and the target's name alone,
 * so `--seed S --target T` replays the same inputs T got in the full run, in the same order.
 */
export function targetSeed(runSeed: number, target: string): number {
  return deriveSeed(runSeed, nameHash(target)) | 0;
}
