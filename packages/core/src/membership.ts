import { err, ok, type Result } from "./results.js";
import type { NodeId } from "./types.js";
import { utf8Decode, utf8Encode } from "./utf8.js";

/**
 * Cluster membership: who votes, who only follows, and where each is reached.
 *
 * Changes are single-server (dissertation 4.1): each configuration entry differs from the one
 * before it by one voter at most, so any majority of the old voters and any majority of the
 * new ones share a node, and no moment exists where two disjoint majorities could each elect a
 * leader. A configuration takes effect on a node as soon as it is in its log, committed or not
 * (dissertation 4.1): RaftLog tracks it per index, and a truncated log reverts to the one
 * before. Learners receive the log but neither vote nor count toward any quorum, so a new node
 * can catch up before it becomes a voter without the cluster's availability depending on it.
 */
export type MemberRole = "voter" | "learner";

export interface Member {
  readonly id: NodeId;
  readonly role: MemberRole;
  /**
   * Where the node is reached. Opaque to the core: the application stores what it needs here
   * (apps/node: its Raft and HTTP addresses) so nodes that join later learn it from the log.
   */
  readonly address: string;
}

/** A configuration: the members in ascending id order, at most one entry per id. */
export interface Membership {
  readonly members: readonly Member[];
}

/** One single-server change, proposed by the leader with proposeConfChange(). */
export type ConfChange =
  /** A new non-voting member: it receives the log and catches up. */
  | { readonly type: "addLearner"; readonly id: NodeId; readonly address: string }
  /** Promote a learner (keeping its address unless one is given), or add a new voter directly. */
  | { readonly type: "addVoter"; readonly id: NodeId; readonly address?: string }
  /** Remove a voter or learner; a removed leader steps down once the change commits. */
  | { readonly type: "remove"; readonly id: NodeId };

export const EMPTY_MEMBERSHIP: Membership = { members: [] };

export function voterIds(m: Membership): NodeId[] {
  return m.members.filter((x) => x.role === "voter").map((x) => x.id);
}

export function isVoter(m: Membership, id: NodeId): boolean {
  return m.members.some((x) => x.id === id && x.role === "voter");
}

export function findMember(m: Membership, id: NodeId): Member | undefined {
  return m.members.find((x) => x.id === id);
}

/** The bootstrap membership of a new cluster: these voters, with the addresses given. */
export function bootstrapMembership(voters: readonly NodeId[], addresses: Readonly<Record<number, string>> = {}): Membership {
  return normalize(voters.map((id) => ({ id, role: "voter", address: addresses[id] ?? "" })));
}

function normalize(members: Member[]): Membership {
  return { members: [...members].sort((a, b) => a.id - b.id) };
}

/** The membership after `change`, or why the change cannot apply to `m`. */
export function applyConfChange(m: Membership, change: ConfChange): Result<Membership, string> {
  if (!Number.isSafeInteger(change.id) || change.id <= 0) return err(`node id must be a positive integer, got ${change.id}`);
  const current = findMember(m, change.id);
  const others = m.members.filter((x) => x.id !== change.id);
  switch (change.type) {
    case "addLearner":
      if (current !== undefined) return err(`node ${change.id} is already a ${current.role}`);
      return ok(normalize([...others, { id: change.id, role: "learner", address: change.address }]));
    case "addVoter": {
      if (current?.role === "voter") return err(`node ${change.id} is already a voter`);
      const address = change.address ?? current?.address;
      if (address === undefined) return err(`node ${change.id} is not a member: give its address to add it`);
      return ok(normalize([...others, { id: change.id, role: "voter", address }]));
    }
    case "remove":
      if (current === undefined) return err(`node ${change.id} is not a member`);
      if (current.role === "voter" && voterIds(m).length === 1) return err(`node ${change.id} is the last voter`);
      return ok({ members: others });
  }
}

/** The configuration entry's payload: a versioned JSON document of the whole membership. */
export function encodeMembership(m: Membership): Uint8Array {
  return utf8Encode(JSON.stringify({ v: 1, members: m.members }));
}

/** Decode a configuration entry's payload. Throws on anything encodeMembership did not make. */
export function decodeMembership(bytes: Uint8Array): Membership {
  let doc: unknown;
  try {
    doc = JSON.parse(utf8Decode(bytes));
  } catch (e) {
    throw new Error(`configuration entry is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const o = doc as { v?: unknown; members?: unknown };
  if (typeof o !== "object" || o === null || o.v !== 1 || !Array.isArray(o.members)) {
    throw new Error("configuration entry is not a version 1 membership");
  }
  const seen = new Set<number>();
  const members: Member[] = o.members.map((x: unknown, i: number) => {
    const mm = x as { id?: unknown; role?: unknown; address?: unknown };
    if (typeof mm !== "object" || mm === null || typeof mm.id !== "number" || !Number.isSafeInteger(mm.id) || mm.id <= 0) {
      throw new Error(`configuration entry member ${i} has no valid id`);
    }
    if (mm.role !== "voter" && mm.role !== "learner") {
      // Not String(mm.role): an array nested thousands deep would overflow the stack while
      // the error message is being built, and escape as a RangeError instead of this Error.
      const role = typeof mm.role === "object" && mm.role !== null ? (Array.isArray(mm.role) ? "an array" : "an object") : String(mm.role);
      throw new Error(`configuration entry member ${mm.id} has role ${role}`);
    }
    if (typeof mm.address !== "string") throw new Error(`configuration entry member ${mm.id} has no address`);
    if (seen.has(mm.id)) throw new Error(`configuration entry names node ${mm.id} twice`);
    seen.add(mm.id);
    return { id: mm.id, role: mm.role, address: mm.address };
  });
  return normalize(members);
}

/** "voters [1 2 3] learners [4]": for logs. */
export function describeMembership(m: Membership): string {
  const learners = m.members.filter((x) => x.role === "learner").map((x) => x.id);
  return `voters [${voterIds(m).join(" ")}]` + (learners.length > 0 ? ` learners [${learners.join(" ")}]` : "");
}
