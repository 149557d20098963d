// Series colours: the Okabe-Ito palette, told apart with the common colour-vision deficiencies.
import type { WriteTarget } from "../results.js";

const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"] as const;

/** The i-th colour of the palette, starting over after the last. */
export function paletteColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length] ?? PALETTE[0];
}

/** One colour per system under test, the same in every chart. */
export const TARGET_COLORS: Readonly<Record<WriteTarget, string>> = { "raft-ts": PALETTE[0], etcd: PALETTE[1] };

/** The raw node:net baseline. */
export const BASELINE_COLOR = "#8a8a8a";
