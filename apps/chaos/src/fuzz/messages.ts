import type { Entry, Member, Membership, Message, MessageType, SnapshotMeta } from "@raft-ts/core";
import { encodeMembership } from "@raft-ts/core";
import fc from "fast-check";
import { trickyStringArb } from "./strings.js";

/**
 * Valid messages of every type, the seeds the codec and frame fuzzers damage. Numbers favour
 * the encoding's boundaries: one-byte varints, 2^32 and 2^53 - 1 (the largest the codec takes).
 */

export const uintArb: fc.Arbitrary<number> = fc.oneof(
  fc.nat({ max: 200 }),
  fc.maxSafeNat(),
  fc.constantFrom(0, 127, 128, 16_383, 16_384, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
);

export const nodeIdArb: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));

/** No lone surrogates: the codec refuses to encode them (they have no UTF-8). */
const wellFormed = (s: string): boolean => Buffer.from(s, "utf8").toString("utf8") === s;

export const memberArb: fc.Arbitrary<Member> = fc.record({
  id: nodeIdArb,
  role: fc.constantFrom("voter" as const, "learner" as const),
  address: trickyStringArb(40).filter(wellFormed),
});

/** A membership as the core keeps one: distinct ids, ascending. */
export const membershipArb: fc.Arbitrary<Membership> = fc
  .uniqueArray(memberArb, { selector: (m) => m.id, maxLength: 6 })
  .map((members) => ({ members: [...members].sort((a, b) => a.id - b.id) }));

const dataArb = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 100, maxLength: 400 }));

const entryArb: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({ index: uintArb, term: uintArb, type: fc.constantFrom("normal" as const, "noop" as const), data: dataArb }),
  fc.record({ index: uintArb, term: uintArb, type: fc.constant("config" as const), data: membershipArb.map(encodeMembership) }),
);

const metaArb: fc.Arbitrary<SnapshotMeta> = fc.oneof(
  fc.record({ index: uintArb, term: uintArb }),
  fc.record({ index: uintArb, term: uintArb, membership: membershipArb }),
);

const envelope = { from: nodeIdArb, to: nodeIdArb, term: uintArb };

const byType: { readonly [T in MessageType]: fc.Arbitrary<Extract<Message, { type: T }>> } = {
  VoteRequest: fc.oneof(
    fc.record({ type: fc.constant("VoteRequest" as const), ...envelope, preVote: fc.boolean(), lastLogIndex: uintArb, lastLogTerm: uintArb }),
    fc.record({ type: fc.constant("VoteRequest" as const), ...envelope, preVote: fc.boolean(), lastLogIndex: uintArb, lastLogTerm: uintArb, transfer: fc.constant(true as const) }),
  ),
  VoteResponse: fc.record({ type: fc.constant("VoteResponse" as const), ...envelope, preVote: fc.boolean(), granted: fc.boolean() }),
  AppendEntries: fc.record({
    type: fc.constant("AppendEntries" as const),
    ...envelope,
    prevLogIndex: uintArb,
    prevLogTerm: uintArb,
    leaderCommit: uintArb,
    entries: fc.array(entryArb, { maxLength: 5 }),
  }),
  AppendEntriesResponse: fc.record({
    type: fc.constant("AppendEntriesResponse" as const),
    ...envelope,
    success: fc.boolean(),
    matchIndex: uintArb,
    rejectedIndex: uintArb,
    conflictTerm: uintArb,
    conflictIndex: uintArb,
  }),
  Heartbeat: fc.record({ type: fc.constant("Heartbeat" as const), ...envelope, commit: uintArb, readSeq: uintArb }),
  HeartbeatResponse: fc.record({ type: fc.constant("HeartbeatResponse" as const), ...envelope, readSeq: uintArb, commit: uintArb }),
  TimeoutNow: fc.record({ type: fc.constant("TimeoutNow" as const), ...envelope }),
  InstallSnapshot: fc.record({ type: fc.constant("InstallSnapshot" as const), ...envelope, meta: metaArb, offset: uintArb, data: dataArb, done: fc.boolean() }),
  InstallSnapshotResponse: fc.record({ type: fc.constant("InstallSnapshotResponse" as const), ...envelope, index: uintArb, offset: uintArb, done: fc.boolean() }),
};

export const MESSAGE_TYPES = Object.keys(byType) as MessageType[];

/** Every message type, equally often. */
export const messageArb: fc.Arbitrary<Message> = fc.oneof(...MESSAGE_TYPES.map((t) => byType[t] as fc.Arbitrary<Message>));
