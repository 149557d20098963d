import { connect, type Socket } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { NodeMetrics } from "../src/metrics/node-metrics.js";
import { registerEventStream, sseFrame, type EventFeed, type EventStreams } from "../src/ui/event-stream.js";
import { sleep } from "./cluster-harness.js";
import { SseClient } from "./sse-client.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A status the metrics can read (the stream tests need only the event-stream series). */
const idle = {
  node: {
    id: 1,
    role: "follower",
    term: 0,
    vote: 0,
    leaderId: 0,
    commit: 0,
    applied: 0,
    lastIndex: 0,
    lastTerm: 0,
    peers: [],
    transferringTo: 0,
    membership: { members: [] },
    membershipIndex: 0,
    electionElapsed: 0,
    electionTimeout: 0,
  },
  logEntries: 0,
  snapshotIndex: 0,
} as const;

function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** A feed that floods each subscriber with `frame` every turn of the event loop. */
function floodFeed(frame: string, afterEach: () => void): EventFeed {
  return {
    subscribe(send) {
      let on = true;
      const pump = () => {
        if (!on) return;
        send(frame);
        afterEach();
        setImmediate(pump);
      };
      setImmediate(pump);
      return () => {
        on = false;
      };
    },
  };
}

async function serve(feed: EventFeed, opts: { maxClients?: number; maxUnsentBytes?: number; keepAliveMs?: number; metrics?: NodeMetrics }) {
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: false });
  const streams: EventStreams = registerEventStream(app, {
    feed,
    maxClients: opts.maxClients ?? 4,
    ...(opts.maxUnsentBytes === undefined ? {} : { maxUnsentBytes: opts.maxUnsentBytes }),
    ...(opts.keepAliveMs === undefined ? {} : { keepAliveMs: opts.keepAliveMs }),
    ...(opts.metrics === undefined ? {} : { metrics: opts.metrics.eventStreamMetrics() }),
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  return { app, streams, port };
}

/** A client that asks for the stream and then never reads a byte. */
async function stalledClient(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  cleanups.push(() => void socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  socket.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  socket.pause();
  return socket;
}

describe("GET /events: each client is bounded", () => {
  it("drops a client that never reads instead of buffering for it, and counts it", async () => {
    const bound = 64 * 1024;
    const frame = sseFrame("state", JSON.stringify({ pad: "x".repeat(16 * 1024) }));
    const metrics = new NodeMetrics(1, "test", [], () => idle);
    let writes = 0;
    const feed = floodFeed(frame, () => writes++);
    const served = await serve(feed, { maxUnsentBytes: bound, metrics });

    await stalledClient(served.port);
    const deadline = Date.now() + 20_000;
    while (served.streams.dropped === 0 && Date.now() < deadline) await sleep(10);
    expect(served.streams.dropped).toBe(1);
    // Past what the kernel holds, the server's own buffer grew to the bound, and the write that
    // passed it (one frame, plus chunked encoding's few bytes) was the last.
    expect(writes * frame.length).toBeGreaterThan(bound);
    expect(served.streams.peakUnsent).toBeGreaterThan(bound);
    expect(served.streams.peakUnsent).toBeLessThanOrEqual(bound + frame.length + 64);
    expect(served.streams.size).toBe(0);

    const text = await metrics.scrape();
    expect(sample(text, "raft_ui_event_clients_dropped_total")).toBe(1);
    expect(sample(text, "raft_ui_event_clients")).toBe(0);

    // The server goes on serving: a second stalled client is dropped the same way.
    await stalledClient(served.port);
    const again = Date.now() + 20_000;
    while (served.streams.dropped < 2 && Date.now() < again) await sleep(10);
    expect(served.streams.dropped).toBe(2);
    expect(served.streams.peakUnsent).toBeLessThanOrEqual(bound + frame.length + 64);
  });

  it("answers 503 past maxClients, frees the slot when a client leaves, and closes with streams open", async () => {
    const quiet: EventFeed = { subscribe: (send) => (send(sseFrame("hello", "{}")), () => {}) };
    const served = await serve(quiet, { maxClients: 2 });
    const url = `http://127.0.0.1:${served.port}/events`;
    const a = new SseClient(url);
    const b = new SseClient(url);
    cleanups.push(() => a.close(), () => b.close());
    expect((await a.open()).status).toBe(200);
    expect((await b.open()).headers.get("content-type")).toMatch(/^text\/event-stream/);
    await a.waitFor("hello");
    const refused = await fetch(url, { signal: AbortSignal.timeout(5000) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("too_many_event_clients");

    a.close();
    const deadline = Date.now() + 5000;
    while (served.streams.size > 1 && Date.now() < deadline) await sleep(10);
    const c = new SseClient(url);
    cleanups.push(() => c.close());
    expect((await c.open()).status).toBe(200);

    // Closing the server ends the open streams instead of waiting for them.
    const started = Date.now();
    await served.app.close();
    expect(Date.now() - started).toBeLessThan(3000);
    await sleep(50);
    expect(b.closed && c.closed).toBe(true);
  });

  it("keeps an idle stream open with a comment line now and then", async () => {
    const quiet: EventFeed = { subscribe: (send) => (send(sseFrame("hello", "{}")), () => {}) };
    const served = await serve(quiet, { keepAliveMs: 30 });
    const socket = connect(served.port, "127.0.0.1");
    cleanups.push(() => void socket.destroy());
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    socket.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const deadline = Date.now() + 5000;
    while ((text.match(/: keep-alive\n\n/g) ?? []).length < 2 && Date.now() < deadline) await sleep(10);
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toContain("content-type: text/event-stream");
    expect(text).toContain("retry: 2000\n\n");
    expect(text).toContain('event: hello\ndata: {}\n\n');
    expect((text.match(/: keep-alive\n\n/g) ?? []).length).toBeGreaterThanOrEqual(2);
  });
});
