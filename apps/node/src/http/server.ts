import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { voterIds } from "@raft-ts/core";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger as PinoLogger } from "pino";
import { z } from "zod";
import type { ClusterConfig, NodeAddress } from "../config.js";
import { formatHostPort, parseHostPort, url } from "../config.js";
import type { KvCommand } from "../kv/commands.js";
import type { KvStateMachine } from "../kv/state-machine.js";
import { AddressBook } from "../membership/address-book.js";
import { addMember, describeMembers, removeMember, type AddMemberOutcome } from "../membership/admin.js";
import type { NodeMetrics } from "../metrics/node-metrics.js";
import type { RaftDriver, WriteOutcome } from "../raft-driver.js";
import { loopbackHosts, memberOrigins, registerCors } from "../ui/cors.js";
import { registerEventStream, type EventFeed } from "../ui/event-stream.js";
import { registerUiFiles } from "../ui/static-files.js";

export interface HttpServerOptions {
  readonly config: ClusterConfig;
  readonly self: NodeAddress;
  readonly driver: RaftDriver;
  readonly kv: KvStateMachine;
  readonly logger: PinoLogger;
  /** When given, GET /metrics serves it and every request's duration is recorded. */
  readonly metrics?: NodeMetrics;
  /** Where members are (the membership's addresses); by default the config file's nodes. */
  readonly book?: AddressBook;
  /** The live view's events (ui/event-hub.ts): served at GET /events when given. */
  readonly events?: EventFeed;
  /** The event streams' bounds (defaults: docs/ui.md); tests make them small. */
  readonly eventStream?: { readonly maxUnsentBytes?: number; readonly keepAliveMs?: number };
  /** The URL of the `pnpm start` launcher that started this node: a page there may call the API. */
  readonly launcher?: string;
  /** Where the live view's files are (default apps/node/ui). */
  readonly uiDir?: string;
}

/** POST /admin/members: the node to add, and where it listens. */
const addMemberBody = z
  .object({
    id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    raft: z.string().max(300).refine((s) => parseHostPort(s) !== undefined, 'must be "host:port"'),
    http: z.string().max(300).refine((s) => parseHostPort(s) !== undefined, 'must be "host:port"'),
    role: z.enum(["voter", "learner"]).default("voter"),
  })
  .strict();

interface KeyParams {
  key: string;
}

const encoder = new TextEncoder();

/**
 * The HTTP API (DESIGN.md, docs/node.md): PUT/GET/DELETE /kv/{key}, /status, /healthz, /readyz,
 * /metrics, /admin/*, and the live view (/ui, /events; docs/ui.md). Errors are JSON
 * { error: { code, message } } with a 4xx or 5xx status; nothing a client sends can crash the
 * node.
 */
export function buildHttpServer(o: HttpServerOptions): FastifyInstance {
  const { limits } = o.config;
  const app = Fastify({
    logger: false,
    bodyLimit: limits.maxValueBytes,
    // A percent-encoded key may be up to three bytes of URL per byte of key.
    routerOptions: { maxParamLength: limits.maxKeyBytes * 3 + 16 },
    return503OnClosing: true,
    // What the router refuses before any route runs gets the API's error shape too.
    frameworkErrors: (err, req, reply) => {
      if (err.code === "FST_ERR_MAX_PARAM_LENGTH") {
        return req.url.startsWith("/kv/")
          ? error(reply, 413, "key_too_large", `the key is longer than ${limits.maxKeyBytes} bytes`)
          : error(reply, 414, "path_too_long", "a path segment is too long");
      }
      return error(reply, 400, err.code === "FST_ERR_BAD_URL" ? "bad_url" : "bad_request", err.message);
    },
  });

  // Each connection costs memory: past the limit, new ones are closed as they arrive.
  app.server.maxConnections = limits.maxHttpConnections;

  // Values are opaque bytes: take every body as a Buffer, whatever its content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.setNotFoundHandler((req, reply) => error(reply, 404, "not_found", `no route for ${req.method} ${req.url}`));

  const book = o.book ?? new AddressBook(o.config.nodes);
  // First of the hooks, so that every answer to an allowed page (401s and redirects included)
  // carries CORS headers, and preflights need no token.
  registerCors(app, memberOrigins(book, o.config.nodes, o.launcher), loopbackHosts(o.self.http));

  // With an apiToken, writes and every admin route need it; reads, /status, /metrics and the
  // health checks stay open (monitoring must not need a secret). Routes are matched by their
  // pattern, not the raw URL, so no spelling of a path slips past. Compared as hashes in
  // constant time, so timing reveals nothing of the token.
  const token = o.config.apiToken;
  if (token !== undefined) {
    const expected = createHash("sha256").update(token).digest();
    app.addHook("onRequest", async (req, reply) => {
      const route = req.routeOptions.url;
      const guarded = route?.startsWith("/admin/") === true || (route === "/kv/:key" && req.method !== "GET" && req.method !== "HEAD");
      if (!guarded) return;
      const header = req.headers.authorization;
      const given = typeof header === "string" && header.startsWith("Bearer ") ? header.slice(7) : "";
      if (timingSafeEqual(createHash("sha256").update(given).digest(), expected)) return;
      reply.header("www-authenticate", 'Bearer realm="raft-ts"');
      return error(reply, 401, "unauthorized", `${req.method} ${route} needs the header Authorization: Bearer <apiToken>`);
    });
  }
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) o.logger.error({ err }, "request failed");
    const code = err.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "value_too_large" : (err.code ?? "error").toLowerCase();
    return error(reply, status, code, err.message);
  });

  const leaderUrl = (leaderId: number): string | undefined => {
    const leader = book.lookup(leaderId);
    return leader === undefined ? undefined : url(leader.http);
  };

  /** Send the client to the leader (307 keeps the method and body), or 503 when none is known. */
  const redirect = (req: FastifyRequest, reply: FastifyReply, leaderId: number | undefined) => {
    const target = leaderId === undefined ? undefined : leaderUrl(leaderId);
    if (target === undefined || leaderId === o.self.id) {
      reply.header("retry-after", "1");
      return error(reply, 503, "no_leader", "no leader is known right now; retry shortly");
    }
    reply.header("location", `${target}${req.url}`);
    return reply.code(307).send({ leader: leaderId, location: `${target}${req.url}` });
  };

  const validKey = (reply: FastifyReply, key: string): boolean => {
    if (key.length === 0) {
      void error(reply, 400, "bad_key", "the key is empty");
      return false;
    }
    const bytes = encoder.encode(key).length;
    if (bytes > limits.maxKeyBytes) {
      void error(reply, 413, "key_too_large", `the key is ${bytes} bytes; the limit is ${limits.maxKeyBytes}`);
      return false;
    }
    return true;
  };

  /** Client id and request sequence for exactly-once retries; a request without them gets fresh ones. */
  const session = (req: FastifyRequest, reply: FastifyReply): { clientId: string; seq: number } | undefined => {
    const id = req.headers["x-client-id"];
    const seqHeader = req.headers["x-request-seq"];
    if (id === undefined && seqHeader === undefined) return { clientId: randomUUID(), seq: 1 };
    if (typeof id !== "string" || id.length === 0 || id.length > 128) {
      void error(reply, 400, "bad_client_id", "x-client-id must be 1..128 characters, sent with x-request-seq");
      return undefined;
    }
    const seq = Number(seqHeader);
    if (typeof seqHeader !== "string" || !Number.isSafeInteger(seq) || seq < 1) {
      void error(reply, 400, "bad_request_seq", "x-request-seq must be a positive integer, sent with x-client-id");
      return undefined;
    }
    return { clientId: id, seq };
  };

  const answerWrite = (req: FastifyRequest, reply: FastifyReply, key: string, outcome: WriteOutcome) => {
    switch (outcome.type) {
      case "applied": {
        const r = outcome.result;
        switch (r.op) {
          case "put":
            return reply.code(200).send({ key, index: r.index });
          case "delete":
            return reply.code(200).send({ key, index: r.index, existed: r.existed });
          case "rejected":
            return error(reply, 409, "rejected", r.reason);
        }
        break;
      }
      case "not-leader":
        return redirect(req, reply, outcome.leaderId);
      case "lost":
        reply.header("retry-after", "1");
        return error(reply, 503, "not_committed", "leadership changed before the write committed; it was not applied, retry");
      case "timeout":
        return error(reply, 504, "outcome_unknown", "no answer in time: the write may or may not be applied; retry with the same x-client-id and x-request-seq");
      case "overloaded":
        reply.header("retry-after", "1");
        return error(reply, 503, "overloaded", "too many requests are waiting; retry shortly");
      case "transferring":
        reply.header("retry-after", "1");
        return error(reply, 503, "leadership_transfer", `this leader is handing over to node ${outcome.to}; retry shortly`);
      case "storage-full":
        return storageFull(reply);
    }
  };

  app.put<{ Params: KeyParams }>("/kv/:key", async (req, reply) => {
    const key = req.params.key;
    if (!validKey(reply, key)) return reply;
    const body = req.body;
    const value = body instanceof Uint8Array ? body : new Uint8Array(0);
    const s = session(req, reply);
    if (s === undefined) return reply;
    const cmd: KvCommand = { op: "put", key, value, ...s };
    return answerWrite(req, reply, key, await o.driver.write(cmd));
  });

  app.delete<{ Params: KeyParams }>("/kv/:key", async (req, reply) => {
    const key = req.params.key;
    if (!validKey(reply, key)) return reply;
    const s = session(req, reply);
    if (s === undefined) return reply;
    return answerWrite(req, reply, key, await o.driver.write({ op: "delete", key, ...s }));
  });

  app.get<{ Params: KeyParams; Querystring: { consistency?: string } }>("/kv/:key", async (req, reply) => {
    const key = req.params.key;
    if (!validKey(reply, key)) return reply;
    const consistency = req.query.consistency ?? "linearizable";
    if (consistency !== "linearizable" && consistency !== "stale") {
      return error(reply, 400, "bad_consistency", `consistency must be "linearizable" (default) or "stale", got ${JSON.stringify(consistency)}`);
    }
    if (consistency === "linearizable") {
      const outcome = await o.driver.read();
      switch (outcome.type) {
        case "ready":
          break;
        case "not-leader":
          return redirect(req, reply, outcome.leaderId);
        case "timeout":
          return error(reply, 504, "read_timeout", "the leader could not confirm its leadership in time; retry");
        case "overloaded":
          reply.header("retry-after", "1");
          return error(reply, 503, "overloaded", "too many requests are waiting; retry shortly");
        case "storage-full":
          return storageFull(reply);
      }
    }
    const value = o.kv.get(key);
    if (value === undefined) return error(reply, 404, "key_not_found", `no value for key ${JSON.stringify(key)}`);
    return reply.code(200).header("content-type", "application/octet-stream").send(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  });

  const metrics = o.metrics;
  if (metrics !== undefined) {
    app.addHook("onResponse", (req, reply, done) => {
      // The route pattern, not the URL: keys must not become label values.
      const route = req.routeOptions.url ?? "unmatched";
      metrics.httpRequest(route, req.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
    app.get("/metrics", async (_req, reply) => reply.header("content-type", metrics.contentType).send(await metrics.scrape()));
  }

  // Admin: hand leadership to ?to=ID (or, without it, to the most up-to-date follower) and
  // answer once this node has stepped down.
  app.post<{ Querystring: { to?: string } }>("/admin/leadership-transfer", async (req, reply) => {
    let to: number | undefined;
    if (req.query.to !== undefined) {
      to = Number(req.query.to);
      if (!Number.isSafeInteger(to) || !voterIds(o.driver.status().membership).includes(to) || to === o.self.id) {
        return error(reply, 400, "bad_target", `to must be the id of another voter of this cluster, got ${JSON.stringify(req.query.to)}`);
      }
    }
    const outcome = await o.driver.transferLeadership(to, 2 * o.config.electionTimeoutMs[1]);
    switch (outcome.type) {
      case "done":
        return reply.code(200).send({ from: o.self.id, to: outcome.to, leader: outcome.leaderId ?? null, term: outcome.term });
      case "not-leader":
        return redirect(req, reply, outcome.leaderId);
      case "bad-target":
        return error(reply, 400, "bad_target", `node ${outcome.to} cannot take over`);
      case "failed":
        reply.header("retry-after", "1");
        return error(reply, 503, "transfer_failed", outcome.reason);
    }
  });

  // Admin: snapshot the state machine now and compact the log behind it.
  app.post("/admin/snapshot", async (_req, reply) => {
    const meta = o.driver.snapshotNow();
    if (meta === undefined) return error(reply, 409, "nothing_to_snapshot", "nothing has been applied yet");
    return reply.code(200).send({ index: meta.index, term: meta.term });
  });

  // Admin: membership. GET is answered by any node from its own log (with whether that
  // configuration is committed); changes go to the leader (followers redirect).
  app.get("/admin/members", async () => {
    const st = o.driver.status();
    return {
      leader: st.leaderId || null,
      term: st.term,
      index: st.membershipIndex,
      committed: st.membershipIndex <= st.commit,
      members: describeMembers(st.membership, (id) => book.lookup(id)),
    };
  });

  const answerMembership = (req: FastifyRequest, reply: FastifyReply, outcome: AddMemberOutcome) => {
    switch (outcome.type) {
      case "done":
        return reply.code(200).send({ index: outcome.index, members: describeMembers(outcome.membership, (id) => book.lookup(id)) });
      case "not-leader":
        return redirect(req, reply, outcome.leaderId);
      case "busy":
        reply.header("retry-after", "1");
        return error(reply, 503, "membership_change_pending", `${outcome.reason}; retry shortly`);
      case "rejected":
        return error(reply, 409, "bad_membership_change", outcome.reason);
      case "lost":
        reply.header("retry-after", "1");
        return error(reply, 503, "not_committed", "leadership changed before the change committed; it was not applied, retry");
      case "timeout":
        return error(reply, 504, "outcome_unknown", "no answer in time: the change may or may not be applied; check GET /admin/members");
      case "catch-up-failed":
        reply.header("retry-after", "1");
        return error(reply, 503, "learner_behind", `${outcome.reason}; it stays a learner, retry to continue`);
    }
  };

  app.post("/admin/members", async (req, reply) => {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "");
    } catch {
      return error(reply, 400, "bad_json", 'the body must be JSON: {"id": N, "raft": "host:port", "http": "host:port", "role": "voter" | "learner"}');
    }
    const parsed = addMemberBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return error(reply, 400, "bad_member", `${issue.path.join(".") || "body"}: ${issue.message}`);
    }
    const b = parsed.data;
    const address = { raft: parseHostPort(b.raft)!, http: parseHostPort(b.http)! };
    const electionMs = o.config.electionTimeoutMs[1];
    const outcome = await addMember(o.driver, b.id, address, b.role, { roundMs: electionMs, maxRounds: 10, pollMs: o.config.tickMs });
    return answerMembership(req, reply, outcome);
  });

  app.delete<{ Params: { id: string } }>("/admin/members/:id", async (req, reply) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) return error(reply, 400, "bad_member", `the node id must be a positive integer, got ${JSON.stringify(req.params.id)}`);
    const st = o.driver.status();
    if (st.role === "leader" && !st.membership.members.some((m) => m.id === id)) {
      return error(reply, 404, "not_a_member", `node ${id} is not a member`);
    }
    return answerMembership(req, reply, await removeMember(o.driver, id));
  });

  // The live view: its page and the event stream it draws from.
  registerUiFiles(app, o.uiDir);
  if (o.events !== undefined) {
    registerEventStream(app, {
      feed: o.events,
      maxClients: limits.maxEventClients,
      ...o.eventStream,
      ...(o.metrics === undefined ? {} : { metrics: o.metrics.eventStreamMetrics() }),
    });
  }

  app.get("/status", async () => statusOf({ ...o, book }));
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/readyz", async (_req, reply) => {
    const st = o.driver.status();
    const ready = st.leaderId !== 0 && st.applied >= st.commit && !o.driver.storageFull;
    return reply.code(ready ? 200 : 503).send({ ready, leader: st.leaderId || null, commit: st.commit, applied: st.applied });
  });

  return app;
}

export function statusOf(o: Pick<HttpServerOptions, "config" | "self" | "driver" | "book">) {
  const st = o.driver.status();
  const book = o.book ?? new AddressBook(o.config.nodes);
  const leader = st.leaderId === 0 ? undefined : book.lookup(st.leaderId);
  // Peers: the members of the configuration in force, or the config file's nodes before this
  // node knows one (a node waiting to join).
  const memberIds = st.membership.members.length > 0 ? st.membership.members.map((m) => m.id) : o.config.nodes.map((n) => n.id);
  return {
    id: st.id,
    clusterId: o.config.clusterId,
    role: st.role,
    term: st.term,
    vote: st.vote || null,
    leader: st.leaderId || null,
    leaderHttp: leader === undefined ? null : url(leader.http),
    commit: st.commit,
    applied: st.applied,
    lastIndex: st.lastIndex,
    lastTerm: st.lastTerm,
    snapshotIndex: o.driver.snapshotIndex(),
    storageFull: o.driver.storageFull,
    membershipIndex: st.membershipIndex,
    voters: voterIds(st.membership),
    learners: st.membership.members.filter((m) => m.role === "learner").map((m) => m.id),
    peers: memberIds
      .filter((id) => id !== o.self.id)
      .map((id) => {
        const a = book.lookup(id);
        const p = st.peers.find((x) => x.id === id);
        return {
          id,
          role: st.membership.members.find((m) => m.id === id)?.role ?? null,
          raft: a === undefined ? null : formatHostPort(a.raft),
          http: a === undefined ? null : url(a.http),
          match: p?.match ?? null,
          next: p?.next ?? null,
          state: p?.state ?? null,
        };
      }),
  };
}

/** 507: this node's disk is full; it is paused until space returns (another node may lead meanwhile). */
function storageFull(reply: FastifyReply) {
  reply.header("retry-after", "5");
  return error(reply, 507, "storage_full", "this node's disk is full: it takes no writes and confirms no reads until space returns; try another node");
}

function error(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}
