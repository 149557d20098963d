/** One server-sent event, its data parsed as JSON. */
export interface SseEvent {
  readonly event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly data: any;
}

/**
 * A test's client of GET /events: reads the stream as it comes (so the server never waits on
 * it), parses each event, and lets the test wait, bounded, for one that matches.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  private readonly abort = new AbortController();
  private ended = false;

  constructor(readonly url: string) {}

  /** Connect; resolves to the response's status (200, or an error status whose body is JSON). */
  async open(headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.url, { signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(120_000)]), headers });
    this.status = res.status;
    if (res.ok && res.body !== null) void this.pump(res.body);
    return res;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of body) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf("\n\n")) !== -1) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (data.length > 0) this.events.push({ event, data: JSON.parse(data.join("\n")) });
        }
      }
    } catch {
      // aborted, or the server ended the stream
    } finally {
      this.ended = true;
    }
  }

  get closed(): boolean {
    return this.ended;
  }

  /** The first event (from the `from`th on) that is `event` and satisfies `match`. */
  async waitFor(event: string, match: (data: SseEvent["data"]) => boolean = () => true, timeoutMs = 10_000, from = 0): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find((e) => e.event === event && match(e.data));
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        const seen = this.events.map((e) => e.event).join(",");
        throw new Error(`no "${event}" event as expected from ${this.url} within ${timeoutMs} ms (seen: ${seen.slice(-400)})`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.abort.abort();
  }
}
