import type fc from "fast-check";

/**
 * What a target made of one input. "accepted": the decoder (or the node) took it as valid;
 * "rejected": it refused it the documented way, and `kind` says which (the error class, a
 * normalized message, an HTTP status). Anything else is a crash, signalled by throwing.
 */
export type Outcome = { readonly type: "accepted"; readonly kind?: string } | { readonly type: "rejected"; readonly kind: string };

export const accepted = (kind?: string): Outcome => (kind === undefined ? { type: "accepted" } : { type: "accepted", kind });
export const rejected = (kind: string): Outcome => ({ type: "rejected", kind });

/**
 * A failure the target detected itself rather than an exception the decoder threw: a broken
 * invariant (an accepted input that does not re-encode to itself), a decode that took too
 * long, an output far larger than its input. Counted as a crash like any other throw.
 */
export class FuzzFailure extends Error {
  constructor(
    readonly kind: "invariant" | "slow" | "memory" | "hang" | "exit" | "server_error",
    message: string,
  ) {
    super(message);
    this.name = "FuzzFailure";
  }
}

/** A decoder fed from inside this process: synchronous, one input at a time. */
export interface InProcessTarget<T> {
  readonly name: string;
  readonly description: string;
  /** Mostly malformed inputs derived from valid ones, plus some purely random ones. */
  readonly arbitrary: fc.Arbitrary<T>;
  /** Classifies one input; throws on anything that is neither acceptance nor the typed rejection. */
  run(input: T): Outcome;
  /** The input as bytes, for the crash report (hex, truncated). */
  show(input: T): Uint8Array | string;
  /** Called once before the first input, with a directory of its own for scratch files. */
  setup?(scratchDir: string): void;
}

/** One crash: enough to see what happened and to replay it. */
export interface CrashReport {
  readonly target: string;
  readonly kind: string;
  readonly message: string;
  /** The (shrunk, when the target allows it) input, rendered for the terminal. */
  readonly input: string;
  /** fast-check's seed and path of the counterexample: `--seed S --target T --path P` replays it. */
  readonly fcSeed: number;
  readonly path: string | undefined;
}

export interface TargetStats {
  readonly target: string;
  tried: number;
  accepted: number;
  rejected: number;
  readonly rejectedBy: Map<string, number>;
  readonly acceptedBy: Map<string, number>;
  crashes: number;
  readonly crashReports: CrashReport[];
  elapsedMs: number;
  /** Extra lines for the report (the node's RSS, metric deltas). */
  readonly notes: string[];
}

export function newStats(target: string): TargetStats {
  return { target, tried: 0, accepted: 0, rejected: 0, rejectedBy: new Map(), acceptedBy: new Map(), crashes: 0, crashReports: [], elapsedMs: 0, notes: [] };
}

export function record(stats: TargetStats, outcome: Outcome): void {
  stats.tried++;
  if (outcome.type === "accepted") {
    stats.accepted++;
    if (outcome.kind !== undefined) stats.acceptedBy.set(outcome.kind, (stats.acceptedBy.get(outcome.kind) ?? 0) + 1);
  } else {
    stats.rejected++;
    stats.rejectedBy.set(outcome.kind, (stats.rejectedBy.get(outcome.kind) ?? 0) + 1);
  }
}

/** Stats as plain data, to cross a worker boundary (Maps become entry lists). */
export interface StatsData {
  readonly target: string;
  readonly tried: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectedBy: [string, number][];
  readonly acceptedBy: [string, number][];
  readonly crashes: number;
  readonly crashReports: CrashReport[];
  readonly elapsedMs: number;
  readonly notes: string[];
}

export function toData(s: TargetStats): StatsData {
  return { ...s, rejectedBy: [...s.rejectedBy], acceptedBy: [...s.acceptedBy], crashReports: [...s.crashReports], notes: [...s.notes] };
}

export function fromData(d: StatsData): TargetStats {
  return { ...d, rejectedBy: new Map(d.rejectedBy), acceptedBy: new Map(d.acceptedBy), crashReports: [...d.crashReports], notes: [...d.notes] };
}
