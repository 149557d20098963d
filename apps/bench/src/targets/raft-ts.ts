// raft-ts as users run it: `pnpm start node --config ... --id N` processes, TCP between them,
// SQLite with fsync, the HTTP API on 127.0.0.1.
import type { Pool } from "undici";
import { ProcessCluster } from "../../../node/test/cluster-harness.js";
import { onInterrupt } from "../../../node/test/interrupt-cleanup.js";
import type { ClusterTiming, RunningTarget } from "./target.js";

export async function startRaftTs(nodes: number, timing: ClusterTiming): Promise<RunningTarget> {
  const c = new ProcessCluster(nodes);
  const unregister = onInterrupt(() => c.stop());
  try {
    await c.init({ electionTimeoutMs: [timing.electionMs, 2 * timing.electionMs], heartbeatMs: timing.heartbeatMs });
    c.startAll();
    await c.waitForLeader(60_000);
  } catch (e) {
    unregister();
    await c.stop();
    throw e;
  }
  const pkg = (await import("../../../node/package.json", { with: { type: "json" } })).default as { version: string };
  return {
    target: "raft-ts",
    version: pkg.version,
    async leaderOrigin() {
      return c.url(await c.waitForLeader(60_000));
    },
    async put(pool: Pool, key: string, value: Uint8Array) {
      const res = await pool.request({ method: "PUT", path: `/kv/${key}`, body: value, headers: { "content-type": "application/octet-stream" } });
      await res.body.dump();
      return res.statusCode === 200;
    },
    async read(key: string) {
      const res = await fetch(`${c.url(await c.waitForLeader(60_000))}/kv/${key}`, { signal: AbortSignal.timeout(5000) });
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`GET /kv/${key}: ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
    async committedCount() {
      const leader = await c.waitForLeader(60_000);
      const status = await c.status(leader);
      if (status === undefined) throw new Error(`node ${leader} did not answer /status`);
      return status.commit;
    },
    nodeOrigins() {
      return Array.from({ length: nodes }, (_, i) => c.url(i + 1));
    },
    async stop() {
      unregister();
      await c.stop();
    },
  };
}
