import { findMember, type Membership, type NodeId } from "@raft-ts/core";
import { formatHostPort, url } from "../config.js";
import type { ConfChangeOutcome, RaftDriver } from "../raft-driver.js";
import { encodeMemberAddress, type MemberAddress } from "./address-book.js";

export type AddMemberOutcome =
  | ConfChangeOutcome
  /** The learner did not catch up within the allowed rounds: it stays a learner; retrying continues. */
  | { readonly type: "catch-up-failed"; readonly reason: string };

export interface CatchUpOptions {
  /** A round that ends within this (the election timeout) means the learner is caught up. */
  readonly roundMs: number;
  /** Rounds before giving up (dissertation 4.2.1 suggests about ten). */
  readonly maxRounds: number;
  /** How often to look at the learner's progress. */
  readonly pollMs: number;
}

/**
 * Add a node to the cluster without ever lowering its availability (dissertation 4.2.1): it
 * joins as a learner, which receives the log but counts toward nothing; once it is caught up
 * it is promoted to voter. Idempotent, so a joining node can retry after any failure: a
 * learner already there carries on with catch-up, a voter already there is done.
 */
export async function addMember(
  driver: RaftDriver,
  id: NodeId,
  address: MemberAddress,
  role: "voter" | "learner",
  opts: CatchUpOptions,
): Promise<AddMemberOutcome> {
  const st = driver.status();
  if (st.role !== "leader") return { type: "not-leader", leaderId: st.leaderId === 0 ? undefined : st.leaderId };
  const encoded = encodeMemberAddress(address);
  const existing = findMember(st.membership, id);
  if (existing !== undefined && existing.address !== encoded) {
    return { type: "rejected", reason: `node ${id} is already a ${existing.role} at another address (${existing.address}): remove it first` };
  }
  if (existing?.role === "voter" || (existing?.role === "learner" && role === "learner")) {
    return { type: "done", index: st.membershipIndex, membership: st.membership };
  }
  if (existing === undefined) {
    const added = await driver.changeMembership({ type: "addLearner", id, address: encoded });
    if (added.type !== "done" || role === "learner") return added;
  }
  const caughtUp = await catchUp(driver, id, opts);
  if (caughtUp !== undefined) return caughtUp;
  return driver.changeMembership({ type: "addVoter", id });
}

/**
 * Replicate to the learner in rounds: each round waits until it holds what the leader had
 * when the round began. A round that takes less than an election timeout means the learner
 * is close enough that promoting it will not stall commits. Undefined when caught up.
 */
async function catchUp(driver: RaftDriver, id: NodeId, opts: CatchUpOptions): Promise<AddMemberOutcome | undefined> {
  for (let round = 1; round <= opts.maxRounds; round++) {
    const start = performance.now();
    const target = driver.status().lastIndex;
    for (;;) {
      const st = driver.status();
      if (st.role !== "leader") return { type: "not-leader", leaderId: st.leaderId === 0 ? undefined : st.leaderId };
      const peer = st.peers.find((p) => p.id === id);
      if (peer === undefined) return { type: "lost" }; // removed meanwhile
      if (peer.match >= target) break;
      await new Promise((r) => setTimeout(r, opts.pollMs));
    }
    if (performance.now() - start <= opts.roundMs) return undefined;
  }
  return { type: "catch-up-failed", reason: `node ${id} was still catching up after ${opts.maxRounds} rounds` };
}

/** Remove a member (voter or learner); a leader removing itself steps down once it commits. */
export function removeMember(driver: RaftDriver, id: NodeId): Promise<ConfChangeOutcome> {
  return driver.changeMembership({ type: "remove", id });
}

/** The membership as the HTTP API shows it. */
export function describeMembers(membership: Membership, lookup: (id: NodeId) => MemberAddress | undefined) {
  return membership.members.map((m) => {
    const a = lookup(m.id);
    return { id: m.id, role: m.role, raft: a === undefined ? null : formatHostPort(a.raft), http: a === undefined ? null : url(a.http) };
  });
}
