// A reader of a node's GET /events stream that does what the live view's page does with it:
// reads every byte as it comes, splits the server-sent events and parses each payload.
// `pnpm bench ui` opens one per node to put a page's load on the cluster.

export interface EventStreamStats {
  /** Events received, by event name (`hello`, `state`, `messages`, ...). */
  readonly events: Readonly<Record<string, number>>;
  readonly bytes: number;
  /** Payloads that were not JSON (the stream's contract says every one is). */
  readonly badPayloads: number;
}

export class EventStreamReader {
  private readonly abort = new AbortController();
  private readonly events: Record<string, number> = {};
  private bytes = 0;
  private badPayloads = 0;
  private done: Promise<void> | undefined;

  constructor(private readonly url: string) {}

  /** Resolves once the stream answered 200 (its events then keep arriving until stop()). */
  async start(): Promise<void> {
    const res = await fetch(this.url, { signal: this.abort.signal, headers: { accept: "text/event-stream" } });
    if (res.status !== 200 || res.body === null) {
      await res.body?.cancel();
      throw new Error(`GET ${this.url} answered ${res.status}`);
    }
    this.done = this.consume(res.body).catch((e: unknown) => {
      if (!this.abort.signal.aborted) throw e;
    });
  }

  private async consume(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of body) {
      this.bytes += chunk.length;
      pending += decoder.decode(chunk, { stream: true });
      // An event ends with a blank line.
      for (let end = pending.indexOf("\n\n"); end >= 0; end = pending.indexOf("\n\n")) {
        this.handle(pending.slice(0, end));
        pending = pending.slice(end + 2);
      }
    }
  }

  private handle(block: string): void {
    let name = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // a comment (keep-alive)
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) return;
    try {
      JSON.parse(data.join("\n"));
    } catch {
      this.badPayloads++;
    }
    this.events[name] = (this.events[name] ?? 0) + 1;
  }

  async stop(): Promise<EventStreamStats> {
    this.abort.abort();
    await this.done;
    return { events: { ...this.events }, bytes: this.bytes, badPayloads: this.badPayloads };
  }
}

/** The sum of several readers' stats. */
export function addStats(all: readonly EventStreamStats[]): EventStreamStats {
  const events: Record<string, number> = {};
  let bytes = 0;
  let badPayloads = 0;
  for (const s of all) {
    for (const [k, n] of Object.entries(s.events)) events[k] = (events[k] ?? 0) + n;
    bytes += s.bytes;
    badPayloads += s.badPayloads;
  }
  return { events, bytes, badPayloads };
}
