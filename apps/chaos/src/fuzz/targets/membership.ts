import { decodeMembership, encodeMembership, type Membership } from "@raft-ts/core";
import type fc from "fast-check";
import { jsonInputsFrom } from "../json-mutate.js";
import { kindOf } from "../mutate.js";
import { membershipArb } from "../messages.js";
import { accepted, FuzzFailure, rejected, type InProcessTarget, type Outcome } from "../types.js";

/** The document encodeMembership writes, as a value the JSON mutations can work on. */
const docArb: fc.Arbitrary<unknown> = membershipArb.map((m) => JSON.parse(new TextDecoder().decode(encodeMembership(m))) as unknown);

export interface MembershipCase {
  readonly text: Uint8Array;
  readonly origin: string;
}

const same = (a: Membership, b: Membership): boolean => JSON.stringify(a) === JSON.stringify(b);

/** decodeMembership's messages, grouped (they name ids and roles, which would make each unique). */
const KINDS: readonly [RegExp, string][] = [
  [/is not valid JSON/, "not valid JSON"],
  [/is not a version 1 membership/, "not a version 1 membership"],
  [/has no valid id/, "member without a valid id"],
  [/has role/, "member with an unknown role"],
  [/has no address/, "member without an address"],
  [/names node .* twice/s, "a node named twice"],
];

/**
 * The core's configuration-entry decode (decodeMembership): the data of every config entry in
 * the log, so bytes a leader replicated. It throws plain Errors whose messages start with
 * "configuration entry": those are its typed rejection, anything else is a crash. Oracles on
 * an accepted entry: ids positive integers, strictly ascending (the Membership invariant),
 * roles and addresses of the right types, and re-encoding then decoding gives it back.
 */
export const membershipTarget: InProcessTarget<MembershipCase> = {
  name: "membership",
  description: "core configuration entries: decodeMembership",
  arbitrary: jsonInputsFrom(docArb, ["v", "members", "id", "role", "address"]),
  show: (c) => c.text,
  run(c): Outcome {
    let m: Membership;
    try {
      m = decodeMembership(c.text);
    } catch (e) {
      if (e instanceof Error && e.constructor === Error && e.message.startsWith("configuration entry")) {
        return rejected(KINDS.find(([re]) => re.test(e.message))?.[1] ?? kindOf(e.message));
      }
      throw e;
    }
    let previous = 0;
    for (const x of m.members) {
      if (!Number.isInteger(x.id) || x.id <= previous) throw new FuzzFailure("invariant", `accepted member ids out of order or not positive integers: ${JSON.stringify(m.members.map((y) => y.id))}`);
      if (x.role !== "voter" && x.role !== "learner") throw new FuzzFailure("invariant", `accepted role ${String(x.role)}`);
      if (typeof x.address !== "string") throw new FuzzFailure("invariant", "accepted an address that is not a string");
      previous = x.id;
    }
    let encoded: Uint8Array;
    try {
      encoded = encodeMembership(m);
    } catch (e) {
      throw new FuzzFailure("invariant", `accepted a membership that encodeMembership cannot write (${(e as Error).message}): ${JSON.stringify(m)}`);
    }
    if (!same(decodeMembership(encoded), m)) throw new FuzzFailure("invariant", "an accepted membership does not survive encodeMembership then decodeMembership");
    return accepted();
  },
};
