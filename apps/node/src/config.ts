import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";

/** A cluster as users describe it in cluster.json (see docs/node.md). */
export interface ClusterConfig {
  readonly clusterId: string;
  readonly secret: string | undefined;
  /**
   * When set, HTTP writes (PUT and DELETE /kv) and every /admin route need
   * `Authorization: Bearer <apiToken>`. Reads, /status, /metrics and the health checks stay open.
   */
  readonly apiToken: string | undefined;
  readonly tickMs: number;
  /** [T, 2T): followers campaign after a random timeout in this range. */
  readonly electionTimeoutMs: readonly [number, number];
  readonly heartbeatMs: number;
  /** May contain {id}, replaced by the node's id. */
  readonly dataDir: string;
  readonly limits: Limits;
  readonly snapshot: SnapshotPolicy;
  readonly nodes: readonly NodeAddress[];
  /**
   * Where this node dials a peer's Raft port, by peer id, instead of the address the cluster's
   * membership gives: a proxy (the chaos suite puts one on every link), a tunnel or a NAT. Only
   * this node's connections change; what it records in the log stays the membership's.
   */
  readonly dialOverrides: ReadonlyMap<number, HostPort>;
}

/** When a node snapshots its state machine and compacts its log. */
export interface SnapshotPolicy {
  /** Snapshot once this many entries were applied since the last snapshot. */
  readonly everyEntries: number;
  /** Entries kept in the log behind a snapshot, so a follower a little behind needs no snapshot. */
  readonly keepEntries: number;
}

export interface Limits {
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  /** Requests waiting for commit or a read confirmation; beyond this, 503. */
  readonly maxPendingRequests: number;
  /** How long a write or read may wait before the client is told the outcome is unknown. */
  readonly requestTimeoutMs: number;
  /** Open HTTP connections at most; more are closed as they arrive. */
  readonly maxHttpConnections: number;
  /** GET /events streams (the live view) open at once at most; one more is answered 503. */
  readonly maxEventClients: number;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface NodeAddress {
  readonly id: number;
  readonly raft: HostPort;
  readonly http: HostPort;
  readonly dataDir: string | undefined;
}

/** A config that cannot work: names the field (a JSON path) and the problem. */
export class ConfigFileError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly file?: string,
  ) {
    super(`${file === undefined ? "config" : file}: ${field}: ${problem}`);
    this.name = "ConfigFileError";
  }
}

/** "host:port" or "[v6]:port" with a port in 1..65535, or undefined. */
export function parseHostPort(s: string): HostPort | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(s);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !(port >= 1 && port <= 65535)) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

/** "host:port", bracketing an IPv6 host: the inverse of parseHostPort. */
export function formatHostPort(a: HostPort): string {
  return `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
}

const hostPort = z.string().transform((s, ctx): HostPort => {
  const parsed = parseHostPort(s);
  if (parsed === undefined) {
    ctx.addIssue({ code: "custom", message: `expected "host:port" with a port in 1..65535, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return parsed;
});

const positiveInt = z.number().int().positive();

const schema = z
  .object({
    clusterId: z.string().min(1).max(255),
    secret: z.string().min(16, "must be at least 16 characters").optional(),
    apiToken: z.string().min(16, "must be at least 16 characters").max(4096).optional(),
    tickMs: positiveInt.default(10),
    electionTimeoutMs: z.tuple([positiveInt, positiveInt]).default([150, 300]),
    heartbeatMs: positiveInt.default(50),
    dataDir: z.string().min(1).default("./data/node-{id}"),
    limits: z
      .object({
        maxKeyBytes: positiveInt.max(64 * 1024).default(1024),
        maxValueBytes: positiveInt.max(64 * 1024 * 1024).default(1024 * 1024),
        maxPendingRequests: positiveInt.default(10_000),
        requestTimeoutMs: positiveInt.default(5000),
        maxHttpConnections: positiveInt.default(1024),
        maxEventClients: positiveInt.max(1024).default(16),
      })
      .strict()
      .default({ maxKeyBytes: 1024, maxValueBytes: 1024 * 1024, maxPendingRequests: 10_000, requestTimeoutMs: 5000, maxHttpConnections: 1024, maxEventClients: 16 }),
    snapshot: z
      .object({
        // etcd's defaults (snapshot-count, catch-up entries): a snapshot pauses the node for
        // the time it takes to encode and write the state, so not too often.
        everyEntries: positiveInt.default(100_000),
        keepEntries: z.number().int().nonnegative().default(5000),
      })
      .strict()
      .default({ everyEntries: 100_000, keepEntries: 5000 }),
    dialOverrides: z.record(z.string().regex(/^[1-9]\d*$/, "keys are node ids"), hostPort).default({}),
    nodes: z
      .array(
        z
          .object({ id: positiveInt, raft: hostPort, http: hostPort, dataDir: z.string().min(1).optional() })
          .strict(),
      )
      .min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const [min, max] = c.electionTimeoutMs;
    if (max !== 2 * min) {
      ctx.addIssue({
        code: "custom",
        path: ["electionTimeoutMs"],
        message: `must be [T, 2T] (raft-ts randomizes in [T, 2T)), got [${min}, ${max}]`,
      });
    }
    if (min % c.tickMs !== 0 || c.heartbeatMs % c.tickMs !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["tickMs"],
        message: `electionTimeoutMs[0] (${min}) and heartbeatMs (${c.heartbeatMs}) must be multiples of tickMs (${c.tickMs})`,
      });
    }
    if (c.heartbeatMs >= min) {
      ctx.addIssue({
        code: "custom",
        path: ["heartbeatMs"],
        message: `must be less than the election timeout (heartbeatMs=${c.heartbeatMs}, electionTimeoutMs[0]=${min})`,
      });
    }
    const seen = new Map<string, string>();
    c.nodes.forEach((n, i) => {
      const claims: [string, string][] = [
        [`id ${n.id}`, `nodes[${i}].id`],
        [`address ${n.raft.host}:${n.raft.port}`, `nodes[${i}].raft`],
        [`address ${n.http.host}:${n.http.port}`, `nodes[${i}].http`],
      ];
      for (const [claim, field] of claims) {
        const other = seen.get(claim);
        if (other !== undefined) {
          ctx.addIssue({ code: "custom", path: field.replace(/\[(\d+)\]/, ".$1").split("."), message: `${claim} is also used by ${other}` });
        } else seen.set(claim, field);
      }
    });
  });

function fieldOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" || /^\d+$/.test(String(p)) ? `[${String(p)}]` : `${out ? "." : ""}${String(p)}`;
  return out || "(root)";
}

/** Validate a parsed JSON value as a cluster config; throws ConfigFileError on the first problem. */
export function parseClusterConfig(value: unknown, file?: string): ClusterConfig {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigFileError(fieldOf(issue.path), issue.message, file);
  }
  const c = r.data;
  return {
    clusterId: c.clusterId,
    secret: c.secret,
    apiToken: c.apiToken,
    tickMs: c.tickMs,
    electionTimeoutMs: [c.electionTimeoutMs[0], c.electionTimeoutMs[1]],
    heartbeatMs: c.heartbeatMs,
    dataDir: c.dataDir,
    limits: c.limits,
    snapshot: c.snapshot,
    nodes: c.nodes.map((n) => ({ id: n.id, raft: n.raft, http: n.http, dataDir: n.dataDir })),
    dialOverrides: new Map(Object.entries(c.dialOverrides).map(([id, a]) => [Number(id), a])),
  };
}

export function loadClusterConfig(file: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigFileError("(file)", `cannot read: ${(e as Error).message}`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigFileError("(file)", `not valid JSON: ${(e as Error).message}`, file);
  }
  return parseClusterConfig(json, file);
}

/** The default local cluster: node N on 127.0.0.1, Raft port 500N, HTTP port 800N. */
export function defaultClusterConfig(size = 3): ClusterConfig {
  return parseClusterConfig({
    clusterId: "raft-ts-local",
    nodes: Array.from({ length: size }, (_, i) => ({
      id: i + 1,
      raft: `127.0.0.1:${5001 + i}`,
      http: `127.0.0.1:${8001 + i}`,
    })),
  });
}

/** The node's own entry, or a ConfigFileError naming the id. */
export function nodeOf(config: ClusterConfig, id: number): NodeAddress {
  const n = config.nodes.find((x) => x.id === id);
  if (n === undefined) {
    throw new ConfigFileError("--id", `node ${id} is not in the config (ids: ${config.nodes.map((x) => x.id).join(", ")})`);
  }
  return n;
}

export function dataDirOf(config: ClusterConfig, node: NodeAddress): string {
  return resolve((node.dataDir ?? config.dataDir).replaceAll("{id}", String(node.id)));
}

export function url(a: HostPort): string {
  return `http://${formatHostPort(a)}`;
}

/** 127.0.0.0/8, ::1 and "localhost": addresses no other machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * A node whose Raft port other machines can reach must make its peers prove the cluster
 * secret: without it anyone who can connect could append entries or vote. Refuses (a
 * ConfigFileError) unless the operator says `--insecure`.
 */
export function checkRaftExposure(config: ClusterConfig, self: NodeAddress, insecure: boolean): void {
  if (config.secret !== undefined || insecure || isLoopback(self.raft.host)) return;
  throw new ConfigFileError(
    "secret",
    `node ${self.id} listens for Raft on ${formatHostPort(self.raft)}, which is not a loopback address, and the config sets no secret: ` +
      "anyone who can reach that port could append entries or vote. Set `secret` (16 or more characters, the same on every node), " +
      "or pass --insecure to run without one",
  );
}
