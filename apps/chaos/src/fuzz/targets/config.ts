import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { ConfigFileError, loadClusterConfig, type ClusterConfig } from "../../../../node/src/config.js";
import { jsonInputsFrom } from "../json-mutate.js";
import { trickyStringArb } from "../strings.js";
import { accepted, FuzzFailure, rejected, type InProcessTarget, type Outcome } from "../types.js";

const hostArb = fc.constantFrom("127.0.0.1", "localhost", "[::1]", "10.0.0.7", "node-a.example", "[fe80::1]");

/** Valid cluster configs (docs/node.md): timing consistent with the tick, distinct ids and addresses. */
const validConfigArb: fc.Arbitrary<unknown> = fc
  .record({
    clusterId: trickyStringArb(30).filter((s) => s.length >= 1 && s.length <= 255),
    secret: fc.option(fc.string({ minLength: 16, maxLength: 40 }), { nil: undefined }),
    apiToken: fc.option(fc.string({ minLength: 16, maxLength: 40 }), { nil: undefined }),
    tick: fc.constantFrom(1, 5, 10, 20),
    electionTicks: fc.integer({ min: 2, max: 30 }),
    heartbeatTicks: fc.integer({ min: 1, max: 29 }),
    dataDir: fc.option(fc.constantFrom("./data/node-{id}", "/var/lib/raft/{id}", "d"), { nil: undefined }),
    limits: fc.option(
      fc.record(
        {
          maxKeyBytes: fc.integer({ min: 1, max: 64 * 1024 }),
          maxValueBytes: fc.integer({ min: 1, max: 64 * 1024 * 1024 }),
          maxPendingRequests: fc.integer({ min: 1, max: 100_000 }),
          requestTimeoutMs: fc.integer({ min: 1, max: 60_000 }),
          maxHttpConnections: fc.integer({ min: 1, max: 10_000 }),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
    snapshot: fc.option(fc.record({ everyEntries: fc.integer({ min: 1, max: 1e6 }), keepEntries: fc.nat({ max: 1e5 }) }, { requiredKeys: [] }), { nil: undefined }),
    nodes: fc.uniqueArray(fc.record({ id: fc.integer({ min: 1, max: 1000 }), host: hostArb, port: fc.integer({ min: 1, max: 30_000 }) }), {
      minLength: 1,
      maxLength: 5,
      selector: (n) => n.id,
    }),
    overrides: fc.boolean(),
  })
  .map((c) => {
    const heartbeat = Math.min(c.heartbeatTicks, c.electionTicks - 1);
    // Raft and HTTP ports from disjoint ranges, distinct per node: no address used twice.
    const nodes = c.nodes.map((n, i) => ({ id: n.id, raft: `${n.host}:${i + 1}`, http: `${n.host}:${30_001 + i}` }));
    const doc: Record<string, unknown> = {
      clusterId: c.clusterId,
      tickMs: c.tick,
      electionTimeoutMs: [c.electionTicks * c.tick, 2 * c.electionTicks * c.tick],
      heartbeatMs: heartbeat * c.tick,
      nodes,
    };
    if (c.secret !== undefined) doc.secret = c.secret;
    if (c.apiToken !== undefined) doc.apiToken = c.apiToken;
    if (c.dataDir !== undefined) doc.dataDir = c.dataDir;
    if (c.limits !== undefined) doc.limits = c.limits;
    if (c.snapshot !== undefined) doc.snapshot = c.snapshot;
    if (c.overrides) doc.dialOverrides = Object.fromEntries(nodes.map((n) => [String(n.id), `127.0.0.1:${40_000 + n.id}`]));
    return doc;
  });

const KEY_NAMES = [
  "clusterId",
  "secret",
  "apiToken",
  "tickMs",
  "electionTimeoutMs",
  "heartbeatMs",
  "dataDir",
  "limits",
  "snapshot",
  "dialOverrides",
  "nodes",
  "id",
  "raft",
  "http",
  "maxKeyBytes",
  "maxValueBytes",
  "everyEntries",
  "keepEntries",
  "1",
  "0",
];

export interface ConfigCase {
  readonly text: Uint8Array;
  readonly origin: string;
}

/** Invariants parseClusterConfig promises of a config it accepts. */
function checkAccepted(c: ClusterConfig): void {
  const [min, max] = c.electionTimeoutMs;
  const problems: string[] = [];
  if (max !== 2 * min) problems.push(`electionTimeoutMs ${min}, ${max} is not [T, 2T]`);
  if (c.heartbeatMs >= min) problems.push("heartbeat not below the election timeout");
  if (min % c.tickMs !== 0 || c.heartbeatMs % c.tickMs !== 0) problems.push("timeouts not multiples of the tick");
  if (c.nodes.length === 0) problems.push("no nodes");
  if (new Set(c.nodes.map((n) => n.id)).size !== c.nodes.length) problems.push("duplicate node ids");
  for (const n of c.nodes) {
    for (const a of [n.raft, n.http]) if (!(Number.isInteger(a.port) && a.port >= 1 && a.port <= 65535)) problems.push(`port ${a.port}`);
  }
  for (const id of c.dialOverrides.keys()) if (!Number.isSafeInteger(id) || id < 1) problems.push(`dialOverrides key ${id}`);
  if (problems.length > 0) throw new FuzzFailure("invariant", `accepted a config that breaks its own rules: ${problems.join("; ")}`);
}

let file: string | undefined;

/**
 * apps/node's config loading, exactly as `node --config FILE` does it: the file's text read,
 * parsed as JSON and validated (loadClusterConfig). Typed rejection: ConfigFileError, which
 * names the field; anything else thrown is a crash.
 */
export const configTarget: InProcessTarget<ConfigCase> = {
  name: "config",
  description: "apps/node config loading and validation (loadClusterConfig) on mutated JSON files",
  arbitrary: jsonInputsFrom(validConfigArb, KEY_NAMES),
  show: (c) => c.text,
  setup(scratchDir) {
    file = join(scratchDir, "cluster.json");
  },
  run(c): Outcome {
    if (file === undefined) throw new Error("configTarget.setup() was not called");
    writeFileSync(file, c.text);
    let config: ClusterConfig;
    try {
      config = loadClusterConfig(file);
    } catch (e) {
      if (e instanceof ConfigFileError) {
        return rejected(e.field === "(file)" ? `(file): ${e.problem.split(":")[0]}` : e.field.replace(/\[\d+\]/g, "[N]"));
      }
      throw e;
    }
    checkAccepted(config);
    return accepted();
  },
};
