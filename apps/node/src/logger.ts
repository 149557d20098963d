import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "auto" | "pretty" | "json";

/**
 * The one root logger of a node process: pretty in a terminal, JSON lines otherwise, every line
 * bound to the node id. Subsystems take children ({ component }).
 */
export function createLogger(options: { nodeId?: number; level?: string; format?: LogFormat }): Logger {
  const format = options.format ?? "auto";
  const usePretty = format === "pretty" || (format === "auto" && process.stdout.isTTY === true);
  const base = options.nodeId === undefined ? {} : { node: options.nodeId };
  const opts = { level: options.level ?? "info", base, redact: ["secret", "*.secret"] };
  if (!usePretty) return pino(opts);
  const stream = pretty({ colorize: true, sync: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" });
  return pino(opts, stream);
}
