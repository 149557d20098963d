import type { Entry, EntryType, Member, MemberRole, Membership, Message, MessageType } from "@raft-ts/core";
import { ByteReader, DecodeError, EncodeError, utf8Length, varintSize, writeVarint } from "./bytes.js";

/**
 * The binary encoding of the core's Message union (the payload of a MESSAGE frame).
 *
 *   message = tag:u8  from:varint  to:varint  term:varint  body
 *
 * | tag | type                  | body                                                       |
 * | --- | --------------------- | ---------------------------------------------------------- |
 * | 1   | VoteRequest           | flags:u8 lastLogIndex:varint lastLogTerm:varint             |
 * | 2   | VoteResponse          | preVote:bool granted:bool                                   |
 * | 3   | AppendEntries         | prevLogIndex prevLogTerm leaderCommit count:varint entry*   |
 * | 4   | AppendEntriesResponse | success:bool matchIndex rejectedIndex conflictTerm conflictIndex |
 * | 5   | Heartbeat             | commit:varint readSeq:varint                                |
 * | 6   | HeartbeatResponse     | readSeq:varint commit:varint                                |
 * | 7   | TimeoutNow            | (none)                                                      |
 * | 8   | InstallSnapshot       | index:varint term:varint offset:varint done:bool length:varint data |
 * |     |                       | membership                                                 |
 * | 9   | InstallSnapshotResponse | index:varint offset:varint done:bool                      |
 *
 * VoteRequest flags: bit 0 preVote, bit 1 transfer; the other bits must be 0.
 *
 *   entry = index:varint term:varint type:u8 (0 normal, 1 noop, 2 config) length:varint data
 *
 * A config entry's data (the core's encodeMembership bytes) is as opaque here as any other.
 *
 *   membership = 0                          absent (meta.membership undefined)
 *              | 1 count:varint member*     present, count <= 1024
 *   member     = id:varint role:u8 (0 voter, 1 learner) length:varint address (UTF-8, <= 1024 bytes)
 *
 * The membership is the snapshot meta's, but it comes last in the body, after the data: a
 * peer built before it existed then fails on "trailing bytes" (and a newer one reading an
 * older peer's message on "truncated") instead of reading the flag byte as the offset and
 * misparsing the rest. Members are in strictly ascending id order (the core's Membership
 * invariant), ids positive; anything else is refused both ways.
 *
 * Numbers are unsigned LEB128 varints up to 2^53 - 1 (indexes and terms may pass 2^32; a
 * larger value cannot be a JavaScript number and is rejected). Booleans are one byte, 0 or 1.
 *
 * The decoding is strict: canonical varints, booleans 0/1, known tags, entry types and roles,
 * valid UTF-8 (a leading BOM kept, not stripped), and no trailing bytes. So every accepted
 * payload re-encodes to exactly the same bytes, which the property tests check on random and
 * mutated input.
 */

const TAG = {
  VoteRequest: 1,
  VoteResponse: 2,
  AppendEntries: 3,
  AppendEntriesResponse: 4,
  Heartbeat: 5,
  HeartbeatResponse: 6,
  TimeoutNow: 7,
  InstallSnapshot: 8,
  InstallSnapshotResponse: 9,
} as const satisfies Record<MessageType, number>;

/** VoteRequest flag bits. */
const VOTE_PRE = 1;
const VOTE_TRANSFER = 2;

/** The fewest bytes an encoded entry can take (four one-byte fields, no data). */
const MIN_ENTRY_BYTES = 4;

/**
 * Caps on a snapshot's membership, far above any real cluster, so a frame cannot make the
 * decoder build a huge one out of the room a large frame allows.
 */
export const MAX_MEMBERS = 1024;
export const MAX_ADDRESS_BYTES = 1024;

/** The fewest bytes an encoded member can take (id, role, empty address: one byte each). */
const MIN_MEMBER_BYTES = 3;

/** ignoreBOM: a leading U+FEFF is part of the address, so it re-encodes to the same bytes. */
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export type DecodeResult = { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly error: string };

function entryTypeByte(type: EntryType): number {
  switch (type) {
    case "normal":
      return 0;
    case "noop":
      return 1;
    case "config":
      return 2;
  }
}

function entryTypeFromByte(b: number): EntryType {
  if (b === 0) return "normal";
  if (b === 1) return "noop";
  if (b === 2) return "config";
  throw new DecodeError(`unknown entry type ${b}`);
}

function roleByte(role: MemberRole): number {
  return role === "voter" ? 0 : 1;
}

function roleFromByte(b: number): MemberRole {
  if (b === 0) return "voter";
  if (b === 1) return "learner";
  throw new DecodeError(`unknown member role ${b}`);
}

/**
 * Bytes `m` takes encoded. Also validates every number (throws EncodeError), so the caller
 * learns a message is oversized or invalid before anything is allocated for it.
 */
export function messageSize(m: Message): number {
  const envelope = 1 + varintSize("from", m.from) + varintSize("to", m.to) + varintSize("term", m.term);
  switch (m.type) {
    case "VoteRequest":
      return envelope + 1 + varintSize("lastLogIndex", m.lastLogIndex) + varintSize("lastLogTerm", m.lastLogTerm);
    case "VoteResponse":
      return envelope + 2;
    case "AppendEntries": {
      let size =
        envelope +
        varintSize("prevLogIndex", m.prevLogIndex) +
        varintSize("prevLogTerm", m.prevLogTerm) +
        varintSize("leaderCommit", m.leaderCommit) +
        varintSize("entries.length", m.entries.length);
      for (const e of m.entries) {
        const len = e.data.byteLength;
        size += varintSize("entry.index", e.index) + varintSize("entry.term", e.term) + 1 + varintSize("entry.data.length", len) + len;
      }
      return size;
    }
    case "AppendEntriesResponse":
      return (
        envelope +
        1 +
        varintSize("matchIndex", m.matchIndex) +
        varintSize("rejectedIndex", m.rejectedIndex) +
        varintSize("conflictTerm", m.conflictTerm) +
        varintSize("conflictIndex", m.conflictIndex)
      );
    case "Heartbeat":
      return envelope + varintSize("commit", m.commit) + varintSize("readSeq", m.readSeq);
    case "HeartbeatResponse":
      return envelope + varintSize("readSeq", m.readSeq) + varintSize("commit", m.commit);
    case "TimeoutNow":
      return envelope;
    case "InstallSnapshot": {
      const len = m.data.byteLength;
      return (
        envelope +
        varintSize("meta.index", m.meta.index) +
        varintSize("meta.term", m.meta.term) +
        varintSize("offset", m.offset) +
        1 +
        varintSize("data.length", len) +
        len +
        membershipSize(m.meta.membership)
      );
    }
    case "InstallSnapshotResponse":
      return envelope + varintSize("index", m.index) + varintSize("offset", m.offset) + 1;
  }
}

/**
 * Writes `m` at `offset` of `buf`, which must have messageSize(m) bytes free there (the size
 * pass has validated every number). Returns the offset after the message.
 */
export function writeMessage(buf: Uint8Array, offset: number, m: Message): number {
  // The tag is a literal in each case (not TAG[m.type]): this runs once per message sent.
  switch (m.type) {
    case "VoteRequest": {
      let o = writeEnvelope(buf, offset, TAG.VoteRequest, m);
      buf[o++] = (m.preVote ? VOTE_PRE : 0) | (m.transfer === true ? VOTE_TRANSFER : 0);
      o = writeVarint(buf, o, m.lastLogIndex);
      return writeVarint(buf, o, m.lastLogTerm);
    }
    case "VoteResponse": {
      let o = writeEnvelope(buf, offset, TAG.VoteResponse, m);
      buf[o++] = m.preVote ? 1 : 0;
      buf[o++] = m.granted ? 1 : 0;
      return o;
    }
    case "AppendEntries": {
      let o = writeEnvelope(buf, offset, TAG.AppendEntries, m);
      o = writeVarint(buf, o, m.prevLogIndex);
      o = writeVarint(buf, o, m.prevLogTerm);
      o = writeVarint(buf, o, m.leaderCommit);
      o = writeVarint(buf, o, m.entries.length);
      for (const e of m.entries) {
        o = writeVarint(buf, o, e.index);
        o = writeVarint(buf, o, e.term);
        buf[o++] = entryTypeByte(e.type);
        o = writeVarint(buf, o, e.data.byteLength);
        buf.set(e.data, o);
        o += e.data.byteLength;
      }
      return o;
    }
    case "AppendEntriesResponse": {
      let o = writeEnvelope(buf, offset, TAG.AppendEntriesResponse, m);
      buf[o++] = m.success ? 1 : 0;
      o = writeVarint(buf, o, m.matchIndex);
      o = writeVarint(buf, o, m.rejectedIndex);
      o = writeVarint(buf, o, m.conflictTerm);
      return writeVarint(buf, o, m.conflictIndex);
    }
    case "Heartbeat": {
      const o = writeEnvelope(buf, offset, TAG.Heartbeat, m);
      return writeVarint(buf, writeVarint(buf, o, m.commit), m.readSeq);
    }
    case "HeartbeatResponse":
      return writeVarint(buf, writeVarint(buf, writeEnvelope(buf, offset, TAG.HeartbeatResponse, m), m.readSeq), m.commit);
    case "TimeoutNow":
      return writeEnvelope(buf, offset, TAG.TimeoutNow, m);
    case "InstallSnapshot": {
      let o = writeEnvelope(buf, offset, TAG.InstallSnapshot, m);
      o = writeVarint(buf, o, m.meta.index);
      o = writeVarint(buf, o, m.meta.term);
      o = writeVarint(buf, o, m.offset);
      buf[o++] = m.done ? 1 : 0;
      o = writeVarint(buf, o, m.data.byteLength);
      buf.set(m.data, o);
      return writeMembership(buf, o + m.data.byteLength, m.meta.membership);
    }
    case "InstallSnapshotResponse": {
      let o = writeEnvelope(buf, offset, TAG.InstallSnapshotResponse, m);
      o = writeVarint(buf, o, m.index);
      o = writeVarint(buf, o, m.offset);
      buf[o++] = m.done ? 1 : 0;
      return o;
    }
  }
}

/**
 * Bytes the membership field takes, validating it as the decoder will: at most MAX_MEMBERS,
 * ids positive and strictly ascending, known roles, addresses of at most MAX_ADDRESS_BYTES
 * of well-formed UTF-16. A sender's bug surfaces here rather than as a peer's decode error.
 */
function membershipSize(membership: Membership | undefined): number {
  if (membership === undefined) return 1;
  const members = membership.members;
  if (members.length > MAX_MEMBERS) {
    throw new EncodeError("meta.membership.members.length", members.length, `at most ${MAX_MEMBERS} members`);
  }
  let size = 1 + varintSize("meta.membership.members.length", members.length);
  let previousId = 0;
  for (const x of members) {
    size += varintSize("member.id", x.id);
    if (x.id <= previousId) {
      throw new EncodeError("member.id", x.id, `a positive id above the previous member's (${previousId})`);
    }
    previousId = x.id;
    if (x.role !== "voter" && x.role !== "learner") throw new EncodeError("member.role", x.role, `"voter" or "learner"`);
    const len = typeof x.address === "string" ? utf8Length(x.address) : -1;
    if (len < 0) throw new EncodeError("member.address", x.address, "a string without lone surrogates");
    if (len > MAX_ADDRESS_BYTES) {
      throw new EncodeError("member.address", `${len} bytes`, `at most ${MAX_ADDRESS_BYTES} bytes of UTF-8`);
    }
    size += 1 + varintSize("member.address.length", len) + len;
  }
  return size;
}

/** Writes the membership field (validated by membershipSize); returns the offset after it. */
function writeMembership(buf: Uint8Array, offset: number, membership: Membership | undefined): number {
  if (membership === undefined) {
    buf[offset] = 0;
    return offset + 1;
  }
  buf[offset] = 1;
  let o = writeVarint(buf, offset + 1, membership.members.length);
  for (const x of membership.members) {
    o = writeVarint(buf, o, x.id);
    buf[o++] = roleByte(x.role);
    // The size pass measured the address; encodeInto writes exactly that many bytes after a
    // varint of that length, without an intermediate copy.
    const len = utf8Length(x.address);
    o = writeVarint(buf, o, len);
    utf8Encoder.encodeInto(x.address, buf.subarray(o, o + len));
    o += len;
  }
  return o;
}

function writeEnvelope(buf: Uint8Array, offset: number, tag: number, m: Message): number {
  buf[offset] = tag;
  return writeVarint(buf, writeVarint(buf, writeVarint(buf, offset + 1, m.from), m.to), m.term);
}

/** `m` as a payload of its own (tests and tools; the transport writes straight into frames). */
export function encodeMessage(m: Message): Uint8Array {
  const buf = new Uint8Array(messageSize(m));
  writeMessage(buf, 0, m);
  return buf;
}

/**
 * Decodes one message payload, bytes[start, end). Never throws: malformed input of any shape
 * gives `{ ok: false, error }`. Entry data is copied out, so the result does not pin the frame.
 */
export function decodeMessage(bytes: Uint8Array, start = 0, end = bytes.length): DecodeResult {
  const r = tryDecodeMessage(bytes, start, end);
  return typeof r === "string" ? { ok: false, error: r } : { ok: true, message: r };
}

/** One reader for every decode: decoding is synchronous and calls nothing outside this file. */
const sharedReader = new ByteReader(new Uint8Array(0));

/**
 * decodeMessage without the result wrapper, for the receive path: the message, or a string
 * saying why the payload is malformed. Never throws on malformed input.
 */
export function tryDecodeMessage(bytes: Uint8Array, start: number, end: number): Message | string {
  const r = sharedReader.reset(bytes, start, end);
  try {
    const message = readMessage(r);
    r.expectEnd();
    return message;
  } catch (e) {
    if (e instanceof DecodeError) return e.message;
    // Anything else is a bug in this file, not bad input: let it surface.
    throw e;
  } finally {
    r.reset(EMPTY, 0, 0); // hold no reference to the frame
  }
}

const EMPTY = new Uint8Array(0);

function readMessage(r: ByteReader): Message {
  const tag = r.u8();
  const from = r.varint();
  const to = r.varint();
  const term = r.varint();
  switch (tag) {
    case TAG.VoteRequest: {
      const flags = r.u8();
      if ((flags & ~(VOTE_PRE | VOTE_TRANSFER)) !== 0) throw new DecodeError(`unknown VoteRequest flags ${flags}`);
      const lastLogIndex = r.varint();
      const lastLogTerm = r.varint();
      const preVote = (flags & VOTE_PRE) !== 0;
      return (flags & VOTE_TRANSFER) !== 0
        ? { type: "VoteRequest", from, to, term, preVote, lastLogIndex, lastLogTerm, transfer: true }
        : { type: "VoteRequest", from, to, term, preVote, lastLogIndex, lastLogTerm };
    }
    case TAG.VoteResponse: {
      const preVote = r.bool();
      const granted = r.bool();
      return { type: "VoteResponse", from, to, term, preVote, granted };
    }
    case TAG.AppendEntries: {
      const prevLogIndex = r.varint();
      const prevLogTerm = r.varint();
      const leaderCommit = r.varint();
      const entries = readEntries(r);
      return { type: "AppendEntries", from, to, term, prevLogIndex, prevLogTerm, leaderCommit, entries };
    }
    case TAG.AppendEntriesResponse: {
      const success = r.bool();
      const matchIndex = r.varint();
      const rejectedIndex = r.varint();
      const conflictTerm = r.varint();
      const conflictIndex = r.varint();
      return { type: "AppendEntriesResponse", from, to, term, success, matchIndex, rejectedIndex, conflictTerm, conflictIndex };
    }
    case TAG.Heartbeat: {
      const commit = r.varint();
      const readSeq = r.varint();
      return { type: "Heartbeat", from, to, term, commit, readSeq };
    }
    case TAG.HeartbeatResponse: {
      const readSeq = r.varint();
      const commit = r.varint();
      return { type: "HeartbeatResponse", from, to, term, readSeq, commit };
    }
    case TAG.TimeoutNow:
      return { type: "TimeoutNow", from, to, term };
    case TAG.InstallSnapshot: {
      const index = r.varint();
      const snapshotTerm = r.varint();
      const offset = r.varint();
      const done = r.bool();
      const length = r.varint();
      const data = r.copy(length); // checked against the remaining bytes before allocating
      const membership = readMembership(r);
      // Absent stays absent: no `membership: undefined` key, so decode(encode(m)) equals m.
      const meta = membership === undefined ? { index, term: snapshotTerm } : { index, term: snapshotTerm, membership };
      return { type: "InstallSnapshot", from, to, term, meta, offset, data, done };
    }
    case TAG.InstallSnapshotResponse: {
      const index = r.varint();
      const offset = r.varint();
      const done = r.bool();
      return { type: "InstallSnapshotResponse", from, to, term, index, offset, done };
    }
    default:
      throw new DecodeError(`unknown message tag ${tag}`);
  }
}

function readEntries(r: ByteReader): Entry[] {
  const count = r.varint();
  // Invariant: no allocation proportional to a claimed count before the bytes that would hold
  // it are known to be here. A frame claiming 2^31 entries fails on this line.
  if (count > r.remaining / MIN_ENTRY_BYTES) {
    throw new DecodeError(`entry count ${count} exceeds what ${r.remaining} remaining bytes can hold`);
  }
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const index = r.varint();
    const term = r.varint();
    const type = entryTypeFromByte(r.u8());
    const length = r.varint();
    const data = r.copy(length); // copy() checks `length` against the remaining bytes first
    entries.push({ index, term, type, data });
  }
  return entries;
}

function readMembership(r: ByteReader): Membership | undefined {
  if (!r.bool()) return undefined;
  const count = r.varint();
  // Same invariant as readEntries: the cap first (for a clear error), then the bytes that
  // must be here, and only then a loop that allocates.
  if (count > MAX_MEMBERS) throw new DecodeError(`membership has ${count} members, more than the ${MAX_MEMBERS} allowed`);
  if (count > r.remaining / MIN_MEMBER_BYTES) {
    throw new DecodeError(`member count ${count} exceeds what ${r.remaining} remaining bytes can hold`);
  }
  const members: Member[] = [];
  let previousId = 0;
  for (let i = 0; i < count; i++) {
    const id = r.varint();
    if (id === 0) throw new DecodeError("member id 0 (ids are positive)");
    if (id <= previousId) throw new DecodeError(`member id ${id} after ${previousId} (ids must be strictly ascending)`);
    previousId = id;
    const role = roleFromByte(r.u8());
    const address = readAddress(r, id);
    members.push({ id, role, address });
  }
  return { members };
}

function readAddress(r: ByteReader, id: number): string {
  const length = r.varint();
  if (length > MAX_ADDRESS_BYTES) {
    throw new DecodeError(`address of member ${id} is ${length} bytes, more than the ${MAX_ADDRESS_BYTES} allowed`);
  }
  const bytes = r.view(length); // checks `length` against the remaining bytes first
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new DecodeError(`address of member ${id} is not valid UTF-8`);
  }
}
