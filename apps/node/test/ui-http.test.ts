import { request as httpRequest } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrapMembership } from "@raft-ts/core";
import { afterEach, describe, expect, it } from "vitest";
import { buildHttpServer } from "../src/http/server.js";
import { AddressBook, encodeMemberAddress } from "../src/membership/address-book.js";
import { inProcessNode, silent, untilLeader } from "./in-process-node.js";
import { loopbackHosts, memberOrigins } from "../src/ui/cors.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MEMBER = "http://127.0.0.1:18002";
const LAUNCHER = "http://127.0.0.1:18000";
const ELSEWHERE = "http://evil.example";

/** Node 1 of a cluster of `size` (HTTP 127.0.0.1:1800N), not started unless asked. */
function setup(size: number, extra: Record<string, unknown> = {}, opts: { uiDir?: string; launcher?: string } = {}) {
  const { config, kv, driver } = inProcessNode(size, extra);
  const app = buildHttpServer({
    config,
    self: config.nodes[0]!,
    driver,
    kv,
    logger: silent,
    ...(opts.uiDir === undefined ? {} : { uiDir: opts.uiDir }),
    ...(opts.launcher === undefined ? {} : { launcher: opts.launcher }),
  });
  cleanups.push(async () => {
    driver.stop();
    await app.close();
  });
  return { app, driver, config };
}

describe("DNS rebinding", () => {
  it("a loopback node refuses requests naming another host, even same-origin ones", async () => {
    const { app, driver } = setup(1);
    driver.start();
    await untilLeader(driver);
    // A page at evil.example whose name now resolves to 127.0.0.1: to the browser, the node is
    // that page's own origin.
    const rebound = { host: "evil.example:18001", origin: "http://evil.example:18001" };
    for (const [method, url] of [
      ["PUT", "/kv/k"],
      ["GET", "/kv/k"],
      ["POST", "/admin/snapshot"],
      ["GET", "/status"],
    ] as const) {
      const res = await app.inject({ method, url, headers: rebound, ...(method === "PUT" ? { payload: "v" } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.code).toBe("host_not_allowed");
    }
    // A same-origin GET sends no Origin: the Host alone gives it away.
    expect((await app.inject({ method: "GET", url: "/status", headers: { host: "evil.example:18001" } })).statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: "/kv/k?consistency=stale" })).statusCode).toBe(404);
    // The names this machine gives it still work, the page's own origin included.
    for (const host of ["127.0.0.1:18001", "localhost:18001", "[::1]:18001"]) {
      const res = await app.inject({ method: "PUT", url: "/kv/k", payload: "v", headers: { host, origin: `http://${host}` } });
      expect(res.statusCode, host).toBe(200);
    }
  });

  it("checks Host only on nodes that listen on a loopback address", () => {
    expect(loopbackHosts({ host: "10.0.0.1", port: 8001 })).toBeUndefined();
    const ok = loopbackHosts({ host: "127.0.0.1", port: 8001 })!;
    expect(["127.0.0.1:8001", "LOCALHOST:8001", "[::1]:8001", "127.0.0.2", undefined].map(ok)).toEqual([true, true, true, true, true]);
    expect(["evil.example:8001", "127.0.0.1.evil.example:8001", "localhost.evil.example", ""].map(ok)).toEqual([false, false, false, false]);
  });
});

describe("CORS", () => {
  it("answers a preflight from a member's origin, and refuses one from elsewhere", async () => {
    const { app } = setup(3);
    const preflight = (origin: string) =>
      app.inject({
        method: "OPTIONS",
        url: "/kv/some-key",
        headers: { origin, "access-control-request-method": "PUT", "access-control-request-headers": "authorization,content-type" },
      });
    const ok = await preflight(MEMBER);
    expect(ok.statusCode).toBe(204);
    expect(ok.headers["access-control-allow-origin"]).toBe(MEMBER);
    expect(ok.headers.vary).toMatch(/Origin/);
    for (const method of ["PUT", "DELETE", "POST"]) expect(ok.headers["access-control-allow-methods"]).toContain(method);
    for (const header of ["Authorization", "Content-Type"]) expect(ok.headers["access-control-allow-headers"]).toContain(header);

    const refused = await preflight(ELSEWHERE);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers["access-control-allow-origin"]).toBeUndefined();
    expect(refused.headers["access-control-allow-methods"]).toBeUndefined();
  });

  it("lets a member's page read answers, redirects and errors included, and no other page", async () => {
    const { app, driver } = setup(3, {}, { launcher: LAUNCHER });
    for (const origin of [MEMBER, "http://127.0.0.1:18001", "http://127.0.0.1:18003", LAUNCHER]) {
      const res = await app.inject({ url: "/status", headers: { origin } });
      expect(res.statusCode, origin).toBe(200);
      expect(res.headers["access-control-allow-origin"], origin).toBe(origin);
    }
    // A follower's redirect to the leader carries the headers, so a page's fetch can follow it.
    driver.receive({ type: "Heartbeat", from: 2, to: 1, term: 1, commit: 0, readSeq: 0 });
    const redirect = await app.inject({ method: "PUT", url: "/kv/k", payload: "v", headers: { origin: MEMBER } });
    expect(redirect.statusCode).toBe(307);
    expect(redirect.headers.location).toBe("http://127.0.0.1:18002/kv/k");
    expect(redirect.headers["access-control-allow-origin"]).toBe(MEMBER);
    expect(redirect.headers["access-control-expose-headers"]).toContain("Location");
    // Errors too (here: no route).
    const missing = await app.inject({ url: "/nowhere", headers: { origin: MEMBER } });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["access-control-allow-origin"]).toBe(MEMBER);

    // Another origin gets no CORS headers and is refused outright: reads, writes, the stream.
    for (const [method, url] of [
      ["GET", "/status"],
      ["PUT", "/kv/k"],
      ["POST", "/admin/snapshot"],
      ["GET", "/events"],
    ] as const) {
      for (const origin of [ELSEWHERE, "http://127.0.0.1:18009", "null"]) {
        const res = await app.inject({ method, url, headers: { origin }, ...(method === "PUT" ? { payload: "v" } : {}) });
        expect(res.statusCode, `${method} ${url} from ${origin}`).toBe(403);
        expect(res.json().error.code).toBe("origin_not_allowed");
        expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      }
    }
    // Without an Origin (curl, another node) nothing changes.
    const plain = await app.inject({ url: "/status" });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers["access-control-allow-origin"]).toBeUndefined();
    expect(plain.headers.vary).toBeUndefined();
  });

  it("takes writes from the page the node serves itself, and guards writes with the token as before", async () => {
    const token = "a-long-enough-token-0123";
    const { app, driver } = setup(1, { apiToken: token });
    driver.start();
    await untilLeader(driver);
    // The page at this node's own address (whatever name it was opened under) is same-origin.
    const own = await app.inject({ method: "PUT", url: "/kv/a", payload: "1", headers: { host: "localhost:18001", origin: "http://localhost:18001", authorization: `Bearer ${token}` } });
    expect(own.statusCode).toBe(200);
    // A member's page without the token gets a 401 it can read.
    const denied = await app.inject({ method: "PUT", url: "/kv/a", payload: "1", headers: { origin: "http://127.0.0.1:18001" } });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers["access-control-allow-origin"]).toBe("http://127.0.0.1:18001");
    expect(denied.headers["access-control-expose-headers"]).toContain("WWW-Authenticate");
    // A preflight needs no token.
    const preflight = await app.inject({
      method: "OPTIONS",
      url: "/admin/leadership-transfer",
      headers: { origin: "http://127.0.0.1:18001", "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    expect(preflight.statusCode).toBe(204);
  });

  it("follows membership changes: a member added is allowed, one removed no longer", () => {
    const configured = [1, 2, 3].map((id) => ({ id, raft: { host: "127.0.0.1", port: 5000 + id }, http: { host: "127.0.0.1", port: 8000 + id }, dataDir: undefined }));
    const book = new AddressBook(configured);
    const address = (id: number, host = "127.0.0.1") => encodeMemberAddress({ raft: { host, port: 5000 + id }, http: { host, port: 8000 + id } });
    book.update(bootstrapMembership([1, 2, 3], { 1: address(1), 2: address(2), 3: address(3) }));
    const allowed = memberOrigins(book, configured, undefined);
    expect(allowed("http://127.0.0.1:8003")).toBe(true);
    expect(allowed("http://127.0.0.1:8004")).toBe(false);
    book.update(bootstrapMembership([1, 2, 4], { 1: address(1), 2: address(2), 4: address(4, "10.0.0.4") }));
    expect(allowed("http://10.0.0.4:8004")).toBe(true);
    expect(allowed("http://127.0.0.1:8003")).toBe(false);
    // Origins are compared as browsers send them.
    expect(allowed("http://10.0.0.4:8004/")).toBe(false);
    expect(allowed("https://10.0.0.4:8004")).toBe(false);
  });
});

/** GET `path` exactly as written (fetch would resolve dot segments before sending). */
function rawGet(port: number, path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: "GET", timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, type: res.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

describe("GET /ui", () => {
  const SECRET = "package.json that must never be served";

  function pageDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "raft-ui-test-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ui = join(dir, "ui");
    mkdirSync(join(ui, "sub"), { recursive: true });
    writeFileSync(join(dir, "package.json"), SECRET);
    writeFileSync(join(ui, "index.html"), "<!doctype html><title>raft-ts</title>");
    writeFileSync(join(ui, "app.js"), "console.log('hi');");
    writeFileSync(join(ui, "style.css"), "body { margin: 0 }");
    writeFileSync(join(ui, "logo.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
    writeFileSync(join(ui, "data.json"), "{}");
    writeFileSync(join(ui, "notes.txt"), "not served");
    writeFileSync(join(ui, "server.ts"), "not served");
    writeFileSync(join(ui, ".hidden.js"), "not served");
    writeFileSync(join(ui, "sub", "part.js"), "export {};");
    mkdirSync(join(ui, "dev"));
    writeFileSync(join(ui, "dev", "mock-cluster.js"), "not served");
    writeFileSync(join(ui, "tsconfig.json"), "not served");
    return ui;
  }

  async function listening(uiDir: string): Promise<number> {
    const { app } = setup(1, {}, { uiDir });
    await app.listen({ host: "127.0.0.1", port: 0 });
    return (app.server.address() as { port: number }).port;
  }

  it("serves index.html at /ui and /ui/, and the page's files with their content types", async () => {
    const port = await listening(pageDir());
    for (const path of ["/ui", "/ui/", "/ui/index.html"]) {
      const res = await rawGet(port, path);
      expect(res.status, path).toBe(200);
      expect(res.type, path).toMatch(/^text\/html/);
      expect(res.body).toContain("<title>raft-ts</title>");
    }
    const types: [string, RegExp][] = [
      ["/ui/app.js", /^(text|application)\/javascript/],
      ["/ui/style.css", /^text\/css/],
      ["/ui/logo.svg", /^image\/svg\+xml/],
      ["/ui/data.json", /^application\/json/],
      ["/ui/sub/part.js", /^(text|application)\/javascript/],
    ];
    for (const [path, type] of types) {
      const res = await rawGet(port, path);
      expect(res.status, path).toBe(200);
      expect(res.type, path).toMatch(type);
    }
  });

  it("serves nothing else: other extensions, dotfiles, directories, missing files are 404", async () => {
    const port = await listening(pageDir());
    for (const path of ["/ui/notes.txt", "/ui/server.ts", "/ui/.hidden.js", "/ui/sub", "/ui/sub/", "/ui/missing.js", "/ui/index.html.bak", "/uix", "/ui/dev/mock-cluster.js", "/ui/tsconfig.json"]) {
      const res = await rawGet(port, path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain("not served");
    }
  });

  it("refuses every spelling of a path out of the folder", async () => {
    const port = await listening(pageDir());
    for (const path of [
      "/ui/../package.json",
      "/ui/%2e%2e/package.json",
      "/ui/%2E%2E/package.json",
      "/ui/..%2fpackage.json",
      "/ui/..%2Fpackage.json",
      "/ui/%2e%2e%2fpackage.json",
      "/ui/..%5cpackage.json",
      "/ui/sub/../../package.json",
      "/ui/sub/%2e%2e/%2e%2e/package.json",
      "/ui//../package.json",
      "/ui/./../package.json",
      "/ui/%252e%252e/package.json",
      "/ui/..;/package.json",
      "/ui/%00../package.json",
    ]) {
      const res = await rawGet(port, path);
      expect([400, 403, 404], `${path}: ${res.status}`).toContain(res.status);
      expect(res.body, path).not.toContain(SECRET);
    }
  });

  it("answers 404 while the page does not exist yet, and the node serves on", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), "raft-ui-test-")), "no-such-dir");
    cleanups.push(() => rmSync(join(missing, ".."), { recursive: true, force: true }));
    const port = await listening(missing);
    expect((await rawGet(port, "/ui")).status).toBe(404);
    expect((await rawGet(port, "/ui/app.js")).status).toBe(404);
    expect((await rawGet(port, "/status")).status).toBe(200);
  });
});
