import type { ServerResponse } from "node:http";
import type { OutgoingHttpHeaders } from "node:http";
import type { FastifyInstance, FastifyReply } from "fastify";

/** A client whose unsent data passes this is disconnected (docs/ui.md). */
export const MAX_UNSENT_BYTES = 256 * 1024;
/** A comment line this often keeps idle streams open through proxies. */
export const KEEP_ALIVE_MS = 15_000;
/** What EventSource waits before it reconnects a stream that ended. */
const RETRY_MS = 2000;

/** Where the event streams report (NodeMetrics.eventStreamMetrics). */
export interface EventStreamMetrics {
  clients(n: number): void;
  dropped(): void;
}

/** A source of server-sent events, shared by every client. */
export interface EventFeed {
  /**
   * Send events to `send` (each a whole frame, see sseFrame), starting at once with what a new
   * client needs; returns a function that stops. The same frame goes to every client.
   */
  subscribe(send: (frame: string) => void): () => void;
}

export interface EventStreamOptions {
  readonly feed: EventFeed;
  /** Streams open at once at most; one more is answered 503. */
  readonly maxClients: number;
  readonly maxUnsentBytes?: number;
  readonly keepAliveMs?: number;
  readonly metrics?: EventStreamMetrics;
}

/** One server-sent event. `data` must be one line (JSON.stringify's output is). */
export function sseFrame(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}

interface Client {
  readonly res: ServerResponse;
  unsubscribe: (() => void) | undefined;
  closed: boolean;
}

/**
 * The open GET /events streams. Each client is bounded: what it has not read yet stays in this
 * process's buffers only up to maxUnsentBytes (one frame more at the moment of the write that
 * passes it); a client past that is disconnected and counted, never buffered for. The browser's
 * EventSource reconnects by itself and starts again from a fresh `hello` and `state`.
 */
export class EventStreams {
  private readonly clients = new Set<Client>();
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly maxUnsent: number;
  private readonly keepAliveMs: number;
  /** Clients disconnected for not reading, since start. */
  dropped = 0;
  /** The most unsent bytes any client had, right after a write: at most the bound plus one frame. */
  peakUnsent = 0;

  constructor(private readonly o: EventStreamOptions) {
    this.maxUnsent = o.maxUnsentBytes ?? MAX_UNSENT_BYTES;
    this.keepAliveMs = o.keepAliveMs ?? KEEP_ALIVE_MS;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Take over the reply as an event stream. */
  open(reply: FastifyReply): void {
    const res = reply.raw;
    const headers: OutgoingHttpHeaders = {};
    // Headers set by hooks (CORS) are fastify's until sent: carry them over.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
    reply.hijack();
    res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-content-type-options": "nosniff",
      // Proxies that buffer responses (nginx) would hold events back.
      "x-accel-buffering": "no",
    });
    const client: Client = { res, unsubscribe: undefined, closed: false };
    this.clients.add(client);
    this.o.metrics?.clients(this.clients.size);
    res.on("close", () => this.remove(client));
    res.on("error", () => this.remove(client));
    this.write(client, `: raft-ts live view\nretry: ${RETRY_MS}\n\n`);
    if (client.closed) return;
    this.keepAlive ??= setInterval(() => {
      for (const c of this.clients) this.write(c, ": keep-alive\n\n");
    }, this.keepAliveMs).unref();
    client.unsubscribe = this.o.feed.subscribe((frame) => this.write(client, frame));
    // The feed may have written enough to drop the client already.
    if (client.closed) this.unsubscribe(client);
  }

  /** End every stream now (the server is closing: an open stream must not hold it up). */
  closeAll(): void {
    for (const c of [...this.clients]) {
      c.res.destroy();
      this.remove(c);
    }
  }

  private write(client: Client, chunk: string): void {
    if (client.closed || client.res.destroyed) return;
    client.res.write(chunk);
    const unsent = client.res.writableLength;
    if (unsent > this.peakUnsent) this.peakUnsent = unsent;
    if (unsent > this.maxUnsent) {
      // The client is not reading (or not fast enough): let it go rather than buffer for it.
      this.dropped++;
      this.o.metrics?.dropped();
      client.res.destroy();
      this.remove(client);
    }
  }

  private remove(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    this.unsubscribe(client);
    this.o.metrics?.clients(this.clients.size);
    if (this.clients.size === 0 && this.keepAlive !== undefined) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }

  private unsubscribe(client: Client): void {
    const stop = client.unsubscribe;
    client.unsubscribe = undefined;
    stop?.();
  }
}

/**
 * GET /events: a text/event-stream of `opts.feed`'s events (docs/ui.md), at most
 * opts.maxClients at once. Streams end when the server closes. Returns the streams, for tests
 * and diagnostics.
 */
export function registerEventStream(app: FastifyInstance, opts: EventStreamOptions): EventStreams {
  const streams = new EventStreams(opts);
  app.get("/events", async (_req, reply) => {
    if (streams.size >= opts.maxClients) {
      reply.header("retry-after", "5");
      return reply.code(503).send({
        error: { code: "too_many_event_clients", message: `this node serves at most ${opts.maxClients} event streams at once (limits.maxEventClients)` },
      });
    }
    streams.open(reply);
    return reply;
  });
  app.addHook("preClose", (done) => {
    streams.closeAll();
    done();
  });
  return streams;
}
