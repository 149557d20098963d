/** Recording a history as clients run, on one monotonic clock. */
import { defaultClock } from "./clock.js";
import type { ClientId, Clock, KvOperation, KvValue, OpKind, OpStatus } from "./types.js";

/** Names an invoked operation, to complete it later with `ok`, `fail` or `unknown`. */
export interface OperationHandle {
  /** The operation's index in `history()`. */
  readonly index: number;
}

export interface HistoryRecorderOptions {
  /** A monotonic clock in milliseconds (default `performance.now`). Tests pass fake time. */
  readonly clock?: Clock;
}

interface Slot {
  readonly handle: OperationHandle;
  readonly clientId: ClientId;
  readonly op: OpKind;
  readonly key: string;
  readonly value: KvValue | undefined;
  readonly call: number;
  status: OpStatus | "pending";
  return: number;
  output: KvValue | null;
}

/**
 * Records operations as they happen: `invoke` stamps the call time and returns a handle; one
 * of `ok` (answered; pass a get's output), `fail` (definitely not applied) or `unknown` (timed
 * out or connection lost: it may or may not apply) stamps the end. `history()` gives the
 * operations so far in invocation order; those still in flight appear as `unknown`.
 */
export class HistoryRecorder {
  private readonly clock: Clock;
  private readonly slots: Slot[] = [];
  private last = -Infinity;

  constructor(options: HistoryRecorderOptions = {}) {
    this.clock = options.clock ?? defaultClock;
  }

  invoke(clientId: ClientId, op: "put", key: string, value: KvValue): OperationHandle;
  invoke(clientId: ClientId, op: "get" | "delete", key: string): OperationHandle;
  invoke(clientId: ClientId, op: OpKind, key: string, value?: KvValue): OperationHandle;
  invoke(clientId: ClientId, op: OpKind, key: string, value?: KvValue): OperationHandle {
    if (op !== "put" && op !== "get" && op !== "delete") {
      throw new TypeError(`op must be "put", "get" or "delete", got ${JSON.stringify(op)}`);
    }
    if (typeof key !== "string") throw new TypeError("key must be a string");
    if (op === "put" && typeof value !== "string" && typeof value !== "number") {
      throw new TypeError("a put needs a string or number value");
    }
    const handle: OperationHandle = Object.freeze({ index: this.slots.length });
    this.slots.push({
      handle,
      clientId,
      op,
      key,
      value: op === "put" ? value : undefined,
      call: this.tick(),
      status: "pending",
      return: Infinity,
      output: null,
    });
    return handle;
  }

  /** The operation was answered; for a get, `output` is what it read (null/undefined: absent). */
  ok(handle: OperationHandle, output?: KvValue | null): void {
    const slot = this.pending(handle);
    slot.return = this.tick();
    slot.status = "ok";
    if (slot.op === "get") slot.output = output ?? null;
  }

  /** The operation definitely did not take effect (for example rejected before proposing). */
  fail(handle: OperationHandle): void {
    const slot = this.pending(handle);
    slot.return = this.tick();
    slot.status = "fail";
  }

  /** The outcome is unknown (timeout, lost connection): it may take effect, at any later time. */
  unknown(handle: OperationHandle): void {
    const slot = this.pending(handle);
    this.tick();
    slot.status = "unknown";
  }

  /** Operations invoked and not yet completed. */
  get inFlight(): number {
    return this.slots.reduce((n, s) => n + (s.status === "pending" ? 1 : 0), 0);
  }

  /** The history so far, in invocation order (fresh objects; in-flight operations as unknown). */
  history(): KvOperation[] {
    return this.slots.map((s): KvOperation => {
      const status: OpStatus = s.status === "pending" ? "unknown" : s.status;
      const base = { clientId: s.clientId, op: s.op, key: s.key, call: s.call, status };
      switch (s.op) {
        case "put":
          return { ...base, value: s.value, return: s.return };
        case "get":
          return status === "ok" ? { ...base, output: s.output, return: s.return } : { ...base, return: s.return };
        case "delete":
          return { ...base, return: s.return };
      }
    });
  }

  private pending(handle: OperationHandle): Slot {
    const slot = this.slots[handle.index];
    if (slot === undefined || slot.handle !== handle) {
      throw new Error("unknown handle: it was not returned by this recorder's invoke()");
    }
    if (slot.status !== "pending") {
      throw new Error(`operation #${handle.index} was already completed (${slot.status})`);
    }
    return slot;
  }

  private tick(): number {
    const t = this.clock();
    if (typeof t !== "number" || Number.isNaN(t)) throw new Error(`the clock returned ${String(t)}`);
    if (t < this.last) {
      throw new Error(`the clock went backwards (${t} after ${this.last}): the recorder needs a monotonic clock`);
    }
    this.last = t;
    return t;
  }
}
