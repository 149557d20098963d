// A 3-member etcd cluster from the `etcd` binary on PATH (Debian's etcd-server), on 127.0.0.1,
// with the same heartbeat and election timeout as raft-ts, written to through its v3 JSON
// gateway (POST /v3/kv/put with base64 key and value). etcd fsyncs its WAL before it answers.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pool } from "undici";
import { freePort, sleep, stopProcess } from "../../../node/test/cluster-harness.js";
import { onInterrupt } from "../../../node/test/interrupt-cleanup.js";
import type { ClusterTiming, RunningTarget } from "./target.js";

/** The etcd binary's version, or undefined when there is none on PATH. */
export function etcdVersion(binary = "etcd"): string | undefined {
  const r = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) return undefined;
  return /etcd Version: (\S+)/.exec(r.stdout)?.[1];
}

interface Member {
  readonly name: string;
  readonly client: string;
  readonly peer: string;
}

interface StatusResponse {
  header?: { member_id?: string; revision?: string };
  leader?: string;
}

async function memberStatus(client: string): Promise<StatusResponse | undefined> {
  try {
    const res = await fetch(`${client}/v3/maintenance/status`, { method: "POST", body: "{}", signal: AbortSignal.timeout(1000) });
    return res.ok ? ((await res.json()) as StatusResponse) : undefined;
  } catch {
    return undefined;
  }
}

export async function startEtcd(nodes: number, timing: ClusterTiming, binary = "etcd"): Promise<RunningTarget> {
  const version = etcdVersion(binary);
  if (version === undefined) {
    throw new Error(`no working \`${binary}\` on PATH: install Debian's etcd-server package (apt-get install etcd-server) to compare with etcd`);
  }
  const dir = mkdtempSync(join(tmpdir(), "raft-bench-etcd-"));
  const procs = new Set<ChildProcess>();
  const stop = async () => {
    await Promise.all([...procs].map((p) => stopProcess(p, "SIGTERM")));
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onInterrupt(stop);

  try {
    const members: Member[] = [];
    for (let i = 1; i <= nodes; i++) {
      members.push({ name: `e${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
    }
    const initialCluster = members.map((m) => `${m.name}=${m.peer}`).join(",");
    for (const m of members) {
      const log = createWriteStream(join(dir, `${m.name}.log`));
      const p = spawn(
        binary,
        [
          `--name=${m.name}`,
          `--data-dir=${join(dir, m.name)}`,
          `--listen-client-urls=${m.client}`,
          `--advertise-client-urls=${m.client}`,
          `--listen-peer-urls=${m.peer}`,
          `--initial-advertise-peer-urls=${m.peer}`,
          `--initial-cluster=${initialCluster}`,
          "--initial-cluster-state=new",
          "--initial-cluster-token=raft-ts-bench",
          `--heartbeat-interval=${timing.heartbeatMs}`,
          `--election-timeout=${timing.electionMs}`,
          "--logger=zap",
          "--log-level=warn",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      p.stdout!.pipe(log);
      p.stderr!.pipe(log);
      procs.add(p);
    }

    const leaderOrigin = async (): Promise<string> => {
      const deadline = performance.now() + 60_000;
      while (performance.now() < deadline) {
        for (const m of members) {
          const s = await memberStatus(m.client);
          if (s?.leader !== undefined && s.leader !== "0" && s.header?.member_id === s.leader) return m.client;
        }
        for (const p of procs) {
          if (p.exitCode !== null) {
            const logs = members.map((m) => readFileSync(join(dir, `${m.name}.log`), "utf8").trim().split("\n").slice(-3).join("\n"));
            throw new Error(`etcd exited with status ${p.exitCode}; the end of its logs:\n${logs.join("\n")}`);
          }
        }
        await sleep(50);
      }
      throw new Error(`etcd elected no leader within 60 s (logs in ${dir})`);
    };
    await leaderOrigin();

    return {
      target: "etcd",
      version,
      leaderOrigin,
      async put(pool: Pool, key: string, value: Uint8Array) {
        const body = `{"key":"${Buffer.from(key).toString("base64")}","value":"${Buffer.from(value).toString("base64")}"}`;
        const res = await pool.request({ method: "POST", path: "/v3/kv/put", body, headers: { "content-type": "application/json" } });
        await res.body.dump();
        return res.statusCode === 200;
      },
      async read(key: string) {
        const res = await fetch(`${await leaderOrigin()}/v3/kv/range`, {
          method: "POST",
          body: JSON.stringify({ key: Buffer.from(key).toString("base64") }),
          signal: AbortSignal.timeout(5000),
        });
        if (!res.ok) throw new Error(`etcd range ${key}: ${res.status}`);
        const body = (await res.json()) as { kvs?: { value?: string }[] };
        const value = body.kvs?.[0]?.value;
        return value === undefined ? undefined : new Uint8Array(Buffer.from(value, "base64"));
      },
      async committedCount() {
        const s = await memberStatus(await leaderOrigin());
        const revision = Number(s?.header?.revision);
        if (!Number.isSafeInteger(revision)) throw new Error("etcd's status has no revision");
        return revision;
      },
      nodeOrigins() {
        return members.map((m) => m.client);
      },
      async stop() {
        unregister();
        await stop();
      },
    };
  } catch (e) {
    unregister();
    await stop();
    throw e;
  }
}
