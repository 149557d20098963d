import type { Membership } from "@raft-ts/core";
import type { FastifyInstance } from "fastify";
import { isLoopback, url, type HostPort, type NodeAddress } from "../config.js";
import type { AddressBook } from "../membership/address-book.js";

/** What a cross-origin page may send: the methods of the API and the headers it reads. */
const ALLOW_METHODS = "GET, HEAD, PUT, DELETE, POST";
const ALLOW_HEADERS = "Authorization, Content-Type, X-Client-Id, X-Request-Seq";
/** Response headers a cross-origin page may read besides the basic ones. */
const EXPOSE_HEADERS = "Location, Retry-After, WWW-Authenticate";
/** How long a browser may reuse a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE = 600;

/** The origin (scheme://host[:port], as a browser's Origin header spells it) of a URL, or undefined. */
export function originOf(u: string): string | undefined {
  try {
    const origin = new URL(u).origin;
    return origin === "null" ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * The origins allowed to call this node from a browser (docs/ui.md): the HTTP addresses of the
 * members of the configuration in force (the config file's nodes before the log has one), and
 * the launcher's. Worked out again only when the membership changes.
 */
export function memberOrigins(book: AddressBook, configured: readonly NodeAddress[], launcher: string | undefined): (origin: string) => boolean {
  let cachedFor: Membership | undefined;
  let origins = new Set<string>();
  return (origin) => {
    const m = book.current();
    if (m !== cachedFor || origins.size === 0) {
      cachedFor = m;
      const ids = m.members.length > 0 ? m.members.map((x) => x.id) : configured.map((n) => n.id);
      const next = new Set<string>();
      for (const id of ids) {
        const a = book.lookup(id);
        const o = a === undefined ? undefined : originOf(url(a.http));
        if (o !== undefined) next.add(o);
      }
      const l = launcher === undefined ? undefined : originOf(launcher);
      if (l !== undefined) next.add(l);
      origins = next;
    }
    return origins.has(origin);
  };
}

/**
 * For a node whose HTTP API listens on a loopback address: the Host names it answers to (its own
 * address, 127.x.x.x, localhost and [::1]). Only this machine can reach it, so a
 * request naming any other host came through a name someone else controls that resolves here:
 * a page doing DNS rebinding in a local browser, which would otherwise count as the node's own
 * origin and could read, write and administer a cluster without an apiToken. Undefined for a
 * node on another address, which clients may reach under any name.
 */
export function loopbackHosts(http: HostPort): ((host: string | undefined) => boolean) | undefined {
  if (!isLoopback(http.host)) return undefined;
  const own = http.host.toLowerCase();
  return (host) => {
    // No Host at all (HTTP/1.0 tools) is not a browser: browsers always send one.
    if (host === undefined) return true;
    // The name without its port: the port a rebinding page uses is ours anyway.
    const h = host.toLowerCase();
    const name = h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : h.replace(/:\d*$/, "");
    return name === own || name === "localhost" || name === "[::1]" || `[${own}]` === name || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
  };
}

/**
 * CORS for the API: a request from an allowed origin gets Access-Control-Allow-Origin (on every
 * answer, redirects and errors included, since it is set before anything else runs), and a
 * preflight is answered here. A request whose Origin is neither allowed nor this server's own
 * (a page elsewhere, or "null") is refused with 403 before it reaches any route: a browser
 * would not let that page read the answer, and a write must not happen on its behalf either.
 * A request without an Origin header (curl, other nodes, same-origin navigation) costs one
 * property read (two on a loopback node, whose Host is checked first: see loopbackHosts).
 */
export function registerCors(app: FastifyInstance, allowed: (origin: string) => boolean, hostAllowed?: (host: string | undefined) => boolean): void {
  app.addHook("onRequest", (req, reply, done) => {
    if (hostAllowed !== undefined && !hostAllowed(req.headers.host)) {
      void reply.code(403).send({ error: { code: "host_not_allowed", message: "this node listens on a loopback address and answers only requests to 127.0.0.1, localhost or [::1]" } });
      return;
    }
    const origin = req.headers.origin;
    if (origin === undefined) {
      done();
      return;
    }
    reply.header("vary", "Origin");
    const ok = allowed(origin);
    if (ok) {
      reply.header("access-control-allow-origin", origin);
      reply.header("access-control-expose-headers", EXPOSE_HEADERS);
    } else if (!sameOrigin(origin, req.headers.host)) {
      void reply.code(403).send({ error: { code: "origin_not_allowed", message: `requests from ${origin} are not allowed: only the cluster's members and its launcher` } });
      return;
    }
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      reply.header("access-control-allow-methods", ALLOW_METHODS);
      reply.header("access-control-allow-headers", ALLOW_HEADERS);
      reply.header("access-control-max-age", String(PREFLIGHT_MAX_AGE));
      void reply.code(204).send();
      return;
    }
    done();
  });
}

/** The page making the request was served by this server (under the name the request used). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  return host !== undefined && origin.toLowerCase() === `http://${host.toLowerCase()}`;
}
