/**
 * UTF-8 for the core's own payloads (configuration entries). Written out because the core is
 * built against the ECMAScript library alone: TextEncoder and TextDecoder are web and Node
 * globals, not the language's, and the core must not assume a host.
 */
export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) throw new Error("utf8Encode: lone surrogate in string");
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/** Strict decoding: throws on truncated, overlong or surrogate sequences. */
export function utf8Decode(b: Uint8Array): string {
  let s = "";
  let i = 0;
  while (i < b.length) {
    const first = b[i]!;
    let need: number;
    let c: number;
    let min: number;
    if (first < 0x80) {
      s += String.fromCharCode(first);
      i++;
      continue;
    } else if (first >= 0xc2 && first <= 0xdf) [need, c, min] = [1, first & 0x1f, 0x80];
    else if (first >= 0xe0 && first <= 0xef) [need, c, min] = [2, first & 0x0f, 0x800];
    else if (first >= 0xf0 && first <= 0xf4) [need, c, min] = [3, first & 0x07, 0x10000];
    else throw new Error(`utf8Decode: invalid byte 0x${first.toString(16)} at ${i}`);
    for (let k = 1; k <= need; k++) {
      const cont = b[i + k];
      if (cont === undefined || (cont & 0xc0) !== 0x80) throw new Error(`utf8Decode: bad continuation byte at ${i + k}`);
      c = (c << 6) | (cont & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) throw new Error(`utf8Decode: invalid code point at ${i}`);
    s += String.fromCodePoint(c);
    i += need + 1;
  }
  return s;
}
