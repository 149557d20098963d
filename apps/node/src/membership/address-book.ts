import type { Membership, NodeId } from "@raft-ts/core";
import { formatHostPort, parseHostPort, type HostPort, type NodeAddress } from "../config.js";

/** Where a member is reached: its Raft (peer TCP) and HTTP API addresses. */
export interface MemberAddress {
  readonly raft: HostPort;
  readonly http: HostPort;
}

/**
 * A member's address as stored in configuration entries (the core's opaque Member.address):
 * a small JSON object, so a node that joins later learns where everyone is from the log alone.
 */
export function encodeMemberAddress(a: MemberAddress): string {
  return JSON.stringify({ raft: formatHostPort(a.raft), http: formatHostPort(a.http) });
}

/** The inverse of encodeMemberAddress; undefined for anything else (an address is never trusted blindly). */
export function parseMemberAddress(s: string): MemberAddress | undefined {
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch {
    return undefined;
  }
  if (typeof o !== "object" || o === null) return undefined;
  const { raft, http } = o as { raft?: unknown; http?: unknown };
  if (typeof raft !== "string" || typeof http !== "string") return undefined;
  const r = parseHostPort(raft);
  const h = parseHostPort(http);
  return r === undefined || h === undefined ? undefined : { raft: r, http: h };
}

/**
 * Who is where. The cluster's membership (from the log) is the authority; the config file's
 * node list fills in only for ids the membership does not give an address for (a cluster
 * whose first leader has not yet recorded the bootstrap membership).
 */
export class AddressBook {
  private fromMembership = new Map<NodeId, MemberAddress>();
  private membership: Membership = { members: [] };

  constructor(private readonly configured: readonly NodeAddress[]) {}

  update(membership: Membership): void {
    this.membership = membership;
    const next = new Map<NodeId, MemberAddress>();
    for (const m of membership.members) {
      const a = parseMemberAddress(m.address);
      if (a !== undefined) next.set(m.id, a);
    }
    this.fromMembership = next;
  }

  lookup(id: NodeId): MemberAddress | undefined {
    return this.fromMembership.get(id) ?? this.configured.find((n) => n.id === id);
  }

  /** The membership last given to update(). */
  current(): Membership {
    return this.membership;
  }
}
