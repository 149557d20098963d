/**
 * The logging the core needs: structured, levelled, no formatting decisions. apps/node plugs
 * in pino; the simulator plugs in its trace.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}
