/**
 * The fault vocabulary of one proxied link, and its validation.
 *
 * A proxy stands on one directed peer link i -> j: node i dials the proxy, the proxy dials
 * node j. "forward" is what i writes (its handshake HELLO and AUTH, then all of its Raft
 * messages to j, requests and answers alike); "backward" is what j writes back on that same
 * connection (only WELCOME, or REJECT, in raft-ts: j's own messages to i travel on j's
 * outbound connection, through the proxy j -> i).
 */

/** Faults applied to the frames of one direction. Every field is optional; omitted means none. */
export interface DirectionFaults {
  /**
   * Each frame is held a uniform random time in [minDelayMs, maxDelayMs] before it is
   * written, but frames never overtake one another (see DirectionPipe). maxDelayMs defaults
   * to minDelayMs (a fixed delay).
   */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Probability in [0, 1] that a frame after the handshake frames is silently dropped. */
  readonly drop?: number;
  /** Probability in [0, 1] that a frame after the handshake frames is written twice. */
  readonly duplicate?: number;
  /**
   * Drop every frame of this direction, handshake frames included, while keeping the
   * connections open: a one-way partition as the sender sees it (its writes succeed, nothing
   * arrives, nothing tells it so).
   */
  readonly blackhole?: boolean;
}

/**
 * How a blocked (partitioned) link behaves:
 * - "reset": every current connection is destroyed (with a TCP RST to both ends) and every new
 *   one is accepted and destroyed at once, so the dialer sees failures and backs off, as with
 *   a host that refuses connections;
 * - "blackhole": connections stay open and are accepted, but every frame in both directions
 *   vanishes, as with a network that silently loses packets (new connections then fail by
 *   handshake timeout, established ones by the peers' own timeouts, if any).
 */
export type BlockMode = "reset" | "blackhole";

export interface LinkFaults {
  readonly forward?: DirectionFaults;
  readonly backward?: DirectionFaults;
  /** Partition this link (both directions). Omitted or false: not blocked. */
  readonly blocked?: BlockMode | false;
}

export interface ResolvedDirectionFaults {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly drop: number;
  readonly duplicate: number;
  /** True when this direction drops everything: its own blackhole, or the link blocked as "blackhole". */
  readonly blackhole: boolean;
}

export interface ResolvedLinkFaults {
  readonly forward: ResolvedDirectionFaults;
  readonly backward: ResolvedDirectionFaults;
  readonly blocked: BlockMode | false;
}

/** Thrown for a fault setting out of range; names the field. */
export class FaultConfigError extends Error {
  override readonly name = "FaultConfigError";
}

function probability(field: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new FaultConfigError(`${field} must be a probability in [0, 1], got ${value}`);
  return value;
}

/**
 * Delays are capped at a minute: beyond that a test is almost certainly passing seconds for
 * milliseconds, and a frame held that long would outlive any sensible test anyway.
 */
const MAX_DELAY_MS = 60_000;

function delay(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > MAX_DELAY_MS) throw new FaultConfigError(`${field} must be in [0, ${MAX_DELAY_MS}] ms, got ${value}`);
  return value;
}

export function resolveDirectionFaults(name: string, f: DirectionFaults, blockedBlackhole: boolean): ResolvedDirectionFaults {
  const minDelayMs = delay(`${name}.minDelayMs`, f.minDelayMs ?? 0);
  const maxDelayMs = delay(`${name}.maxDelayMs`, f.maxDelayMs ?? minDelayMs);
  if (maxDelayMs < minDelayMs) throw new FaultConfigError(`${name}.maxDelayMs (${maxDelayMs}) is below ${name}.minDelayMs (${minDelayMs})`);
  return {
    minDelayMs,
    maxDelayMs,
    drop: probability(`${name}.drop`, f.drop),
    duplicate: probability(`${name}.duplicate`, f.duplicate),
    blackhole: blockedBlackhole || f.blackhole === true,
  };
}

/** Validates `f` (throwing FaultConfigError) and fills in the defaults. */
export function resolveLinkFaults(f: LinkFaults): ResolvedLinkFaults {
  const blocked = f.blocked ?? false;
  if (blocked !== false && blocked !== "reset" && blocked !== "blackhole") throw new FaultConfigError(`blocked must be false, "reset" or "blackhole", got ${String(blocked)}`);
  const blackholed = blocked === "blackhole";
  return {
    forward: resolveDirectionFaults("forward", f.forward ?? {}, blackholed),
    backward: resolveDirectionFaults("backward", f.backward ?? {}, blackholed),
    blocked,
  };
}

/** A link with no faults. (Defined last: resolving uses the constants above.) */
export const NO_FAULTS: ResolvedLinkFaults = resolveLinkFaults({});
