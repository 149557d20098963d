import type { Pool } from "undici";
import type { WriteTarget } from "../results.js";

/** A running 3-member cluster the write load can be pointed at. */
export interface RunningTarget {
  readonly target: WriteTarget;
  /** The server's version string. */
  readonly version: string;
  /** The leader's client URL (origin): writes go straight to it, for every target alike. */
  leaderOrigin(): Promise<string>;
  /** One write of `key` = `value` through `pool`; true when acknowledged as committed. */
  put(pool: Pool, key: string, value: Uint8Array): Promise<boolean>;
  /** The value stored at `key`, read from the leader (for checks, not timed). */
  read(key: string): Promise<Uint8Array | undefined>;
  /**
   * A counter the leader advances at least once per committed write (raft-ts: its commit index;
   * etcd: its revision), to check that the load counts no write the server did not commit.
   */
  committedCount(): Promise<number>;
  /** Every member's client URL (origin), leader or not. */
  nodeOrigins(): string[];
  /** Stop every process and remove every file it made. */
  stop(): Promise<void>;
}

/** Timing both targets run with: the same heartbeat and election timeout. */
export interface ClusterTiming {
  readonly heartbeatMs: number;
  /** Followers campaign after a random timeout in [electionMs, 2 * electionMs). */
  readonly electionMs: number;
}
