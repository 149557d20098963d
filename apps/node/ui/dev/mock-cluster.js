// @ts-check
/* global process, console, setInterval, clearInterval, setTimeout, URL, Buffer */
/**
 * A mock cluster for developing the live view without the real nodes: one process, a toy
 * Raft-like simulation of N nodes (elections with prevote, replication, commit, snapshots,
 * leadership transfer), each node with its own HTTP server on 127.0.0.1 that speaks the
 * docs/ui.md contract (GET /events, GET /ui, CORS, PUT /kv/{key}, POST /admin/snapshot,
 * POST /admin/leadership-transfer) and a launcher (POST /nodes/{id}/stop|start).
 *
 * It is a prop, not Raft: it only has to produce plausible events.
 *
 *   node apps/node/ui/dev/mock-cluster.js [--nodes 3] [--base-port 18101] [--launcher-port 18100]
 *        [--writes 20] [--latency 5] [--token SECRET]
 *
 * Then open http://127.0.0.1:18101/ui . Ctrl-C stops it.
 */

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** @import { IncomingMessage, ServerResponse, Server } from "node:http" */

const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

/** @param {string} name @param {number} fallback */
function numArg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}
/** @param {string} name */
function strArg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? null : null;
}

const N = numArg("nodes", 3);
const BASE_PORT = numArg("base-port", 18101);
const LAUNCHER_PORT = numArg("launcher-port", 18100);
const WRITES_PER_SEC = numArg("writes", 20);
const LATENCY_MS = numArg("latency", 5);
const TOKEN = strArg("token");
const TICK_MS = 10;
const HEARTBEAT_MS = 50;
const ELECTION_MS = /** @type {[number, number]} */ ([150, 300]);
const HOST = "127.0.0.1";
const LAUNCHER = `http://${HOST}:${LAUNCHER_PORT}`;

/**
 * @typedef {{ index: number, term: number, type: string, text: string }} Entry
 * @typedef {{ match: number, next: number, lastAck: number }} Progress
 * @typedef {{
 *   type: string, from: number, to: number, term: number, deliverAt: number,
 *   prevote?: boolean, granted?: boolean, success?: boolean, entries?: Entry[],
 *   prevIndex?: number, prevTerm?: number, commit?: number, match?: number,
 *   lastIndex?: number, lastTerm?: number, snapIndex?: number, snapTerm?: number
 * }} Msg
 * @typedef {{
 *   id: number, port: number, http: string, running: boolean,
 *   role: "follower" | "candidate" | "leader", prevoting: boolean, term: number, vote: number | null, leader: number | null,
 *   snapIndex: number, snapTerm: number, entries: Entry[], commit: number,
 *   elapsed: number, timeout: number, sinceHeartbeat: number, votes: Set<number>,
 *   peers: Map<number, Progress>, server: Server | null, clients: Set<ServerResponse>,
 *   sample: object[], counts: Map<string, number>, lastState: string
 * }} SimNode
 */

/** @type {Map<number, SimNode>} */
const nodes = new Map();
for (let id = 1; id <= N; id++) {
  const port = BASE_PORT + id - 1;
  nodes.set(id, {
    id, port, http: `http://${HOST}:${port}`, running: true,
    role: "follower", prevoting: false, term: 0, vote: null, leader: null,
    snapIndex: 0, snapTerm: 0, entries: [], commit: 0,
    elapsed: 0, timeout: randomTimeout(), sinceHeartbeat: 0, votes: new Set(),
    peers: new Map(), server: null, clients: new Set(),
    sample: [], counts: new Map(), lastState: "",
  });
}
const all = () => [...nodes.values()];
const majority = () => Math.floor(N / 2) + 1;

function randomTimeout() {
  return ELECTION_MS[0] + Math.floor(Math.random() * (ELECTION_MS[1] - ELECTION_MS[0]));
}
/** @param {SimNode} n */
const lastIndex = (n) => (n.entries.length > 0 ? /** @type {Entry} */ (n.entries[n.entries.length - 1]).index : n.snapIndex);
/** @param {SimNode} n */
const lastTerm = (n) => (n.entries.length > 0 ? /** @type {Entry} */ (n.entries[n.entries.length - 1]).term : n.snapTerm);
/** @param {SimNode} n @param {number} i */
const termAt = (n, i) => (i === n.snapIndex ? n.snapTerm : i < n.snapIndex ? -1 : n.entries[i - n.snapIndex - 1]?.term ?? -1);

/* ------------------------------------------------------------------ the network */

/** @type {Msg[]} */
let inFlight = [];

/** @param {Omit<Msg, "deliverAt">} m */
function send(m) {
  const from = nodes.get(m.from);
  if (from === undefined || !from.running) return;
  if (from.sample.length < 16) {
    /** @type {Record<string, unknown>} */
    const s = { to: m.to, type: m.type, term: m.term, at: Date.now() };
    if (m.entries !== undefined) s.entries = m.entries.length;
    if (m.prevote !== undefined) s.prevote = m.prevote;
    if (m.granted !== undefined) s.granted = m.granted;
    if (m.success !== undefined) s.success = m.success;
    from.sample.push(s);
  }
  const key = `${m.to}|${m.type}`;
  from.counts.set(key, (from.counts.get(key) ?? 0) + 1);
  inFlight.push({ ...m, deliverAt: Date.now() + LATENCY_MS * (0.5 + Math.random()) });
}

function deliver() {
  const now = Date.now();
  const due = inFlight.filter((m) => m.deliverAt <= now);
  inFlight = inFlight.filter((m) => m.deliverAt > now);
  for (const m of due) {
    const to = nodes.get(m.to);
    if (to !== undefined && to.running) receive(to, m);
  }
}

/* ------------------------------------------------------------------ the toy Raft */

/** @param {SimNode} n @param {number} term */
function becomeFollower(n, term) {
  if (term > n.term) {
    n.term = term;
    n.vote = null;
  }
  n.role = "follower";
  n.prevoting = false;
  n.votes.clear();
}

/** @param {SimNode} n @param {boolean} prevote */
function campaign(n, prevote) {
  n.role = "candidate";
  n.prevoting = prevote;
  n.elapsed = 0;
  n.timeout = randomTimeout();
  n.votes = new Set([n.id]);
  n.leader = null;
  if (!prevote) {
    n.term++;
    n.vote = n.id;
  }
  const term = prevote ? n.term + 1 : n.term;
  for (const o of all()) {
    if (o.id !== n.id) send({ type: "VoteRequest", from: n.id, to: o.id, term, prevote, lastIndex: lastIndex(n), lastTerm: lastTerm(n) });
  }
}

/** @param {SimNode} n */
function becomeLeader(n) {
  n.role = "leader";
  n.prevoting = false;
  n.leader = n.id;
  n.peers = new Map(all().filter((o) => o.id !== n.id).map((o) => [o.id, { match: 0, next: lastIndex(n) + 1, lastAck: Date.now() }]));
  n.entries.push({ index: lastIndex(n) + 1, term: n.term, type: "noop", text: "noop" });
  replicate(n, true);
}

/** @param {SimNode} n @param {boolean} heartbeat */
function replicate(n, heartbeat) {
  for (const [id, p] of n.peers) {
    if (p.next <= n.snapIndex) {
      send({ type: "InstallSnapshot", from: n.id, to: id, term: n.term, snapIndex: n.snapIndex, snapTerm: n.snapTerm });
    } else if (p.next <= lastIndex(n)) {
      const entries = n.entries.filter((e) => e.index >= p.next).slice(0, 64);
      const prevIndex = p.next - 1;
      send({ type: "AppendEntries", from: n.id, to: id, term: n.term, prevIndex, prevTerm: termAt(n, prevIndex), entries, commit: n.commit });
      p.next += entries.length; // optimistic pipelining; a rejection resets it
    } else if (heartbeat) {
      send({ type: "Heartbeat", from: n.id, to: id, term: n.term, commit: Math.min(n.commit, p.match) });
    }
  }
}

/** @param {SimNode} n */
function advanceCommit(n) {
  const matches = [lastIndex(n), ...[...n.peers.values()].map((p) => p.match)].sort((a, b) => b - a);
  const c = matches[majority() - 1] ?? 0;
  if (c > n.commit && termAt(n, c) === n.term) n.commit = c;
}

/** @param {SimNode} n @param {Msg} m */
function receive(n, m) {
  if (m.term > n.term && !(m.type === "VoteRequest" && m.prevote === true) && !(m.type === "VoteResponse" && m.prevote === true)) {
    becomeFollower(n, m.term);
  }
  switch (m.type) {
    case "VoteRequest": {
      const upToDate = (m.lastTerm ?? 0) > lastTerm(n) || ((m.lastTerm ?? 0) === lastTerm(n) && (m.lastIndex ?? 0) >= lastIndex(n));
      let granted;
      if (m.prevote === true) {
        granted = m.term > n.term && upToDate && (n.role !== "leader" && (n.leader === null || n.elapsed >= ELECTION_MS[0]));
      } else {
        granted = m.term === n.term && upToDate && (n.vote === null || n.vote === m.from);
        if (granted) {
          n.vote = m.from;
          n.elapsed = 0;
        }
      }
      send({ type: "VoteResponse", from: n.id, to: m.from, term: m.prevote === true ? m.term : n.term, prevote: m.prevote === true, granted });
      break;
    }
    case "VoteResponse": {
      if (n.role !== "candidate" || m.prevote !== n.prevoting) break;
      if (m.prevote !== true && m.term !== n.term) break;
      if (m.granted === true) n.votes.add(m.from);
      if (n.votes.size >= majority()) {
        if (n.prevoting) campaign(n, false);
        else becomeLeader(n);
      }
      break;
    }
    case "AppendEntries": {
      if (m.term < n.term) {
        send({ type: "AppendEntriesResponse", from: n.id, to: m.from, term: n.term, success: false, match: lastIndex(n) });
        break;
      }
      becomeFollower(n, m.term);
      n.leader = m.from;
      n.elapsed = 0;
      const prevIndex = m.prevIndex ?? 0;
      if (prevIndex > lastIndex(n) || (prevIndex >= n.snapIndex && termAt(n, prevIndex) !== m.prevTerm)) {
        send({ type: "AppendEntriesResponse", from: n.id, to: m.from, term: n.term, success: false, match: Math.min(lastIndex(n), prevIndex - 1) });
        break;
      }
      for (const e of m.entries ?? []) {
        if (e.index <= n.snapIndex) continue;
        if (e.index <= lastIndex(n) && termAt(n, e.index) !== e.term) n.entries = n.entries.filter((x) => x.index < e.index);
        if (e.index > lastIndex(n)) n.entries.push(e);
      }
      const match = prevIndex + (m.entries?.length ?? 0);
      n.commit = Math.max(n.commit, Math.min(m.commit ?? 0, match));
      send({ type: "AppendEntriesResponse", from: n.id, to: m.from, term: n.term, success: true, match });
      break;
    }
    case "Heartbeat": {
      if (m.term < n.term) break;
      becomeFollower(n, m.term);
      n.leader = m.from;
      n.elapsed = 0;
      n.commit = Math.max(n.commit, Math.min(m.commit ?? 0, lastIndex(n)));
      send({ type: "HeartbeatResponse", from: n.id, to: m.from, term: n.term });
      break;
    }
    case "InstallSnapshot": {
      if (m.term < n.term) break;
      becomeFollower(n, m.term);
      n.leader = m.from;
      n.elapsed = 0;
      n.snapIndex = m.snapIndex ?? 0;
      n.snapTerm = m.snapTerm ?? 0;
      n.entries = [];
      n.commit = n.snapIndex;
      send({ type: "InstallSnapshotResponse", from: n.id, to: m.from, term: n.term, match: n.snapIndex });
      break;
    }
    case "AppendEntriesResponse":
    case "InstallSnapshotResponse":
    case "HeartbeatResponse": {
      if (n.role !== "leader" || m.term !== n.term) break;
      const p = n.peers.get(m.from);
      if (p === undefined) break;
      p.lastAck = Date.now();
      if (m.type === "HeartbeatResponse") break;
      if (m.success === false) {
        p.next = Math.max(1, (m.match ?? 0) + 1);
      } else {
        p.match = Math.max(p.match, m.match ?? 0);
        p.next = Math.max(p.next, p.match + 1);
        advanceCommit(n);
      }
      break;
    }
    case "TimeoutNow":
      if (m.term === n.term && n.role === "follower") campaign(n, false);
      break;
  }
}

let writeBudget = 0;
let writeSeq = 0;

function tick() {
  deliver();
  for (const n of all()) {
    if (!n.running) continue;
    if (n.role === "leader") {
      n.sinceHeartbeat += TICK_MS;
      const beat = n.sinceHeartbeat >= HEARTBEAT_MS;
      if (beat) n.sinceHeartbeat = 0;
      replicate(n, beat);
      advanceCommit(n);
    } else {
      n.elapsed += TICK_MS;
      if (n.elapsed >= n.timeout) campaign(n, true);
    }
  }
  const leader = all().find((n) => n.running && n.role === "leader");
  writeBudget += (WRITES_PER_SEC * TICK_MS) / 1000;
  while (writeBudget >= 1) {
    writeBudget--;
    if (leader === undefined) continue;
    writeSeq++;
    leader.entries.push({ index: lastIndex(leader) + 1, term: leader.term, type: "normal", text: `put k${writeSeq % 50} = v${writeSeq}` });
  }
}

/* ------------------------------------------------------------------ the events */

/** @param {SimNode} n */
function stateOf(n) {
  return {
    id: n.id,
    at: Date.now(),
    role: n.role,
    term: n.term,
    vote: n.vote,
    leader: n.leader,
    commit: n.commit,
    applied: n.commit,
    firstIndex: n.snapIndex + 1,
    lastIndex: lastIndex(n),
    lastTerm: lastTerm(n),
    election: n.role === "leader" ? null : { elapsedMs: n.elapsed, timeoutMs: n.timeout },
    peers: n.role === "leader"
      ? [...n.peers].map(([id, p]) => ({ id, voter: true, match: p.match, next: p.next, state: p.match === lastIndex(n) ? "replicate" : "probe", active: Date.now() - p.lastAck < 300 }))
      : [],
    members: all().map((o) => ({ id: o.id, role: "voter", http: o.http })),
    storageFull: false,
    log: n.entries.slice(-24),
  };
}

/** @param {ServerResponse} res @param {string} event @param {unknown} data */
function sse(res, event, data) {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function flush() {
  for (const n of all()) {
    if (!n.running) continue;
    const st = stateOf(n);
    const key = JSON.stringify({ ...st, at: 0 });
    const changed = key !== n.lastState;
    n.lastState = key;
    const hasMessages = n.counts.size > 0;
    const messages = {
      id: n.id, at: Date.now(), windowMs: 100, sample: n.sample,
      counts: [...n.counts].map(([k, c]) => {
        const [to, type] = k.split("|");
        return { to: Number(to), type, n: c };
      }),
    };
    n.sample = [];
    n.counts = new Map();
    for (const res of n.clients) {
      if (changed) sse(res, "state", st);
      if (hasMessages) sse(res, "messages", messages);
    }
  }
}

/* ------------------------------------------------------------------ HTTP */

const ALLOWED_ORIGINS = new Set([...all().map((n) => n.http), LAUNCHER]);

/** @param {IncomingMessage} req @param {ServerResponse} res */
function cors(req, res) {
  const origin = req.headers.origin;
  if (typeof origin === "string" && ALLOWED_ORIGINS.has(origin)) {
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("vary", "origin");
  }
  if (req.method === "OPTIONS") {
    res.setHeader("access-control-allow-methods", "GET, PUT, POST, DELETE");
    res.setHeader("access-control-allow-headers", "authorization, content-type, x-client-id, x-request-seq");
    res.setHeader("access-control-max-age", "600");
    res.writeHead(204).end();
    return true;
  }
  return false;
}

/** @param {ServerResponse} res @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
function json(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** @param {IncomingMessage} req */
function body(req) {
  return new Promise((resolve) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

/** @param {ServerResponse} res @param {string} file */
async function serveUi(res, file) {
  const m = /^[\w-]+(\.html|\.js|\.css)$/.exec(file);
  if (m === null) return json(res, 404, { error: { code: "not_found", message: file } });
  try {
    const data = await readFile(join(UI_DIR, file));
    res.writeHead(200, { "content-type": TYPES[/** @type {".html" | ".js" | ".css"} */ (m[1])], "cache-control": "no-cache" }).end(data);
  } catch {
    json(res, 404, { error: { code: "not_found", message: file } });
  }
}

/** @param {SimNode} n @param {IncomingMessage} req @param {ServerResponse} res */
async function handleNode(n, req, res) {
  if (cors(req, res)) return;
  const url = new URL(req.url ?? "/", n.http);
  const path = url.pathname;
  const guarded = path.startsWith("/admin/") || (path.startsWith("/kv/") && req.method !== "GET");
  if (TOKEN !== null && guarded && req.headers.authorization !== `Bearer ${TOKEN}`) {
    return json(res, 401, { error: { code: "unauthorized", message: `${req.method} ${path} needs the header Authorization: Bearer <apiToken>` } }, { "www-authenticate": 'Bearer realm="raft-ts"' });
  }
  const redirect = () => {
    const leader = n.leader === null ? undefined : nodes.get(n.leader);
    if (leader === undefined || leader.id === n.id) return json(res, 503, { error: { code: "no_leader", message: "no leader is known right now; retry shortly" } }, { "retry-after": "1" });
    const location = `${leader.http}${url.pathname}${url.search}`;
    return json(res, 307, { leader: leader.id, location }, { location });
  };

  if (req.method === "GET" && (path === "/ui" || path === "/ui/")) return serveUi(res, "index.html");
  if (req.method === "GET" && path.startsWith("/ui/")) return serveUi(res, path.slice(4));
  if (req.method === "GET" && path === "/events") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.write("retry: 1000\n\n");
    sse(res, "hello", { v: 1, id: n.id, clusterId: "mock", tickMs: TICK_MS, electionTimeoutMs: ELECTION_MS, heartbeatMs: HEARTBEAT_MS, launcher: LAUNCHER });
    sse(res, "state", stateOf(n));
    n.clients.add(res);
    req.on("close", () => n.clients.delete(res));
    return undefined;
  }
  if (req.method === "PUT" && path.startsWith("/kv/")) {
    const value = await body(req);
    if (n.role !== "leader") return redirect();
    const key = decodeURIComponent(path.slice(4));
    const index = lastIndex(n) + 1;
    n.entries.push({ index, term: n.term, type: "normal", text: `put ${key} = ${value}`.slice(0, 48) });
    const term = n.term;
    for (let waited = 0; waited < 2000; waited += 10) {
      if (n.commit >= index && termAt(n, index) === term) return json(res, 200, { key, index });
      if (n.role !== "leader") return json(res, 503, { error: { code: "not_committed", message: "leadership changed before the write committed" } });
      await sleep(10);
    }
    return json(res, 504, { error: { code: "outcome_unknown", message: "no answer in time" } });
  }
  if (req.method === "POST" && path === "/admin/snapshot") {
    if (n.commit === 0) return json(res, 409, { error: { code: "nothing_to_snapshot", message: "nothing has been applied yet" } });
    const term = termAt(n, n.commit);
    n.entries = n.entries.filter((e) => e.index > n.commit);
    n.snapIndex = n.commit;
    n.snapTerm = term;
    return json(res, 200, { index: n.snapIndex, term });
  }
  if (req.method === "POST" && path === "/admin/leadership-transfer") {
    if (n.role !== "leader") return redirect();
    const to = Number(url.searchParams.get("to"));
    const target = nodes.get(to);
    if (target === undefined || to === n.id) return json(res, 400, { error: { code: "bad_target", message: `to must be the id of another voter, got ${url.searchParams.get("to")}` } });
    send({ type: "TimeoutNow", from: n.id, to, term: n.term });
    for (let waited = 0; waited < 600; waited += 10) {
      if (n.role !== "leader") return json(res, 200, { from: n.id, to, leader: n.leader, term: n.term });
      await sleep(10);
    }
    return json(res, 503, { error: { code: "transfer_failed", message: `node ${to} did not take over in time` } }, { "retry-after": "1" });
  }
  if (req.method === "GET" && path === "/status") return json(res, 200, { ...stateOf(n), log: undefined });
  return json(res, 404, { error: { code: "not_found", message: `no route for ${req.method} ${path}` } });
}

/** @param {SimNode} n */
function listen(n) {
  const server = createServer((req, res) => {
    handleNode(n, req, res).catch((err) => {
      console.error(err);
      if (!res.headersSent) json(res, 500, { error: { code: "error", message: String(err) } });
    });
  });
  server.listen(n.port, HOST);
  n.server = server;
}

/** @param {SimNode} n */
function stopNode(n) {
  n.running = false;
  for (const res of n.clients) res.destroy();
  n.clients.clear();
  n.server?.close();
  n.server?.closeAllConnections();
  n.server = null;
  inFlight = inFlight.filter((m) => m.to !== n.id && m.from !== n.id);
}

/** @param {SimNode} n */
function startNode(n) {
  n.running = true;
  becomeFollower(n, n.term);
  n.leader = null;
  n.elapsed = 0;
  n.timeout = randomTimeout();
  listen(n);
}

const launcher = createServer((req, res) => {
  if (cors(req, res)) return;
  const m = /^\/nodes\/(\d+)\/(stop|start)$/.exec(new URL(req.url ?? "/", LAUNCHER).pathname);
  const n = m === null ? undefined : nodes.get(Number(m[1]));
  if (req.method !== "POST" || m === null || n === undefined) return json(res, 404, { error: { code: "not_found", message: "POST /nodes/{id}/stop|start" } });
  if (m[2] === "stop") {
    if (!n.running) return json(res, 409, { error: { code: "not_running", message: `node ${n.id} is not running` } });
    stopNode(n);
    return json(res, 200, { id: n.id, running: false });
  }
  if (n.running) return json(res, 409, { error: { code: "running", message: `node ${n.id} is already running` } });
  startNode(n);
  return json(res, 200, { id: n.id, running: true });
});

for (const n of all()) listen(n);
launcher.listen(LAUNCHER_PORT, HOST);
const ticker = setInterval(tick, TICK_MS);
const flusher = setInterval(flush, 100);
console.log(`mock cluster: ${all().map((n) => `node ${n.id} ${n.http}`).join(", ")}; launcher ${LAUNCHER}`);
console.log(`open ${all()[0]?.http}/ui`);

const shutdown = () => {
  clearInterval(ticker);
  clearInterval(flusher);
  for (const n of all()) if (n.running) stopNode(n);
  launcher.close();
  launcher.closeAllConnections();
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
