/** Small builders for hand-written histories, and an independent brute-force checker. */
import type { ClientId, KvOperation, KvValue, OpStatus } from "../src/index.js";

export function put(
  clientId: ClientId,
  key: string,
  value: KvValue,
  call: number,
  ret: number,
  status: OpStatus = "ok",
): KvOperation {
  return { clientId, op: "put", key, value, call, return: ret, status };
}

export function get(
  clientId: ClientId,
  key: string,
  output: KvValue | null,
  call: number,
  ret: number,
  status: OpStatus = "ok",
): KvOperation {
  return { clientId, op: "get", key, output, call, return: ret, status };
}

export function del(clientId: ClientId, key: string, call: number, ret: number, status: OpStatus = "ok"): KvOperation {
  return { clientId, op: "delete", key, call, return: ret, status };
}

/** An indeterminate put (timed out): it may take effect at any time after `call`, or never. */
export function putUnknown(clientId: ClientId, key: string, value: KvValue, call: number): KvOperation {
  return { clientId, op: "put", key, value, call, return: Infinity, status: "unknown" };
}

/** An indeterminate delete. */
export function delUnknown(clientId: ClientId, key: string, call: number): KvOperation {
  return { clientId, op: "delete", key, call, return: Infinity, status: "unknown" };
}

/**
 * Linearizability straight from the definition, for small histories: is there an order of all
 * operations (failed ones and indeterminate gets removed; indeterminate writes returning at
 * +Infinity) that respects real time (a.return < b.call puts a first) and in which every get
 * on the whole map reads the latest write to its key? No per-key split, no memoization, no
 * reductions, no event list: an independent oracle for the checker.
 */
export function bruteForceLinearizable(history: readonly KvOperation[]): boolean {
  const ops = history
    .filter((o) => o.status !== "fail" && !(o.op === "get" && o.status !== "ok"))
    .map((o) => ({ ...o, end: o.status === "ok" ? o.return : Infinity }));
  const placed = new Array<boolean>(ops.length).fill(false);
  const map = new Map<string, KvValue>();

  const search = (count: number): boolean => {
    if (count === ops.length) return true;
    for (let b = 0; b < ops.length; b++) {
      if (placed[b]) continue;
      const ob = ops[b]!;
      // b may go next only if no unplaced operation finished before b began.
      let blocked = false;
      for (let a = 0; a < ops.length && !blocked; a++) {
        if (a !== b && !placed[a] && ops[a]!.end < ob.call) blocked = true;
      }
      if (blocked) continue;
      const before = map.get(ob.key);
      if (ob.op === "get") {
        if ((ob.output ?? undefined) !== before) continue;
      } else if (ob.op === "put") {
        map.set(ob.key, ob.value!);
      } else {
        map.delete(ob.key);
      }
      placed[b] = true;
      if (search(count + 1)) return true;
      placed[b] = false;
      if (before === undefined) map.delete(ob.key);
      else map.set(ob.key, before);
    }
    return false;
  };
  return search(0);
}
