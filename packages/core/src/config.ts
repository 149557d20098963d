import type { Logger } from "./logger.js";
import type { RaftObserver } from "./observer.js";
import type { Rng } from "./rng.js";
import type { NodeId } from "./types.js";

export interface RaftConfig {
  /** This node's id (a positive integer). */
  readonly id: NodeId;
  /**
   * The bootstrap membership: every voter of a new cluster, this node included. It is used
   * only while the log and snapshot hold no configuration of their own (membership changes
   * replace it), so every node of a new cluster must be given the same list. Empty for a node
   * joining an existing cluster: it waits, without campaigning, for a leader to add it.
   */
  readonly voters: readonly NodeId[];
  /**
   * Where each bootstrap voter is reached, opaque to the core (see Member.address). Carried
   * into configuration entries so that nodes added later learn them. Default "".
   */
  readonly addresses?: Readonly<Record<number, string>>;
  /**
   * T: a follower that hears no leader for a randomized timeout in [T, 2T) ticks campaigns.
   * A leader with check-quorum steps down after T ticks without hearing from a majority.
   */
  readonly electionTicks: number;
  /** H: a leader sends heartbeats every H ticks. Must be below T. */
  readonly heartbeatTicks: number;
  /** Rehearse elections with a pre-vote round (dissertation 9.6). Default true. */
  readonly preVote?: boolean;
  /** Leaders step down when a majority has gone quiet for an election timeout. Default true. */
  readonly checkQuorum?: boolean;
  /** Most entries in one AppendEntries message. Default 256. */
  readonly maxEntriesPerMessage?: number;
  /** Most bytes of entries in one AppendEntries message (see entrySize). Default 1 MiB. */
  readonly maxBytesPerMessage?: number;
  /** Most AppendEntries messages in flight to one follower while replicating. Default 64. */
  readonly maxInflightMessages?: number;
  /** Most bytes of committed entries handed out in one Ready. Default 4 MiB. */
  readonly maxApplyBytesPerReady?: number;
  /** Index the state machine has already applied (0 when it starts empty). */
  readonly applied?: number;
  /** Where randomized election timeouts come from. */
  readonly rng: Rng;
  readonly logger?: Logger;
  /** Protocol events for metrics (see RaftObserver). */
  readonly observer?: RaftObserver;
  /**
   * Deliberate protocol bugs, so tests can show the simulator catches them. Never set this
   * outside tests.
   */
  readonly testingBugs?: TestingBugs;
}

export interface TestingBugs {
  /** Grant a vote to any candidate with an up-to-date log, even after voting in this term. */
  readonly voteTwicePerTerm?: boolean;
  /** Commit any entry replicated on a majority, even one from an earlier term (figure 8). */
  readonly commitOldTermByCount?: boolean;
  /**
   * Accept a membership change while another is uncommitted, or before this leader has
   * committed an entry of its term, so consecutive configurations can differ by two voters.
   */
  readonly concurrentConfChanges?: boolean;
}

/** A config with every default filled in, as the core uses it. */
export interface ResolvedConfig extends Required<Omit<RaftConfig, "logger" | "observer" | "testingBugs" | "addresses">> {
  readonly addresses: Readonly<Record<number, string>>;
  readonly logger: Logger | undefined;
  readonly observer: RaftObserver;
  readonly testingBugs: TestingBugs;
}

/** A config that cannot work, naming the field and the problem. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`invalid raft config: ${field}: ${problem}`);
    this.name = "ConfigError";
  }
}

function positiveInteger(field: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(field, `must be a positive integer, got ${value}`);
  }
}

export function resolveConfig(config: RaftConfig): ResolvedConfig {
  positiveInteger("id", config.id);
  for (const v of config.voters) positiveInteger("voters", v);
  if (new Set(config.voters).size !== config.voters.length) {
    throw new ConfigError("voters", `contains a duplicate id: [${config.voters.join(", ")}]`);
  }
  if (config.voters.length > 0 && !config.voters.includes(config.id)) {
    throw new ConfigError("voters", `does not include this node's id ${config.id} (leave it empty for a node that joins)`);
  }
  positiveInteger("electionTicks", config.electionTicks);
  positiveInteger("heartbeatTicks", config.heartbeatTicks);
  if (config.heartbeatTicks >= config.electionTicks) {
    throw new ConfigError(
      "heartbeatTicks",
      `must be less than electionTicks (heartbeatTicks=${config.heartbeatTicks}, ` +
        `electionTicks=${config.electionTicks}), or followers time out between heartbeats`,
    );
  }
  const resolved: ResolvedConfig = {
    id: config.id,
    voters: [...config.voters],
    addresses: { ...config.addresses },
    electionTicks: config.electionTicks,
    heartbeatTicks: config.heartbeatTicks,
    preVote: config.preVote ?? true,
    checkQuorum: config.checkQuorum ?? true,
    maxEntriesPerMessage: config.maxEntriesPerMessage ?? 256,
    maxBytesPerMessage: config.maxBytesPerMessage ?? 1024 * 1024,
    maxInflightMessages: config.maxInflightMessages ?? 64,
    maxApplyBytesPerReady: config.maxApplyBytesPerReady ?? 4 * 1024 * 1024,
    applied: config.applied ?? 0,
    rng: config.rng,
    logger: config.logger,
    observer: config.observer ?? {},
    testingBugs: config.testingBugs ?? {},
  };
  positiveInteger("maxEntriesPerMessage", resolved.maxEntriesPerMessage);
  positiveInteger("maxBytesPerMessage", resolved.maxBytesPerMessage);
  positiveInteger("maxInflightMessages", resolved.maxInflightMessages);
  positiveInteger("maxApplyBytesPerReady", resolved.maxApplyBytesPerReady);
  if (!Number.isInteger(resolved.applied) || resolved.applied < 0) {
    throw new ConfigError("applied", `must be a non-negative integer, got ${resolved.applied}`);
  }
  return resolved;
}
