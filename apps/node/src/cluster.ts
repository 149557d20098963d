import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { defaultClusterConfig, url } from "./config.js";
import type { LogFormat } from "./logger.js";

/**
 * `pnpm start`: the default 3-node cluster as child processes of this one. Prints where
 * everything is, the leader as soon as one is elected (and every change), and turns Ctrl-C into
 * a clean shutdown of every node.
 */
export async function runCluster(o: { logLevel: string; logFormat: LogFormat; cwd: string }): Promise<void> {
  const config = defaultClusterConfig();
  const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
  const format = o.logFormat === "auto" ? (process.stdout.isTTY ? "pretty" : "json") : o.logFormat;
  const children = new Map<number, ChildProcess>();
  let stopping = false;

  for (const n of config.nodes) {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), cli, "node", String(n.id), "--log-level", o.logLevel, "--log-format", format], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: { ...process.env, INIT_CWD: o.cwd },
      stdio: ["ignore", "inherit", "inherit"],
    });
    children.set(n.id, child);
    child.on("exit", (code, signal) => {
      children.delete(n.id);
      if (!stopping) say(`node ${n.id} exited (${signal ?? `code ${code}`}); restart it with: pnpm start node ${n.id}`);
      if (children.size === 0) process.exit(0);
    });
  }

  say("raft-ts local cluster");
  for (const n of config.nodes) {
    say(`  node ${n.id}: http ${url(n.http)}  raft ${n.raft.host}:${n.raft.port}  data ./data/node-${n.id}  pid ${children.get(n.id)?.pid}`);
  }
  say(`try: curl -L -X PUT ${url(config.nodes[0]!.http)}/kv/hello -d world && curl -L ${url(config.nodes[1]!.http)}/kv/hello`);
  say("Ctrl-C stops every node cleanly.");

  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    say("stopping every node...");
    for (const child of children.values()) child.kill("SIGTERM");
    setTimeout(() => {
      for (const child of children.values()) child.kill("SIGKILL");
      process.exit(1);
    }, 10_000).unref();
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  // Watch for the leader: print it when it is first known and whenever it changes.
  let announced = "";
  const poll = setInterval(() => {
    void (async () => {
      const seen = await Promise.all(
        config.nodes.map(async (n) => {
          try {
            const res = await fetch(`${url(n.http)}/status`, { signal: AbortSignal.timeout(500) });
            return (await res.json()) as { leader: number | null; term: number };
          } catch {
            return undefined;
          }
        }),
      );
      const best = seen.filter((s) => s?.leader).sort((a, b) => b!.term - a!.term)[0];
      const now = best === undefined ? "" : `leader: node ${best.leader} (term ${best.term})  ${url(config.nodes.find((n) => n.id === best.leader)!.http)}`;
      if (now !== "" && now !== announced && !stopping) say(now);
      announced = now || announced;
    })();
  }, 250);
  poll.unref();
}

function say(line: string): void {
  process.stdout.write(`[cluster] ${line}\n`);
}
