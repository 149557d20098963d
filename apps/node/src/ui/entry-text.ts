import { decodeMembership, type Entry, type Membership } from "@raft-ts/core";
import { decodeCommand } from "../kv/commands.js";

/** The longest `text` an entry gets in the live view (docs/ui.md). */
export const MAX_ENTRY_TEXT = 48;

/** Bytes of a value looked at to show it: enough for MAX_ENTRY_TEXT characters. */
const VALUE_PEEK_BYTES = MAX_ENTRY_TEXT * 4;

const lenient = new TextDecoder("utf-8", { fatal: false });
/** C0 and C1 controls and the replacement character: a value with them is shown by its size. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\ufffd]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A short view of a log entry for the live view: `put k = v`, `delete k`, `noop`,
 * `config: voters 1,2,3`, at most MAX_ENTRY_TEXT characters. Never throws: an entry that is not
 * what its type says is shown as such.
 */
export function entryText(entry: Entry): string {
  switch (entry.type) {
    case "noop":
      return "noop";
    case "config": {
      let m: Membership;
      try {
        m = decodeMembership(entry.data);
      } catch {
        return "config: (unreadable)";
      }
      return clip(`config: ${membershipText(m)}`);
    }
    case "normal": {
      const decoded = decodeCommand(entry.data);
      if (!decoded.ok) return clip(`(not a command: ${entry.data.byteLength} bytes)`);
      const c = decoded.command;
      const key = c.key.replace(CONTROLS, "\ufffd");
      if (c.op === "delete") return clip(`delete ${key}`);
      return clip(`put ${key} = ${valueText(c.value)}`);
    }
  }
}

/** "voters 1,2,3" and, when there are any, " learners 4,5". */
function membershipText(m: Membership): string {
  const ids = (role: string) =>
    m.members
      .filter((x) => x.role === role)
      .map((x) => x.id)
      .join(",");
  const learners = ids("learner");
  return `voters ${ids("voter") || "none"}${learners === "" ? "" : ` learners ${learners}`}`;
}

/** The value as text when it reads as text, else its size. */
function valueText(value: Uint8Array): string {
  const cut = value.byteLength > VALUE_PEEK_BYTES;
  let text = lenient.decode(cut ? value.subarray(0, VALUE_PEEK_BYTES) : value);
  // A cut may split the last character: its remains decode as one replacement character.
  if (cut) text = text.replace(/\ufffd$/, "");
  return UNPRINTABLE.test(text) ? `(${value.byteLength} bytes)` : text;
}

/** At most MAX_ENTRY_TEXT characters (code points), the last an ellipsis when cut. */
export function clip(text: string): string {
  if (text.length <= MAX_ENTRY_TEXT) return text;
  const chars = Array.from(text);
  if (chars.length <= MAX_ENTRY_TEXT) return text;
  return `${chars.slice(0, MAX_ENTRY_TEXT - 1).join("")}…`;
}
