export { FaultProxy, DEFAULT_HANDSHAKE_FRAMES, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_QUEUED_BYTES, type FaultProxyOptions } from "./proxy.js";
export { LinkMap, type ChaosNode, type Link, type LinkConditions, type LinkCounters, type LinkMapOptions } from "./link-map.js";
export {
  FaultConfigError,
  NO_FAULTS,
  resolveLinkFaults,
  type BlockMode,
  type DirectionFaults,
  type LinkFaults,
  type ResolvedDirectionFaults,
  type ResolvedLinkFaults,
} from "./faults.js";
export { sumCounters, type DirectionCounters, type ProxyCounters } from "./counters.js";
export { deriveSeed, drawSeed, seededRng, type Rng } from "./rng.js";
export { FrameSplitter, type SplitResult } from "./frame-splitter.js";
export type { Address } from "./connection.js";
export { runChaos, type ChaosOptions, type ChaosResult } from "./chaos/run.js";
export type { ChaosReport } from "./chaos/report.js";
export { drawSchedule, type FaultKind, type ScheduledFault } from "./chaos/schedule.js";
export { runFuzz, TARGET_NAMES, type FuzzOptions, type FuzzResult } from "./fuzz/run.js";
