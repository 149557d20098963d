import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One node as the control API reports it. */
export interface NodeEntry {
  readonly id: number;
  readonly pid: number | null;
  readonly running: boolean;
  /** The node's HTTP API base URL. */
  readonly http: string;
}

export type StopSignal = "SIGKILL" | "SIGTERM";

/** What the control API does; the launcher (cluster.ts) implements it over its child processes. */
export interface NodeControl {
  list(): NodeEntry[];
  /** Stop a running node with `signal` and resolve once it exited (or was killed after a grace time). */
  stop(id: number, signal: StopSignal): Promise<{ code: number | null; signal: string | null }>;
  /** Start a stopped node; resolves to its pid. */
  start(id: number): { pid: number | null };
}

export interface ControlServerOptions {
  readonly control: NodeControl;
  /** Origins whose pages may call the API from a browser: the members' HTTP addresses. */
  readonly origins: readonly string[];
}

const ROUTE = /^\/nodes\/([1-9]\d{0,15})\/(stop|start)$/;

/**
 * The launcher's control API (docs/node.md), for the live view's stop and start buttons:
 * GET /nodes, POST /nodes/{id}/stop[?signal=KILL|TERM], POST /nodes/{id}/start. It listens on
 * 127.0.0.1 only. Requests must name the loopback address in Host (a page elsewhere that
 * rebinds a name to 127.0.0.1 is refused), and a browser request must come from one of the
 * members' origins: a page elsewhere cannot stop a node, even with a "simple" POST it could
 * send without a preflight.
 */
export function createControlServer(o: ControlServerOptions): Server {
  const allowed = new Set(o.origins);
  const server = createServer((req, res) => {
    req.resume(); // no route reads a body
    void handle(req, res).catch((e: unknown) => json(res, 500, { error: { code: "error", message: (e as Error).message } }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const address = server.address() as AddressInfo | null;
    const host = (req.headers.host ?? "").toLowerCase();
    if (address === null || (host !== `127.0.0.1:${address.port}` && host !== `localhost:${address.port}`)) {
      return json(res, 403, { error: { code: "bad_host", message: "the control API answers only requests to 127.0.0.1 or localhost" } });
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowed.has(origin)) {
        return json(res, 403, { error: { code: "origin_not_allowed", message: `requests from ${origin} are not allowed: only the cluster's members` } });
      }
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "Origin");
      if (req.method === "OPTIONS") {
        res.setHeader("access-control-allow-methods", "GET, POST");
        res.setHeader("access-control-allow-headers", "Content-Type");
        res.setHeader("access-control-max-age", "600");
        res.writeHead(204).end();
        return;
      }
    }
    const u = new URL(req.url ?? "/", "http://control");
    if (u.pathname === "/nodes") {
      if (req.method !== "GET" && req.method !== "HEAD") return notAllowed(res, "GET");
      return json(res, 200, { nodes: o.control.list() });
    }
    const m = ROUTE.exec(u.pathname);
    if (m === null) return json(res, 404, { error: { code: "not_found", message: `no route for ${req.method} ${u.pathname}` } });
    if (req.method !== "POST") return notAllowed(res, "POST");
    const id = Number(m[1]);
    const entry = o.control.list().find((n) => n.id === id);
    if (entry === undefined) return json(res, 404, { error: { code: "unknown_node", message: `node ${id} is not in this cluster` } });
    if (m[2] === "start") {
      if (entry.running) return json(res, 409, { error: { code: "running", message: `node ${id} is running (pid ${entry.pid})` } });
      const { pid } = o.control.start(id);
      return json(res, 200, { id, pid, running: true });
    }
    const signal = parseSignal(u.searchParams.get("signal"));
    if (signal === undefined) return json(res, 400, { error: { code: "bad_signal", message: "signal must be KILL (the default) or TERM" } });
    if (!entry.running) return json(res, 409, { error: { code: "not_running", message: `node ${id} is not running` } });
    const exit = await o.control.stop(id, signal);
    return json(res, 200, { id, signal, running: false, exit });
  }

  return server;
}

/** Listen on 127.0.0.1:port (0: any free port); resolves to the port. */
export function listenLoopback(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function parseSignal(s: string | null): StopSignal | undefined {
  switch ((s ?? "KILL").toUpperCase()) {
    case "KILL":
    case "SIGKILL":
      return "SIGKILL";
    case "TERM":
    case "SIGTERM":
      return "SIGTERM";
    default:
      return undefined;
  }
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader("allow", allow);
  json(res, 405, { error: { code: "method_not_allowed", message: `use ${allow}` } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) }).end(text);
}
