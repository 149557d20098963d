import fc from "fast-check";
import type {
  AppendEntries,
  AppendEntriesResponse,
  Entry,
  Heartbeat,
  HeartbeatResponse,
  InstallSnapshot,
  InstallSnapshotResponse,
  Member,
  Membership,
  Message,
  MessageType,
  NodeId,
  SnapshotMeta,
  TimeoutNow,
  VoteRequest,
  VoteResponse,
} from "@raft-ts/core";
import { encodeMembership } from "@raft-ts/core";

/** Indexes and terms: mostly small, sometimes past 2^32, sometimes at the 2^53 - 1 limit. */
export const uintArb: fc.Arbitrary<number> = fc.oneof(
  fc.nat({ max: 300 }),
  fc.maxSafeNat(),
  fc.constantFrom(0, 127, 128, 16383, 16384, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER),
);

export const nodeIdArb: fc.Arbitrary<NodeId> = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));

export const entryArb: fc.Arbitrary<Entry> = fc.record({
  index: uintArb,
  term: uintArb,
  type: fc.constantFrom("normal" as const, "noop" as const, "config" as const),
  data: fc.uint8Array({ maxLength: 48 }),
});

/** Addresses: usually host:port, sometimes any code point (a BOM, astral planes), or empty. */
const addressArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.nat({ max: 255 }), fc.integer({ min: 1, max: 65535 })).map(([h, port]) => `10.0.0.${h}:${port}`),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("", "\uFEFFbom", "node-\u{1F600}:7000"),
);

const memberArb: fc.Arbitrary<Member> = fc.record({
  id: nodeIdArb,
  role: fc.constantFrom("voter" as const, "learner" as const),
  address: addressArb,
});

/** A membership as the core keeps one: distinct ids in ascending order (possibly none). */
export const membershipArb: fc.Arbitrary<Membership> = fc
  .uniqueArray(memberArb, { selector: (x) => x.id, maxLength: 6 })
  .map((members) => ({ members: members.sort((a, b) => a.id - b.id) }));

/** Snapshot metas with a membership and without one (the key absent, not undefined). */
export const snapshotMetaArb: fc.Arbitrary<SnapshotMeta> = fc.record(
  { index: uintArb, term: uintArb, membership: membershipArb },
  { requiredKeys: ["index", "term"] },
);

const envelope = { from: nodeIdArb, to: nodeIdArb, term: uintArb };

export const messageArbs: { readonly [T in MessageType]: fc.Arbitrary<Extract<Message, { type: T }>> } = {
  VoteRequest: fc.record<VoteRequest>(
    {
      type: fc.constant("VoteRequest"),
      ...envelope,
      preVote: fc.boolean(),
      lastLogIndex: uintArb,
      lastLogTerm: uintArb,
      transfer: fc.constant(true as const),
    },
    { requiredKeys: ["type", "from", "to", "term", "preVote", "lastLogIndex", "lastLogTerm"] },
  ),
  VoteResponse: fc.record<VoteResponse>({
    type: fc.constant("VoteResponse"),
    ...envelope,
    preVote: fc.boolean(),
    granted: fc.boolean(),
  }),
  AppendEntries: fc.record<AppendEntries>({
    type: fc.constant("AppendEntries"),
    ...envelope,
    prevLogIndex: uintArb,
    prevLogTerm: uintArb,
    entries: fc.array(entryArb, { maxLength: 6 }),
    leaderCommit: uintArb,
  }),
  AppendEntriesResponse: fc.record<AppendEntriesResponse>({
    type: fc.constant("AppendEntriesResponse"),
    ...envelope,
    success: fc.boolean(),
    matchIndex: uintArb,
    rejectedIndex: uintArb,
    conflictTerm: uintArb,
    conflictIndex: uintArb,
  }),
  Heartbeat: fc.record<Heartbeat>({
    type: fc.constant("Heartbeat"),
    ...envelope,
    commit: uintArb,
    readSeq: uintArb,
  }),
  HeartbeatResponse: fc.record<HeartbeatResponse>({
    type: fc.constant("HeartbeatResponse"),
    ...envelope,
    readSeq: uintArb,
    commit: uintArb,
  }),
  TimeoutNow: fc.record<TimeoutNow>({
    type: fc.constant("TimeoutNow"),
    ...envelope,
  }),
  InstallSnapshot: fc.record<InstallSnapshot>({
    type: fc.constant("InstallSnapshot"),
    ...envelope,
    meta: snapshotMetaArb,
    offset: uintArb,
    data: fc.uint8Array({ maxLength: 64 }),
    done: fc.boolean(),
  }),
  InstallSnapshotResponse: fc.record<InstallSnapshotResponse>({
    type: fc.constant("InstallSnapshotResponse"),
    ...envelope,
    index: uintArb,
    offset: uintArb,
    done: fc.boolean(),
  }),
};

export const MESSAGE_TYPES = Object.keys(messageArbs) as MessageType[];

export const messageArb: fc.Arbitrary<Message> = fc.oneof(...MESSAGE_TYPES.map((t) => messageArbs[t] as fc.Arbitrary<Message>));

/** One message of every type from `from` to `to`, with distinctive values. */
export function oneOfEach(from: NodeId, to: NodeId, term = 7): Message[] {
  const data = new TextEncoder().encode(`entry from ${from} to ${to}`);
  const membership: Membership = {
    members: [
      { id: Math.min(from, to), role: "voter", address: `10.0.0.${from}:7000` },
      { id: Math.max(from, to) + 1, role: "learner", address: "learner.example:7000" },
    ],
  };
  return [
    { type: "VoteRequest", from, to, term, preVote: true, lastLogIndex: 2 ** 40, lastLogTerm: 6 },
    { type: "VoteResponse", from, to, term, preVote: false, granted: true },
    {
      type: "AppendEntries",
      from,
      to,
      term,
      prevLogIndex: 10,
      prevLogTerm: 6,
      leaderCommit: 9,
      entries: [
        { index: 11, term, type: "noop", data: new Uint8Array(0) },
        { index: 12, term, type: "normal", data },
        { index: 13, term, type: "config", data: encodeMembership(membership) },
      ],
    },
    { type: "AppendEntriesResponse", from, to, term, success: false, matchIndex: 0, rejectedIndex: 12, conflictTerm: 5, conflictIndex: 8 },
    { type: "Heartbeat", from, to, term, commit: 9, readSeq: 3 },
    { type: "HeartbeatResponse", from, to, term, readSeq: 3, commit: 9 },
    { type: "TimeoutNow", from, to, term },
    { type: "InstallSnapshot", from, to, term, meta: { index: 40, term: 5 }, offset: 4096, data: new TextEncoder().encode(`snapshot chunk for ${to}`), done: false },
    { type: "InstallSnapshot", from, to, term, meta: { index: 40, term: 5, membership }, offset: 0, data: new Uint8Array(0), done: true },
    { type: "InstallSnapshotResponse", from, to, term, index: 40, offset: 4120, done: true },
    { type: "VoteRequest", from, to, term, preVote: false, lastLogIndex: 5, lastLogTerm: 6, transfer: true },
  ];
}

export function heartbeat(from: NodeId, to: NodeId, readSeq: number): Heartbeat {
  return { type: "Heartbeat", from, to, term: 1, commit: 0, readSeq };
}

/** An AppendEntries carrying one entry of `payloadBytes` zero bytes: a message of a chosen size. */
export function appendOfSize(from: NodeId, to: NodeId, payloadBytes: number): AppendEntries {
  return {
    type: "AppendEntries",
    from,
    to,
    term: 1,
    prevLogIndex: 0,
    prevLogTerm: 0,
    leaderCommit: 0,
    entries: [{ index: 1, term: 1, type: "normal", data: new Uint8Array(payloadBytes) }],
  };
}

export type Mutation =
  | { readonly op: "set"; readonly at: number; readonly byte: number }
  | { readonly op: "insert"; readonly at: number; readonly byte: number }
  | { readonly op: "truncate"; readonly at: number }
  | { readonly op: "delete"; readonly at: number };

/** A few overwrites, insertions, deletions or truncations, applied in order by mutate(). */
export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  ),
  { minLength: 1, maxLength: 4 },
);

export function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  const out = [...bytes];
  for (const m of mutations) {
    switch (m.op) {
      case "set":
        if (out.length > 0) out[m.at % out.length] = m.byte;
        break;
      case "insert":
        out.splice(m.at % (out.length + 1), 0, m.byte);
        break;
      case "truncate":
        out.length = out.length === 0 ? 0 : m.at % out.length;
        break;
      case "delete":
        if (out.length > 0) out.splice(m.at % out.length, 1);
        break;
    }
  }
  return Uint8Array.from(out);
}
