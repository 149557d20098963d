import { decodeCommand, type KvCommand } from "./commands.js";
import { decodeKvSnapshot, encodeKvSnapshot } from "./snapshot-codec.js";

/** What applying a command produced; a retry of the same request gets the same result. */
export type KvResult =
  | { readonly op: "put"; readonly index: number }
  | { readonly op: "delete"; readonly index: number; readonly existed: boolean }
  /** The entry was not a valid command, or a request older than the client's latest. */
  | { readonly op: "rejected"; readonly index: number; readonly reason: string };

interface Session {
  seq: number;
  result: KvResult;
}

/**
 * The replicated key-value map. Deterministic: every node applies the same entries in the same
 * order and reaches the same state, sessions included (their eviction follows apply order).
 *
 * Exactly-once: for each client the latest request sequence and its result are kept. A command
 * whose (clientId, seq) was applied already returns the stored result without applying again.
 */
export class KvStateMachine {
  private readonly data = new Map<string, Uint8Array>();
  /** Sessions in least-recently-applied order (Map keeps insertion order). */
  private readonly sessions = new Map<string, Session>();
  private appliedIndex = 0;

  constructor(private readonly maxSessions = 10_000) {}

  get applied(): number {
    return this.appliedIndex;
  }

  get size(): number {
    return this.data.size;
  }

  get(key: string): Uint8Array | undefined {
    return this.data.get(key);
  }

  /** Apply the command in a committed entry at `index`. */
  apply(index: number, entryData: Uint8Array): KvResult {
    if (index !== this.appliedIndex + 1) {
      throw new Error(`apply out of order: index ${index} after ${this.appliedIndex}`);
    }
    this.appliedIndex = index;
    const decoded = decodeCommand(entryData);
    if (!decoded.ok) return { op: "rejected", index, reason: `not a command: ${decoded.error}` };
    return this.applyCommand(index, decoded.command);
  }

  /** The whole state as of the applied index, for a Raft snapshot (see snapshot-codec.ts). */
  snapshot(): Uint8Array {
    return encodeKvSnapshot({ applied: this.appliedIndex, data: this.data, sessions: this.sessions });
  }

  /**
   * Replace the whole state with a snapshot's. Throws SnapshotFormatError on a damaged or
   * foreign snapshot, leaving the current state as it was; also when `index` (where Raft says
   * the snapshot ends) is not the snapshot's own.
   */
  restore(bytes: Uint8Array, index: number): void {
    const s = decodeKvSnapshot(bytes);
    if (s.applied !== index) throw new Error(`the snapshot at log index ${index} holds the state at ${s.applied}`);
    this.data.clear();
    for (const [k, v] of s.data) this.data.set(k, v);
    this.sessions.clear();
    for (const [id, session] of s.sessions) this.sessions.set(id, { seq: session.seq, result: session.result });
    this.appliedIndex = s.applied;
  }

  /** A no-op entry (a new leader's) still advances the applied index. */
  skip(index: number): void {
    if (index !== this.appliedIndex + 1) throw new Error(`apply out of order: index ${index} after ${this.appliedIndex}`);
    this.appliedIndex = index;
  }

  private applyCommand(index: number, cmd: KvCommand): KvResult {
    const session = this.sessions.get(cmd.clientId);
    if (session !== undefined && cmd.seq <= session.seq) {
      if (cmd.seq === session.seq) return session.result;
      return { op: "rejected", index, reason: `request ${cmd.seq} is older than this client's latest (${session.seq})` };
    }
    let result: KvResult;
    switch (cmd.op) {
      case "put":
        this.data.set(cmd.key, cmd.value);
        result = { op: "put", index };
        break;
      case "delete":
        result = { op: "delete", index, existed: this.data.delete(cmd.key) };
        break;
    }
    this.sessions.delete(cmd.clientId);
    this.sessions.set(cmd.clientId, { seq: cmd.seq, result });
    if (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    return result;
  }
}
