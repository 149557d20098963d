import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger as PinoLogger } from "pino";
import type { ClusterConfig, NodeAddress } from "../config.js";
import { url } from "../config.js";
import type { KvCommand } from "../kv/commands.js";
import type { KvStateMachine } from "../kv/state-machine.js";
import type { NodeMetrics } from "../metrics/node-metrics.js";
import type { RaftDriver, WriteOutcome } from "../raft-driver.js";

export interface HttpServerOptions {
  readonly config: ClusterConfig;
  readonly self: NodeAddress;
  readonly driver: RaftDriver;
  readonly kv: KvStateMachine;
  readonly logger: PinoLogger;
  /** When given, GET /metrics serves it and every request's duration is recorded. */
  readonly metrics?: NodeMetrics;
}

interface KeyParams {
  key: string;
}

const encoder = new TextEncoder();

/**
 * The HTTP API (DESIGN.md): PUT/GET/DELETE /kv/{key}, /status, /healthz, /readyz. Errors are
 * JSON { error: { code, message } } with a 4xx or 5xx status; nothing a client sends can crash
 * the node.
 */
export function buildHttpServer(o: HttpServerOptions): FastifyInstance {
  const { limits } = o.config;
  const app = Fastify({
    logger: false,
    bodyLimit: limits.maxValueBytes,
    // A percent-encoded key may be up to three bytes of URL per byte of key.
    routerOptions: { maxParamLength: limits.maxKeyBytes * 3 + 16 },
    return503OnClosing: true,
  });

  // Values are opaque bytes: take every body as a Buffer, whatever its content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.setNotFoundHandler((req, reply) => error(reply, 404, "not_found", `no route for ${req.method} ${req.url}`));
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) o.logger.error({ err }, "request failed");
    const code = err.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "value_too_large" : (err.code ?? "error").toLowerCase();
    return error(reply, status, code, err.message);
  });

  const leaderUrl = (leaderId: number): string | undefined => {
    const leader = o.config.nodes.find((n) => n.id === leaderId);
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
      if (!Number.isSafeInteger(to) || !o.config.nodes.some((n) => n.id === to) || to === o.self.id) {
        return error(reply, 400, "bad_target", `to must be the id of another node of this cluster, got ${JSON.stringify(req.query.to)}`);
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

  app.get("/status", async () => statusOf(o));
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/readyz", async (_req, reply) => {
    const st = o.driver.status();
    const ready = st.leaderId !== 0 && st.applied >= st.commit;
    return reply.code(ready ? 200 : 503).send({ ready, leader: st.leaderId || null, commit: st.commit, applied: st.applied });
  });

  return app;
}

export function statusOf(o: Pick<HttpServerOptions, "config" | "self" | "driver">) {
  const st = o.driver.status();
  return {
    id: st.id,
    clusterId: o.config.clusterId,
    role: st.role,
    term: st.term,
    vote: st.vote || null,
    leader: st.leaderId || null,
    leaderHttp: st.leaderId ? url(o.config.nodes.find((n) => n.id === st.leaderId)!.http) : null,
    commit: st.commit,
    applied: st.applied,
    lastIndex: st.lastIndex,
    lastTerm: st.lastTerm,
    snapshotIndex: o.driver.snapshotIndex(),
    peers: o.config.nodes
      .filter((n) => n.id !== o.self.id)
      .map((n) => {
        const p = st.peers.find((x) => x.id === n.id);
        return {
          id: n.id,
          raft: `${n.raft.host}:${n.raft.port}`,
          http: url(n.http),
          match: p?.match ?? null,
          next: p?.next ?? null,
          state: p?.state ?? null,
        };
      }),
  };
}

function error(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}
