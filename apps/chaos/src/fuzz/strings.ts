import fc from "fast-check";

/**
 * Any code point, lone surrogates included, from every UTF-8 length class. (Built from
 * integers: fast-check's own "binary" string unit takes two seconds to set up per process.)
 */
const codePointArb = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
);

const anyCodePointsArb = (maxLength: number): fc.Arbitrary<string> => fc.array(codePointArb, { maxLength }).map((cps) => String.fromCodePoint(...cps));

/**
 * Strings that break text handling: a leading byte order mark (which a UTF-8 decoder strips
 * unless told not to), NUL, U+FFFD, the last code point, astral characters, and any code
 * point at all. The project's own property tests draw mostly ASCII; these go further.
 */
export const trickyStringArb = (maxLength = 24): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.oneof(
        fc.string({ maxLength }),
        anyCodePointsArb(maxLength),
        fc.constantFrom("", "\u0000", "a\u0000b", "\uFFFD", "\u{10FFFF}", "\u00e9t\u00e9", "\u65e5\u672c", "\u{1F600}", " ", "%", "/", ".."),
      ),
      fc.integer({ min: 0, max: 4 }),
    )
    .map(([s, bom]) => (bom === 0 ? `\uFEFF${s}` : s));
