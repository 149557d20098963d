import fc from "fast-check";
import { applyMutations, mutationsArb, type Mutation } from "./mutate.js";

/**
 * Structural mutation of JSON documents (configuration entries, config files): a node of the
 * tree replaced by a value of the wrong type or range, a key removed or added (prototype
 * names included), an element duplicated, a value buried under thousands of arrays. Then,
 * sometimes, byte-level damage to the text as well.
 */

export type JsonMutation =
  /** `at` picks a node of the tree in pre-order (modulo the node count); 0 is the root. */
  | { readonly op: "replace"; readonly at: number; readonly value: unknown }
  | { readonly op: "delete"; readonly at: number }
  | { readonly op: "add"; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly op: "duplicate"; readonly at: number }
  | { readonly op: "nest"; readonly at: number; readonly depth: number };

/** `{"__proto__": ...}` as JSON.parse makes it: an own property, not a prototype. */
const protoObject = (): unknown => JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}}');

/** Values of the wrong type or at the edges of a range. */
export const weirdValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -0,
    -1,
    1,
    1.5,
    -0.5,
    1e308,
    -1e308,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    1e-7,
    "",
    "0",
    "1",
    "-1",
    "true",
    "null",
    "\uFEFF",
    "\u0000",
    "\ud800",
    "a\udfffb",
    "127.0.0.1:0",
    "127.0.0.1:65536",
    "[::1]:8080",
    "host:port",
    ":",
    " ",
    "voter",
    "learner",
    [],
    {},
    [1, 2],
  ),
  fc.constant(null).map(protoObject),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 20 }),
  fc.string({ maxLength: 2000, minLength: 300 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const keyArb = (names: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "", ...names), fc.string({ maxLength: 12 }));

export function jsonMutationsArb(keyNames: readonly string[] = [], max = 3): fc.Arbitrary<JsonMutation[]> {
  const m: fc.Arbitrary<JsonMutation> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: weirdValueArb }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), at: fc.nat() }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("add" as const), at: fc.nat(), key: keyArb(keyNames), value: weirdValueArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("duplicate" as const), at: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("nest" as const), at: fc.nat(), depth: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1000, max: 50_000 })) }),
    },
  );
  return fc.array(m, { minLength: 1, maxLength: max });
}

interface Slot {
  readonly parent: Record<string, unknown> | unknown[] | undefined;
  readonly key: string | number;
  readonly value: unknown;
}

function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (parent: Slot["parent"], key: string | number, value: unknown) => {
    out.push({ parent, key, value });
    if (Array.isArray(value)) value.forEach((v, i) => walk(value, i, v));
    else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) walk(value as Record<string, unknown>, k, v);
  };
  walk(undefined, "", root);
  return out;
}

/** Sets an own property (a plain assignment to "__proto__" would change the prototype instead). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const NEST_MARKER = "__fuzz_nest_marker__";

/**
 * A copy of a JSON value: what the mutations insert may be one of fast-check's constants (the
 * same instance in every input), which must neither be changed in place nor end up inside
 * itself. The JSON round trip keeps own "__proto__" keys.
 */
const copy = (v: unknown): unknown => (typeof v === "object" && v !== null ? JSON.parse(JSON.stringify(v)) : v);

/**
 * The document with `mutations` applied, as JSON text. Deep nesting is spliced into the text
 * (building it as a value would overflow JSON.stringify's stack before the decoder saw it).
 */
export function applyJsonMutations(doc: unknown, mutations: readonly JsonMutation[]): string {
  let root: unknown = JSON.parse(JSON.stringify(doc));
  const nests: number[] = [];
  for (const m of mutations) {
    const all = slots(root);
    const s = all[m.at % all.length]!;
    const put = (value: unknown) => {
      if (s.parent === undefined) root = value;
      else if (Array.isArray(s.parent)) s.parent[s.key as number] = value;
      else setOwn(s.parent, s.key as string, value);
    };
    switch (m.op) {
      case "replace":
        put(copy(m.value));
        break;
      case "delete":
        if (s.parent === undefined) root = undefined;
        else if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
        else delete s.parent[s.key as string];
        break;
      case "add":
        if (Array.isArray(s.value)) s.value.push(copy(m.value));
        else if (typeof s.value === "object" && s.value !== null) setOwn(s.value as Record<string, unknown>, m.key, copy(m.value));
        else {
          const wrapper = {};
          setOwn(wrapper, m.key, s.value);
          put(wrapper);
        }
        break;
      case "duplicate":
        if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 0, copy(s.value));
        else if (Array.isArray(s.value) && s.value.length > 0) s.value.push(copy(s.value[0]));
        break;
      case "nest":
        nests.push(m.depth);
        put(`${NEST_MARKER}${nests.length - 1}`);
        break;
    }
  }
  let text = root === undefined ? "" : JSON.stringify(root);
  nests.forEach((depth, i) => {
    text = text.replace(`"${NEST_MARKER}${i}"`, `${"[".repeat(depth)}1${"]".repeat(depth)}`);
  });
  return text;
}

/** JSON documents made from valid ones: untouched, structurally mutated, or damaged as bytes. */
export function jsonInputsFrom(valid: fc.Arbitrary<unknown>, keyNames: readonly string[]): fc.Arbitrary<{ text: Uint8Array; origin: string }> {
  const utf8 = (s: string) => Uint8Array.from(Buffer.from(s, "utf8"));
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((doc) => ({ text: utf8(JSON.stringify(doc)), origin: "valid" })) },
    { weight: 10, arbitrary: fc.tuple(valid, jsonMutationsArb(keyNames)).map(([doc, ms]) => ({ text: utf8(applyJsonMutations(doc, ms)), origin: "json-mutated" })) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(valid, fc.option(jsonMutationsArb(keyNames, 2), { freq: 2 }), mutationsArb())
        .map(([doc, jms, bms]) => ({
          text: applyMutations({ bytes: utf8(jms === null ? JSON.stringify(doc) : applyJsonMutations(doc, jms)), fields: [] }, bms as Mutation[]),
          origin: "byte-mutated",
        })),
    },
    { weight: 1, arbitrary: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.jsonValue().map((v) => utf8(JSON.stringify(v) ?? ""))).map((text) => ({ text, origin: "random" })) },
  );
}
