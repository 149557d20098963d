import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { checkRaftExposure, ConfigFileError, defaultClusterConfig, isLoopback, loadClusterConfig, nodeOf, type ClusterConfig } from "./config.js";
import { DEFAULT_CONTROL_PORT, runCluster } from "./cluster.js";
import { createLogger, type LogFormat } from "./logger.js";
import { StorageWriteError } from "@raft-ts/storage-sqlite";
import { JoinRefused } from "./membership/join.js";
import { runNode } from "./run-node.js";

/** Paths users type are relative to where they ran pnpm, not to this package. */
const userCwd = process.env.INIT_CWD ?? process.cwd();

function positiveId(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`a node id is a positive integer, got "${value}"`);
  return n;
}

function httpUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected an http:// URL, got "${value}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new InvalidArgumentError(`expected an http:// URL, got "${value}"`);
  return u.origin;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`a port is 0..65535, got "${value}"`);
  return n;
}

function fail(message: string): never {
  process.stderr.write(`raft-ts: ${message}\n`);
  process.exit(2);
}

/** Relative data directories are taken from where the user ran the command. */
function anchored(config: ClusterConfig): ClusterConfig {
  const base = (p: string) => resolve(userCwd, p);
  return { ...config, dataDir: base(config.dataDir), nodes: config.nodes.map((n) => ({ ...n, dataDir: n.dataDir === undefined ? undefined : base(n.dataDir) })) };
}

const logOptions = [
  new Option("--log-level <level>", "pino log level").choices(["trace", "debug", "info", "warn", "error"]).default("info"),
  new Option("--log-format <format>", "pretty in a terminal, JSON lines otherwise").choices(["auto", "pretty", "json"]).default("auto"),
];

const program = new Command("raft-ts")
  .description(
    "raft-ts: a replicated key-value store on Raft.\n" +
      "With no command: start a local 3-node cluster (node N: Raft 127.0.0.1:500N, HTTP 127.0.0.1:800N, data ./data/node-N), " +
      `or --config's cluster, with a control API on 127.0.0.1:${DEFAULT_CONTROL_PORT} and the live view at http://<node>/ui.`,
  )
  .showHelpAfterError()
  // The launcher's options come before a command: `node --config` is the node's own.
  .enablePositionalOptions()
  .option("--config <file>", "run this cluster (JSON, as for `node --config`) instead of the default local one")
  .option("--control-port <port>", `the launcher's control API port on 127.0.0.1 (0: any free port; default ${DEFAULT_CONTROL_PORT}, and without it if that is taken)`, port);
for (const o of logOptions) program.addOption(o);
program.action(async (opts: { config?: string; controlPort?: number; logLevel: string; logFormat: LogFormat }) => {
  let config: ClusterConfig;
  let configFile: string | undefined;
  try {
    if (opts.config === undefined) {
      config = anchored(defaultClusterConfig());
    } else {
      configFile = resolve(userCwd, opts.config);
      config = anchored(loadClusterConfig(configFile));
    }
    for (const n of config.nodes) checkRaftExposure(config, n, false);
  } catch (e) {
    if (e instanceof ConfigFileError) fail(e.message);
    throw e;
  }
  await runCluster({
    logLevel: opts.logLevel,
    logFormat: opts.logFormat,
    cwd: userCwd,
    config,
    ...(configFile === undefined ? {} : { configFile }),
    ...(opts.controlPort === undefined ? {} : { controlPort: opts.controlPort }),
  });
});

const nodeCommand = program
  .command("node")
  .description("run one node: `node <id>` joins the default local cluster; `node --config FILE --id N` any cluster")
  .argument("[id]", "node id in the default local cluster (1..3)", positiveId)
  .option("--config <file>", "cluster config (JSON); see docs/node.md")
  .option("--id <id>", "this node's id in --config", positiveId)
  .option(
    "--join <address>",
    "join a running cluster through any member's HTTP address (host:port) instead of bootstrapping one; " +
      "in the default local cluster, node N > 3 uses Raft port 500N and HTTP port 800N",
  )
  .option("--insecure", "allow a Raft address other machines can reach without a cluster secret (peers then prove nothing)")
  .option("--launcher <url>", "the control URL of the `pnpm start` launcher that runs this node (set by the launcher; shown by the live view)", httpUrl);
for (const o of logOptions) nodeCommand.addOption(o);
nodeCommand.action(async (idArg: number | undefined, opts: { config?: string; id?: number; join?: string; insecure?: boolean; launcher?: string; logLevel: string; logFormat: LogFormat }) => {
  let config: ClusterConfig;
  let id: number;
  try {
    if (opts.config !== undefined) {
      if (opts.id === undefined) fail("--config needs --id <id>");
      if (idArg !== undefined && idArg !== opts.id) fail(`node id given twice: ${idArg} and --id ${opts.id}`);
      config = loadClusterConfig(resolve(userCwd, opts.config));
      id = opts.id;
    } else {
      id = idArg ?? opts.id ?? fail("which node? `node <id>` (1..3), or `node --config FILE --id N`");
      // A node joining the local cluster gets the next addresses of the same pattern.
      config = defaultClusterConfig(opts.join !== undefined ? Math.max(3, id) : 3);
    }
    config = anchored(config);
    if (!config.nodes.some((n) => n.id === id)) {
      throw new ConfigFileError("--id", `node ${id} is not in the cluster (ids: ${config.nodes.map((n) => n.id).join(", ")})`);
    }
    checkRaftExposure(config, nodeOf(config, id), opts.insecure === true);
  } catch (e) {
    if (e instanceof ConfigFileError) fail(e.message);
    throw e;
  }

  const logger = createLogger({ nodeId: id, level: opts.logLevel, format: opts.logFormat });
  const self = nodeOf(config, id);
  if (opts.insecure === true && config.secret === undefined && !isLoopback(self.raft.host)) {
    logger.warn({ raft: `${self.raft.host}:${self.raft.port}` }, "--insecure: Raft is reachable from other machines and peers prove nothing");
  }
  let running: Awaited<ReturnType<typeof runNode>> | undefined;
  const stop = (signal: string) => {
    logger.info({ signal }, "signal received");
    void (running?.shutdown() ?? Promise.resolve()).then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  try {
    running = await runNode(
      config,
      id,
      logger,
      (e) => {
        if (e instanceof JoinRefused) logger.fatal({ err: e }, e.message);
        else if (e instanceof StorageWriteError) logger.fatal({ err: e }, "a write could not be made durable; stopping so nothing unpersisted is acknowledged");
        else logger.fatal({ err: e }, `stopping: a broken invariant (a bug, or damaged data): ${(e as Error).message}`);
        process.exit(1);
      },
      { ...(opts.join === undefined ? {} : { join: opts.join }), ...(opts.launcher === undefined ? {} : { launcher: opts.launcher }) },
    );
  } catch (e) {
    logger.fatal({ err: e }, `cannot start node ${id}: ${(e as Error).message}`);
    process.exit(1);
  }
});

await program.parseAsync(process.argv);
