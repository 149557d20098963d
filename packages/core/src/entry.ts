/**
 * A log entry. `noop` is the empty entry a new leader appends so that it can commit entries of
 * earlier terms (Raft paper section 5.4.2); the state machine skips it. `normal` carries
 * application data, opaque to Raft. `config` carries a whole cluster membership (see
 * membership.ts), in force from the moment it is in a node's log; the state machine may read
 * it (decodeMembership) but has nothing to apply.
 */
export type EntryType = "normal" | "noop" | "config";

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** Bytes an entry costs when limits are counted: its payload plus a fixed header. */
export const ENTRY_OVERHEAD_BYTES = 24;

export function entrySize(entry: Entry): number {
  return ENTRY_OVERHEAD_BYTES + entry.data.byteLength;
}

/**
 * The longest prefix of `entries` whose total size stays within `maxBytes`, but always at
 * least one entry so that a single large entry can still make progress.
 */
export function limitSize<T extends Entry>(entries: readonly T[], maxBytes: number): T[] {
  if (entries.length === 0) return [];
  let size = entrySize(entries[0]!);
  let n = 1;
  while (n < entries.length) {
    size += entrySize(entries[n]!);
    if (size > maxBytes) break;
    n++;
  }
  return entries.slice(0, n);
}
