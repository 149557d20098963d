/** What one proxy did, for the chaos run's report. Plain numbers, so a snapshot is a copy. */

export interface DirectionCounters {
  /** Frames written to the destination, each counted once (duplicate copies are not). */
  framesForwarded: number;
  /** Bytes written to the destination, duplicate copies included. */
  bytesForwarded: number;
  /** Frames lost to the `drop` probability. */
  framesDropped: number;
  /** Frames lost to a blackhole (a blocked link in "blackhole" mode, or a one-way cut). */
  framesBlackholed: number;
  /** Frames written twice (the extra copies). */
  framesDuplicated: number;
  /** Frames held for a delay above zero before being written. */
  framesDelayed: number;
  /** Times reading from the source was paused for backpressure (a full queue, or a destination that needs 'drain'). */
  pauses: number;
  /** The most bytes one connection ever held for this direction (delay queue). */
  maxQueuedBytes: number;
}

export interface ProxyCounters {
  /** Client -> target (what the dialing node says). */
  readonly forward: DirectionCounters;
  /** Target -> client (the answers on the dialer's own connection: the handshake's). */
  readonly backward: DirectionCounters;
  /** Connections accepted from the dialer, refused ones included. */
  connectionsAccepted: number;
  /** Connections accepted while the link was blocked in "reset" mode and destroyed at once. */
  connectionsRefused: number;
  /** Live connections severed by the proxy: reset(), or the link becoming blocked in "reset" mode. */
  connectionsReset: number;
  /** Connections closed because the target could not be reached. */
  targetFailures: number;
  /** Connections closed because a frame announced a length over maxFrameBytes. */
  frameErrors: number;
}

export function newDirectionCounters(): DirectionCounters {
  return { framesForwarded: 0, bytesForwarded: 0, framesDropped: 0, framesBlackholed: 0, framesDuplicated: 0, framesDelayed: 0, pauses: 0, maxQueuedBytes: 0 };
}

export function newProxyCounters(): ProxyCounters {
  return { forward: newDirectionCounters(), backward: newDirectionCounters(), connectionsAccepted: 0, connectionsRefused: 0, connectionsReset: 0, targetFailures: 0, frameErrors: 0 };
}

export function copyCounters(c: ProxyCounters): ProxyCounters {
  return { ...c, forward: { ...c.forward }, backward: { ...c.backward } };
}

/** Sums of several proxies' counters (maxQueuedBytes: the largest). */
export function sumCounters(all: readonly ProxyCounters[]): ProxyCounters {
  const total = newProxyCounters();
  for (const c of all) {
    for (const dir of ["forward", "backward"] as const) {
      const t = total[dir];
      const s = c[dir];
      t.framesForwarded += s.framesForwarded;
      t.bytesForwarded += s.bytesForwarded;
      t.framesDropped += s.framesDropped;
      t.framesBlackholed += s.framesBlackholed;
      t.framesDuplicated += s.framesDuplicated;
      t.framesDelayed += s.framesDelayed;
      t.pauses += s.pauses;
      t.maxQueuedBytes = Math.max(t.maxQueuedBytes, s.maxQueuedBytes);
    }
    total.connectionsAccepted += c.connectionsAccepted;
    total.connectionsRefused += c.connectionsRefused;
    total.connectionsReset += c.connectionsReset;
    total.targetFailures += c.targetFailures;
    total.frameErrors += c.frameErrors;
  }
  return total;
}
