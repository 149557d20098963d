import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { addStats, EventStreamReader } from "../src/event-stream-reader.js";
import { runUiBench } from "../src/ui.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** An SSE server on 127.0.0.1 that writes `chunks` with a pause between them, then holds the stream open. */
async function sse(chunks: readonly string[]): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    let i = 0;
    const next = () => {
      if (i < chunks.length) res.write(chunks[i++]!, () => setTimeout(next, 5));
    };
    next();
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
}

describe("the event stream reader", () => {
  it("counts events split across chunks by name, skips comments, and counts payloads that are not JSON", async () => {
    const text = 'event: hello\ndata: {"v":1}\n\n: keep-alive\n\nevent: state\ndata: {"id":1,\ndata: "term":2}\n\nevent: state\ndata: not json\n\n';
    const url = await sse([text.slice(0, 7), text.slice(7, 40), text.slice(40)]);
    const reader = new EventStreamReader(url);
    await reader.start();
    await new Promise((r) => setTimeout(r, 300)); // the three chunks are written 5 ms apart
    const stats = await reader.stop();
    expect(stats.events).toEqual({ hello: 1, state: 2 });
    expect(stats.badPayloads).toBe(1);
    expect(stats.bytes).toBe(Buffer.byteLength(text));
  });

  it("refuses a stream that does not answer 200", async () => {
    server = createServer((_req, res) => res.writeHead(503).end("{}"));
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const reader = new EventStreamReader(`http://127.0.0.1:${(server.address() as AddressInfo).port}/events`);
    await expect(reader.start()).rejects.toThrow("answered 503");
  });

  it("adds several readers' counts", () => {
    const sum = addStats([
      { events: { state: 2 }, bytes: 10, badPayloads: 0 },
      { events: { state: 1, hello: 1 }, bytes: 5, badPayloads: 1 },
    ]);
    expect(sum).toEqual({ events: { state: 3, hello: 1 }, bytes: 15, badPayloads: 1 });
  });
});

describe("pnpm bench ui, with small counts", () => {
  it("alternates phases without and with the streams, and the streams were live while observed", { timeout: 120_000 }, async () => {
    const r = await runUiBench({ concurrency: 4, durationMs: 600, warmupMs: 200, rounds: 2, nodes: 3, observer: "streams" });
    expect(r.phases.map((p) => p.observed)).toEqual([false, true, true, false]);
    for (const p of r.phases) expect(p.commitsPerSec).toBeGreaterThan(0);
    // Two observed phases, one stream per node in each: one hello per stream.
    expect(r.streams?.events["hello"]).toBe(2 * 3);
    expect(r.streams?.events["state"]).toBeGreaterThanOrEqual(2 * 3);
    expect(r.streams?.events["messages"]).toBeGreaterThan(0);
    expect(r.streams?.badPayloads).toBe(0);
    expect(r.throughputRatio).toBeCloseTo(r.medianWith.commitsPerSec / r.medianWithout.commitsPerSec, 10);
  });

  it("with --browser, the observed phases have the real page open, showing every node up", { timeout: 120_000 }, async () => {
    const r = await runUiBench({ concurrency: 4, durationMs: 600, warmupMs: 200, rounds: 1, nodes: 3, observer: "browser" });
    expect(r.phases.map((p) => p.observed)).toEqual([false, true]);
    expect(r.pageNodesUp).toEqual([3]);
    expect(r.streams).toBeUndefined();
  });
});
