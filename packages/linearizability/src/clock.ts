import { performance } from "node:perf_hooks";
import type { Clock } from "./types.js";

/** The default monotonic clock: `performance.now()`, in milliseconds. */
export const defaultClock: Clock = () => performance.now();
