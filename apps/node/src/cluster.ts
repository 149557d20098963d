import { spawn, type ChildProcess } from "node:child_process";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createControlServer, listenLoopback, type NodeControl, type StopSignal } from "./cluster-control.js";
import { dataDirOf, url, type ClusterConfig } from "./config.js";
import type { LogFormat } from "./logger.js";
import { originOf } from "./ui/cors.js";

/** The control API's port on 127.0.0.1 unless --control-port says otherwise. */
export const DEFAULT_CONTROL_PORT = 8000;
/** How long a node stopped with SIGTERM may take before it is killed. */
const TERM_GRACE_MS = 10_000;

export interface ClusterOptions {
  readonly logLevel: string;
  readonly logFormat: LogFormat;
  /** Where the user ran the command: the nodes resolve relative paths from there. */
  readonly cwd: string;
  /** The cluster: the default local one, or the one in `configFile`. */
  readonly config: ClusterConfig;
  /** The cluster config file the nodes are started with (absolute); none for the default cluster. */
  readonly configFile?: string;
  /**
   * The control API's port on 127.0.0.1 (0: any free port). Given, it must be had; by default
   * 8000 is tried, and if it is taken the cluster runs without the control API.
   */
  readonly controlPort?: number;
}

/**
 * `pnpm start`: a cluster (the default local 3 nodes, or --config's) as child processes of this
 * one. Prints where everything is, the leader as soon as one is elected (and every change), and
 * turns Ctrl-C into a clean shutdown of every node. A control API on 127.0.0.1 (8000 by
 * default) stops and starts nodes, for the live view at /ui on any node: a node that exits,
 * whatever the reason, can be started again from there while this process runs.
 */
export async function runCluster(o: ClusterOptions): Promise<void> {
  const config = o.config;
  const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
  const format = o.logFormat === "auto" ? (process.stdout.isTTY ? "pretty" : "json") : o.logFormat;
  const children = new Map<number, ChildProcess>();
  let stopping = false;

  const isRunning = (c: ChildProcess | undefined): boolean => c !== undefined && c.exitCode === null && c.signalCode === null;
  /** The control API's URL; undefined while it does not listen (the default port was taken). */
  let controlUrl: string | undefined;

  const startNode = (id: number): ChildProcess => {
    const which = o.configFile === undefined ? [String(id)] : ["--config", o.configFile, "--id", String(id)];
    const child = spawn(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), cli, "node", ...which, ...(controlUrl === undefined ? [] : ["--launcher", controlUrl]), "--log-level", o.logLevel, "--log-format", format],
      {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        env: { ...process.env, INIT_CWD: o.cwd },
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    children.set(id, child);
    child.on("exit", (code, signal) => {
      if (children.get(id) === child) children.delete(id);
      if (!stopping) {
        const again =
          controlUrl !== undefined
            ? `start it again from the live view, or: curl -X POST ${controlUrl}/nodes/${id}/start`
            : `start it again with: pnpm start node ${o.configFile === undefined ? id : `--config ${o.configFile} --id ${id}`}`;
        say(`node ${id} exited (${signal ?? `code ${code}`}); ${again}`);
      } else if (![...children.values()].some(isRunning)) {
        process.exit(0);
      }
    });
    return child;
  };

  const control: NodeControl = {
    list: () =>
      config.nodes.map((n) => {
        const c = children.get(n.id);
        const running = isRunning(c);
        return { id: n.id, pid: running ? (c?.pid ?? null) : null, running, http: url(n.http) };
      }),
    start: (id) => ({ pid: startNode(id).pid ?? null }),
    stop: async (id, signal: StopSignal) => {
      const child = children.get(id);
      if (child === undefined || !isRunning(child)) return { code: child?.exitCode ?? null, signal: child?.signalCode ?? null };
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      say(`stopping node ${id} (${signal}) as asked through the control API`);
      child.kill(signal);
      if (signal === "SIGTERM") {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, TERM_GRACE_MS)))]);
        clearTimeout(timer);
        if (isRunning(child)) child.kill("SIGKILL");
      }
      await exited;
      return { code: child.exitCode, signal: child.signalCode };
    },
  };

  const origins = config.nodes.map((n) => originOf(url(n.http))).filter((x): x is string => x !== undefined);
  const server = createControlServer({ control, origins });
  try {
    controlUrl = `http://127.0.0.1:${await listenLoopback(server, o.controlPort ?? DEFAULT_CONTROL_PORT)}`;
  } catch (e) {
    const reason = `the launcher's control API cannot listen on 127.0.0.1:${o.controlPort ?? DEFAULT_CONTROL_PORT}: ${(e as Error).message}`;
    // A port asked for must be had; the default one taken by something else must not keep
    // `pnpm start` from running the cluster: it runs without the stop and start buttons.
    if (o.controlPort !== undefined) {
      process.stderr.write(`raft-ts: ${reason}; choose another port with --control-port\n`);
      process.exit(1);
    }
    say(`${reason}; running without it (the live view cannot stop or start nodes; --control-port <port> picks another port)`);
  }

  for (const n of config.nodes) startNode(n.id);

  say(o.configFile === undefined ? "raft-ts local cluster" : `raft-ts cluster ${config.clusterId} (${o.configFile})`);
  for (const n of config.nodes) {
    const data = relative(o.cwd, dataDirOf(config, n));
    say(`  node ${n.id}: http ${url(n.http)}  raft ${n.raft.host}:${n.raft.port}  data ${data.startsWith("..") ? dataDirOf(config, n) : `./${data}`}  pid ${children.get(n.id)?.pid}`);
  }
  say(`live view: ${url(config.nodes[0]!.http)}/ui`);
  if (controlUrl !== undefined) {
    say(`control: ${controlUrl}/nodes  (POST /nodes/N/stop kills node N, ?signal=TERM stops it cleanly; POST /nodes/N/start starts it again)`);
  }
  say(`try: curl -L -X PUT ${url(config.nodes[0]!.http)}/kv/hello -d world && curl -L ${url(config.nodes[1 % config.nodes.length]!.http)}/kv/hello`);
  say("Ctrl-C stops every node cleanly.");

  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    const running = [...children.values()].filter(isRunning);
    if (running.length === 0) process.exit(0);
    say("stopping every node...");
    for (const child of running) child.kill("SIGTERM");
    setTimeout(() => {
      for (const child of children.values()) if (isRunning(child)) child.kill("SIGKILL");
      process.exit(1);
    }, TERM_GRACE_MS).unref();
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
      const leader = best === undefined ? undefined : config.nodes.find((n) => n.id === best.leader);
      const now = best === undefined ? "" : `leader: node ${best.leader} (term ${best.term})${leader === undefined ? "" : `  ${url(leader.http)}`}`;
      if (now !== "" && now !== announced && !stopping) say(now);
      announced = now || announced;
    })();
  }, 250);
  poll.unref();
}

function say(line: string): void {
  process.stdout.write(`[cluster] ${line}\n`);
}
