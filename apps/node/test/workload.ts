import type { HistoryRecorder, OperationHandle } from "@raft-ts/linearizability";
import { request } from "./cluster-harness.js";

/**
 * Concurrent clients that put, get and delete a few keys through the nodes `targets()` names
 * (picked at random per request), recording every operation in `history` until `running()`
 * turns false. A 503 on a write means it was not applied (no leader, not committed,
 * overloaded); any other non-200 or no answer is indeterminate.
 */
export function runClients(
  history: HistoryRecorder,
  opts: { clients: number; keys: readonly string[]; targets: () => readonly string[]; running: () => boolean },
): Promise<void[]> {
  let seq = 0;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
  /** A put or delete: 200 applied, 503 not applied, anything else (or no answer) unknown. */
  const write = async (h: OperationHandle, method: "PUT" | "DELETE", url: string, body?: string) => {
    try {
      const r = await request(method, url, body, {}, 4000);
      if (r.status === 200) history.ok(h);
      else if (r.status === 503) history.fail(h);
      else history.unknown(h);
    } catch {
      history.unknown(h);
    }
  };
  const client = async (id: number) => {
    for (let n = 0; opts.running(); n++) {
      const key = pick(opts.keys);
      const base = pick(opts.targets());
      const roll = Math.random();
      if (roll < 0.5) {
        const value = `c${id}-${n}-${++seq}`;
        await write(history.invoke(id, "put", key, value), "PUT", `${base}/kv/${key}`, value);
      } else if (roll < 0.9) {
        const h = history.invoke(id, "get", key);
        try {
          const r = await request("GET", `${base}/kv/${key}`, undefined, {}, 4000);
          if (r.status === 200) history.ok(h, r.text);
          else if (r.status === 404) history.ok(h, null);
          else history.unknown(h);
        } catch {
          history.unknown(h);
        }
      } else {
        await write(history.invoke(id, "delete", key), "DELETE", `${base}/kv/${key}`);
      }
    }
  };
  return Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i + 1)));
}
