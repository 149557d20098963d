import type { NodeId } from "@raft-ts/core";
import type { Logger as PinoLogger } from "pino";
import { formatHostPort, parseHostPort, url, type HostPort } from "../config.js";
import type { MemberAddress } from "./address-book.js";

/** The cluster refused this node for a reason retrying will not change (a 4xx): the node must not start. */
export class JoinRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JoinRefused";
  }
}

export interface JoinOptions {
  /** Any member's HTTP address ("host:port" or a URL); requests are redirected to the leader. */
  readonly via: string;
  readonly id: NodeId;
  readonly self: MemberAddress;
  readonly logger: PinoLogger;
  /** Called with the members the cluster reports, so the node can accept their connections. */
  readonly onMembers: (members: readonly { id: NodeId; raft: HostPort }[]) => void;
  /** Give up after this long (the node keeps running, and can be added by hand). */
  readonly timeoutMs: number;
  /** Stop trying (the node is shutting down). */
  readonly signal?: AbortSignal;
  /** The cluster's apiToken, when it has one (the admin routes need it). */
  readonly token?: string;
}

/** "host:port" or "http://host:port" to a base URL; undefined when it is neither. */
export function joinUrl(address: string): string | undefined {
  if (/^https?:\/\//.test(address)) {
    try {
      const u = new URL(address);
      return u.pathname === "/" && u.search === "" ? u.origin : undefined;
    } catch {
      return undefined;
    }
  }
  const hp = parseHostPort(address);
  return hp === undefined ? undefined : url(hp);
}

const MAX_REDIRECTS = 5;

/** A request that follows the cluster's 307s to the leader (keeping method and body). */
async function request(base: string, path: string, init: { method: string; body?: string; signal?: AbortSignal; token?: string }): Promise<{ status: number; body: unknown }> {
  let target = `${base}${path}`;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await fetch(target, {
      method: init.method,
      redirect: "manual",
      headers: {
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      },
      signal: AbortSignal.any([AbortSignal.timeout(30_000), ...(init.signal === undefined ? [] : [init.signal])]),
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const location = res.headers.get("location");
    if ((res.status === 307 || res.status === 308) && location !== null) {
      await res.body?.cancel();
      target = new URL(location, target).toString();
      continue;
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text for the message
    }
    return { status: res.status, body };
  }
  throw new Error(`more than ${MAX_REDIRECTS} redirects from ${base}${path}`);
}

interface MembersBody {
  members?: { id?: unknown; raft?: unknown }[];
}

/**
 * Join a running cluster (`--join`): learn its members (so their connections are accepted),
 * then ask its leader to add this node, which it does as a learner first and promotes once it
 * has caught up. Retries with backoff while the cluster is busy or unreachable; throws
 * JoinRefused on a refusal that retrying cannot fix.
 */
export async function joinCluster(o: JoinOptions): Promise<void> {
  const base = joinUrl(o.via);
  if (base === undefined) throw new JoinRefused(`--join ${JSON.stringify(o.via)} is not "host:port" or an http URL`);
  const body = JSON.stringify({ id: o.id, raft: formatHostPort(o.self.raft), http: formatHostPort(o.self.http) });
  const auth = o.token === undefined ? {} : { token: o.token };
  const deadline = performance.now() + o.timeoutMs;
  let delay = 200;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) return;
    try {
      const members = await request(base, "/admin/members", { method: "GET", ...auth, ...(o.signal ? { signal: o.signal } : {}) });
      if (members.status === 200) {
        const list = ((members.body as MembersBody).members ?? []).flatMap((m) => {
          const raft = typeof m.raft === "string" ? parseHostPort(m.raft) : undefined;
          return typeof m.id === "number" && raft !== undefined && m.id !== o.id ? [{ id: m.id, raft }] : [];
        });
        o.onMembers(list);
      }
      o.logger.info({ via: base, attempt }, "asking the cluster to add this node");
      const res = await request(base, "/admin/members", { method: "POST", body, ...auth, ...(o.signal ? { signal: o.signal } : {}) });
      if (res.status === 200) {
        o.logger.info({ members: (res.body as MembersBody).members }, "joined the cluster as a voter");
        return;
      }
      const message = JSON.stringify(res.body);
      if (res.status >= 400 && res.status < 500) throw new JoinRefused(`the cluster refused to add node ${o.id} (HTTP ${res.status}): ${message}`);
      o.logger.warn({ status: res.status, body: res.body }, "not added yet; retrying");
    } catch (e) {
      if (e instanceof JoinRefused) throw e;
      if (o.signal?.aborted) return;
      o.logger.warn({ err: (e as Error).message, via: base }, "cannot reach the cluster to join; retrying");
    }
    if (performance.now() + delay > deadline) throw new Error(`could not join through ${base} within ${o.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 2000);
  }
}
