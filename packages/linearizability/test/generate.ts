/**
 * Histories that are linearizable by construction: run a real key-value map sequentially,
 * giving operation i the linearization point 10 * i + 5, then wrap each point in a random
 * [call, return] interval that contains it, handing operations to clients so that each
 * client's operations do not overlap. Indeterminate operations either took effect at their
 * point or not at all; failed ones never did.
 */
import type { ClientId, KvOperation, KvValue, OpKind } from "../src/index.js";

export type Outcome = "ok" | "unknown-applied" | "unknown-lost" | "fail";

export interface StepPlan {
  readonly kind: OpKind;
  readonly key: string;
  /** For a put. */
  readonly value: KvValue;
  /** How long before its linearization point the operation is called (>= 0). */
  readonly before: number;
  /** How long after its linearization point it returns (>= 0). */
  readonly after: number;
  readonly outcome: Outcome;
  /** How an absent read is recorded. */
  readonly absentAs?: null | undefined;
}

export const SPACING = 10;

export function buildLinearizableHistory(plans: readonly StepPlan[], clients: number): KvOperation[] {
  const map = new Map<string, KvValue>();
  const busyUntil = new Map<ClientId, number>();
  for (let c = 0; c < clients; c++) busyUntil.set(`c${c}`, -Infinity);
  let extra = 0;
  const history: KvOperation[] = [];

  plans.forEach((plan, i) => {
    const point = SPACING * i + SPACING / 2;
    // The client free the longest; if none is free before the point, a new client.
    let client: ClientId | undefined;
    let freeAt = Infinity;
    for (const [c, t] of busyUntil) {
      if (t < freeAt) {
        freeAt = t;
        client = c;
      }
    }
    if (client === undefined || freeAt >= point) {
      client = `extra${extra++}`;
      freeAt = -Infinity;
    }
    // Strictly after the client's previous return, and never after the point.
    const call = Math.max(point - plan.before, (freeAt + point) / 2);
    const ret = point + plan.after;
    busyUntil.set(client, ret);

    const applies = plan.outcome === "ok" || plan.outcome === "unknown-applied";
    const status = plan.outcome === "ok" ? "ok" : plan.outcome === "fail" ? "fail" : "unknown";
    const returned = status === "unknown" ? Infinity : ret;
    switch (plan.kind) {
      case "put":
        if (applies) map.set(plan.key, plan.value);
        history.push({ clientId: client, op: "put", key: plan.key, value: plan.value, call, return: returned, status });
        break;
      case "delete":
        if (applies) map.delete(plan.key);
        history.push({ clientId: client, op: "delete", key: plan.key, call, return: returned, status });
        break;
      case "get": {
        const read = map.get(plan.key);
        const output = read === undefined ? plan.absentAs : read;
        history.push(
          status === "ok"
            ? { clientId: client, op: "get", key: plan.key, output, call, return: returned, status }
            : { clientId: client, op: "get", key: plan.key, call, return: returned, status },
        );
        break;
      }
    }
  });
  return history;
}

/** A small seeded generator (mulberry32) for benchmarks and large deterministic histories. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A large linearizable history from a seed: `count` operations over `keys` keys, about half
 * gets, intervals up to `maxHalfWidth` either side of each point (so about
 * 2 * maxHalfWidth / SPACING operations overlap), a share of them indeterminate or failed.
 */
export function randomLinearizableHistory(options: {
  readonly seed: number;
  readonly count: number;
  readonly keys: number;
  readonly clients: number;
  readonly maxHalfWidth: number;
  readonly indeterminateShare?: number;
  readonly distinctValues?: number;
}): KvOperation[] {
  const rnd = seededRandom(options.seed);
  const share = options.indeterminateShare ?? 0.02;
  const plans: StepPlan[] = [];
  for (let i = 0; i < options.count; i++) {
    const r = rnd();
    const kind: OpKind = r < 0.45 ? "put" : r < 0.95 ? "get" : "delete";
    const o = rnd();
    const outcome: Outcome = o < share / 2 ? "unknown-applied" : o < share ? "unknown-lost" : o < share * 1.5 ? "fail" : "ok";
    plans.push({
      kind,
      key: `k${Math.floor(rnd() * options.keys)}`,
      value: options.distinctValues === undefined ? `v${i}` : Math.floor(rnd() * options.distinctValues),
      before: rnd() * options.maxHalfWidth,
      after: rnd() * options.maxHalfWidth,
      outcome,
      absentAs: null,
    });
  }
  return buildLinearizableHistory(plans, options.clients);
}

/** The history with its last read before `fraction` of the way changed to a value never written. */
export function breakReadNear(history: KvOperation[], fraction: number): KvOperation[] {
  const copy = [...history];
  for (let i = Math.floor(copy.length * fraction); i >= 0; i--) {
    const op = copy[i]!;
    if (op.op === "get" && op.status === "ok") {
      copy[i] = { ...op, output: "never-written" };
      return copy;
    }
  }
  throw new Error("no read to break");
}
