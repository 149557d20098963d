import { connect, type Socket } from "node:net";
import type { Message } from "@raft-ts/core";
import type { InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildHttpServer } from "../src/http/server.js";
import { inProcessNode, silent, untilLeader } from "./in-process-node.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Node 1 of a cluster of `size`, HTTP served through fastify's inject (no socket). */
function setup(size: number, limits: Record<string, number> = {}, extra: Record<string, unknown> = {}) {
  const sent: Message[] = [];
  const { config, node, kv, driver } = inProcessNode(size, { ...extra, limits }, (m) => sent.push(m));
  const app = buildHttpServer({ config, self: config.nodes[0]!, driver, kv, logger: silent });
  cleanups.push(async () => {
    driver.stop();
    await app.close();
  });
  return { app, driver, node, sent };
}

describe("HTTP API on a single-node cluster", () => {
  it("writes, reads linearizably and stale, deletes, and answers 404 for a missing key", async () => {
    const { app, driver } = setup(1);
    driver.start();
    await untilLeader(driver);
    const put = await app.inject({ method: "PUT", url: "/kv/greeting", payload: "hello" });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ key: "greeting" });
    const get = await app.inject({ method: "GET", url: "/kv/greeting" });
    expect(get.statusCode).toBe(200);
    expect(get.body).toBe("hello");
    expect((await app.inject({ method: "GET", url: "/kv/greeting?consistency=stale" })).body).toBe("hello");
    const del = await app.inject({ method: "DELETE", url: "/kv/greeting" });
    expect(del.json()).toMatchObject({ key: "greeting", existed: true });
    const gone = await app.inject({ method: "GET", url: "/kv/greeting" });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe("key_not_found");
  });

  it("applies a retried write once: the same client id and sequence get the first answer", async () => {
    const { app, driver } = setup(1);
    driver.start();
    await untilLeader(driver);
    const headers = { "x-client-id": "client-a", "x-request-seq": "1" };
    const first = await app.inject({ method: "PUT", url: "/kv/k", payload: "one", headers });
    await app.inject({ method: "PUT", url: "/kv/k", payload: "two" });
    const retry = await app.inject({ method: "PUT", url: "/kv/k", payload: "one", headers });
    expect(retry.statusCode).toBe(200);
    expect(retry.json().index).toBe(first.json().index);
    expect((await app.inject({ method: "GET", url: "/kv/k" })).body).toBe("two");
  });

  it("rejects bad input with a JSON 4xx and keeps serving", async () => {
    const { app, driver } = setup(1, { maxKeyBytes: 8, maxValueBytes: 16 });
    driver.start();
    await untilLeader(driver);
    const cases: [InjectOptions, number, string][] = [
      [{ method: "PUT", url: "/kv/123456789", payload: "v" }, 413, "key_too_large"],
      // Past what the router takes as a parameter: refused before any route runs, same shape.
      [{ method: "PUT", url: `/kv/${"k".repeat(4000)}`, payload: "v" }, 413, "key_too_large"],
      [{ method: "DELETE", url: `/admin/members/${"1".repeat(4000)}` }, 414, "path_too_long"],
      // Percent-encoding that is not UTF-8 (found by pnpm fuzz: it had fastify's own body).
      [{ method: "GET", url: "/kv/%ff" }, 400, "bad_url"],
      [{ method: "PUT", url: "/kv/k", payload: "x".repeat(17) }, 413, "value_too_large"],
      [{ method: "GET", url: "/nowhere" }, 404, "not_found"],
      [{ method: "POST", url: "/kv/k", payload: "v" }, 404, "not_found"],
      [{ method: "GET", url: "/kv/k?consistency=maybe" }, 400, "bad_consistency"],
      [{ method: "PUT", url: "/kv/k", payload: "v", headers: { "x-client-id": "a", "x-request-seq": "zero" } }, 400, "bad_request_seq"],
      [{ method: "PUT", url: "/kv/k", payload: "v", headers: { "x-request-seq": "3" } }, 400, "bad_client_id"],
    ];
    for (const [req, status, code] of cases) {
      const res = await app.inject(req);
      expect(res.statusCode, JSON.stringify(req)).toBe(status);
      expect(res.json().error.code, JSON.stringify(req)).toBe(code);
    }
    // Nothing was half-applied, and the node still works.
    expect(driver.status().commit).toBe(1); // only the leader's no-op
    expect((await app.inject({ method: "PUT", url: "/kv/k", payload: "ok" })).statusCode).toBe(200);
  });

  it("serves /status, /healthz and /readyz", async () => {
    const { app, driver } = setup(1);
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(503);
    driver.start();
    await untilLeader(driver);
    const status = (await app.inject({ url: "/status" })).json();
    expect(status).toMatchObject({ id: 1, role: "leader", leader: 1, clusterId: "test" });
    for (const field of ["term", "commit", "applied", "lastIndex", "peers"]) expect(status).toHaveProperty(field);
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(200);
  });
});

describe("HTTP API on a follower", () => {
  it("answers 503 with Retry-After when no leader is known", async () => {
    const { app } = setup(3);
    const res = await app.inject({ method: "PUT", url: "/kv/k", payload: "v" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect((await app.inject({ method: "GET", url: "/kv/k" })).statusCode).toBe(503);
  });

  it("redirects writes and linearizable reads to the leader with 307, keeps stale reads local", async () => {
    const { app, driver } = setup(3);
    // Node 2 announces itself as leader of term 1.
    driver.receive({ type: "Heartbeat", from: 2, to: 1, term: 1, commit: 0, readSeq: 0 });
    for (const req of [
      { method: "PUT" as const, url: "/kv/a%20b?x=1", payload: "v" },
      { method: "DELETE" as const, url: "/kv/a" },
      { method: "GET" as const, url: "/kv/a" },
    ]) {
      const res = await app.inject(req);
      expect(res.statusCode).toBe(307);
      expect(res.headers.location).toBe(`http://127.0.0.1:18002${req.url}`);
    }
    expect((await app.inject({ method: "GET", url: "/kv/a?consistency=stale" })).statusCode).toBe(404);
  });
});

describe("the API token", () => {
  it("guards writes and admin routes, and leaves reads, status, metrics and health open", async () => {
    const token = "a-long-enough-token-0123";
    const { app, driver } = setup(1, {}, { apiToken: token });
    driver.start();
    await untilLeader(driver);
    const bearer = { authorization: `Bearer ${token}` };
    const status = async (o: InjectOptions) => (await app.inject(o)).statusCode;

    const denied = await app.inject({ method: "PUT", url: "/kv/a", payload: "1" });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers["www-authenticate"]).toMatch(/Bearer/);
    expect(denied.json()).toMatchObject({ error: { code: "unauthorized" } });
    expect(await status({ method: "PUT", url: "/kv/a", payload: "1", headers: { authorization: `Bearer ${token}x` } })).toBe(401);
    expect(await status({ method: "PUT", url: "/kv/a", payload: "1", headers: { authorization: token } })).toBe(401);
    expect(await status({ method: "DELETE", url: "/kv/a" })).toBe(401);
    expect(await status({ method: "POST", url: "/admin/snapshot" })).toBe(401);
    expect(await status({ method: "GET", url: "/admin/members" })).toBe(401);
    expect(await status({ method: "DELETE", url: "/admin/members/2" })).toBe(401);
    expect(await status({ method: "POST", url: "/admin/leadership-transfer" })).toBe(401);
    // Nothing was written by the refused requests.
    expect(await status({ method: "GET", url: "/kv/a" })).toBe(404);

    expect(await status({ method: "PUT", url: "/kv/a", payload: "1", headers: bearer })).toBe(200);
    expect(await status({ method: "GET", url: "/kv/a" })).toBe(200);
    expect(await status({ method: "GET", url: "/admin/members", headers: bearer })).toBe(200);
    expect(await status({ method: "DELETE", url: "/kv/a", headers: bearer })).toBe(200);
    for (const url of ["/status", "/healthz", "/readyz"]) expect(await status({ method: "GET", url })).toBe(200);
  });

  it("is refused in the config when too short to be a secret", () => {
    expect(() => setup(1, {}, { apiToken: "short" })).toThrow(/apiToken: must be at least 16 characters/);
  });
});

describe("connection limit", () => {
  it("closes a connection just over maxHttpConnections and serves again once one is freed", async () => {
    const { app, driver } = setup(1, { maxHttpConnections: 2 });
    driver.start();
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = connect(port, "127.0.0.1", () => resolve(s));
        s.once("error", reject);
      });
    const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once("close", () => resolve())));
    const a = await open();
    const b = await open();
    const c = await open(); // accepted by the kernel, then closed by the server
    c.on("error", () => {});
    await closed(c);
    a.destroy();
    await closed(a);
    await new Promise((r) => setTimeout(r, 50)); // the server counts the close
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    expect(res.status).toBe(200);
    b.destroy();
  });
});
