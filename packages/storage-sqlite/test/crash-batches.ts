import type { Entry } from "@raft-ts/core";

/** Deterministic batch boundaries: the batch starting at `first` has 1..64 entries. */
export function batchSize(first: number): number {
  return 1 + ((first * 7919) % 64);
}

/** The contents every entry must have: derived from its index alone, 16..271 bytes. */
export function expectedData(index: number): Uint8Array {
  const n = 16 + ((index * 31) % 256);
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (index * 131 + i * 17) & 0xff;
  return data;
}

export function termOf(index: number): number {
  return 1 + Math.floor(index / 1000);
}

export function batchAt(first: number): Entry[] {
  return Array.from({ length: batchSize(first) }, (_, i) => ({
    index: first + i,
    term: termOf(first + i),
    type: "normal" as const,
    data: expectedData(first + i),
  }));
}

/** A snapshot's bytes, derived from the index it ends at: 1 KiB..33 KiB. */
export function snapshotData(index: number): Uint8Array {
  const n = 1024 + ((index * 97) % 32768);
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (index * 37 + i * 11) & 0xff;
  return data;
}
