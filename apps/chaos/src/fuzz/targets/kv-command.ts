import fc from "fast-check";
import { decodeCommand, encodeCommand, type KvCommand } from "../../../../node/src/kv/commands.js";
import { bytesFrom, hexPreview, kindOf, type Field, type MutatedBytes, type Seed } from "../mutate.js";
import { trickyStringArb } from "../strings.js";
import { accepted, FuzzFailure, rejected, type InProcessTarget, type Outcome } from "../types.js";

const seqArb = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat(), fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER));

const commandArb: fc.Arbitrary<KvCommand> = fc.oneof(
  fc.record({ op: fc.constant("put" as const), clientId: trickyStringArb(40), seq: seqArb, key: trickyStringArb(60), value: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ op: fc.constant("delete" as const), clientId: trickyStringArb(40), seq: seqArb, key: trickyStringArb(60) }),
);

/**
 * Layout (commands.ts): version u8 | op u8 | clientId (u16 length + UTF-8) | seq (two u32)
 * | key (u32 length + UTF-8) | value (u32 length + bytes, put only).
 */
function fieldsOf(cmd: KvCommand): Field[] {
  const client = Buffer.byteLength(cmd.clientId, "utf8");
  const key = Buffer.byteLength(cmd.key, "utf8");
  const fields: Field[] = [
    { at: 0, width: 1 },
    { at: 1, width: 1 },
    { at: 2, width: 2 },
    { at: 4 + client, width: 4 },
    { at: 8 + client, width: 4 },
    { at: 4 + client, width: 8 },
    { at: 12 + client, width: 4 },
  ];
  if (cmd.op === "put") fields.push({ at: 16 + client + key, width: 4 });
  return fields;
}

const seedArb: fc.Arbitrary<Seed> = commandArb.map((cmd) => ({ bytes: encodeCommand(cmd), fields: fieldsOf(cmd) }));

/**
 * apps/node's KV command decode: the data of every log entry a follower applies, so bytes a
 * leader (a peer) replicated. Oracle: an accepted command re-encodes to exactly its bytes, so
 * what a node applies is what the client asked for (the same key, the same sequence number).
 */
export const kvCommandTarget: InProcessTarget<MutatedBytes> = {
  name: "kv-command",
  description: "apps/node KV command decode (decodeCommand): the data of every applied log entry",
  arbitrary: bytesFrom(seedArb),
  show: (input) => input.bytes,
  run(input): Outcome {
    const r = decodeCommand(input.bytes);
    if (!r.ok) return rejected(kindOf(r.error));
    const again = encodeCommand(r.command);
    if (!Buffer.from(again).equals(Buffer.from(input.bytes))) {
      throw new FuzzFailure("invariant", `an accepted ${r.command.op} re-encodes to other bytes (${JSON.stringify({ ...r.command, value: undefined })}): ${hexPreview(again, 64)}`);
    }
    return accepted(r.command.op);
  },
};
