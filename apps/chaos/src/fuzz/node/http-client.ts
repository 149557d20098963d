import { connect } from "node:net";
import { FuzzFailure } from "../types.js";

/** One response read off the wire: its status, and the error code of a JSON error body. */
export interface Answer {
  readonly status: number;
  readonly code: string | undefined;
}

/**
 * The error code of a JSON error body: the API's own `{ error: { code } }`, or the shape
 * fastify and Node use for what fails before a route runs (`{ error: "Bad Request", code }`).
 */
export function errorCode(body: Buffer): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { error, code } = parsed as { error?: unknown; code?: unknown };
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string") return (error as { code: string }).code;
  if (typeof code === "string") return code;
  return typeof error === "string" ? error : undefined;
}

/**
 * The responses in `buf`, in order, and whether the last one is still incomplete. Enough of
 * HTTP/1.1 for what a server sends: content-length or chunked bodies, or a body that runs to
 * the close; no body for HEAD, 204 and 304; 1xx interim responses skipped.
 */
export function parseResponses(buf: Buffer, firstIsHead: boolean): { answers: Answer[]; partial: boolean } {
  const answers: Answer[] = [];
  let at = 0;
  while (at < buf.length) {
    const headEnd = buf.indexOf("\r\n\r\n", at);
    if (headEnd < 0) return { answers, partial: true };
    const head = buf.subarray(at, headEnd).toString("latin1").split("\r\n");
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(head[0]!);
    if (m === null) return { answers, partial: false }; // not HTTP: nothing more to read
    const status = Number(m[1]);
    const headers = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(":")).trim().toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
    let bodyStart = headEnd + 4;
    if (status >= 100 && status < 200) {
      at = bodyStart;
      continue;
    }
    let body: Buffer;
    if ((firstIsHead && answers.length === 0) || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = buf.indexOf("\r\n", bodyStart);
        if (lineEnd < 0) return { answers, partial: true };
        const size = parseInt(buf.subarray(bodyStart, lineEnd).toString("latin1"), 16);
        if (!Number.isFinite(size)) return { answers, partial: false };
        if (lineEnd + 2 + size + 2 > buf.length) return { answers, partial: true };
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        bodyStart = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else if (headers.has("content-length")) {
      const end = bodyStart + Number(headers.get("content-length"));
      if (!(end <= buf.length)) return { answers, partial: true };
      body = buf.subarray(bodyStart, end);
      bodyStart = end;
    } else {
      body = buf.subarray(bodyStart);
      bodyStart = buf.length;
    }
    answers.push({ status, code: errorCode(body) });
    at = bodyStart;
  }
  return { answers, partial: false };
}

export interface Exchange {
  readonly answers: Answer[];
  /** "answered": every expected response arrived; "closed": the server closed (or reset) first. */
  readonly end: "answered" | "closed";
}

/**
 * Sends `bytes` on a fresh connection and reads what comes back, until `expected` complete
 * responses arrived or the server closed. When the server goes quiet for idleMs (waiting for
 * a body that will never come, or keeping the connection alive), the sending side is shut, so
 * the server sees the end of the request stream and must answer or close. Past timeoutMs with
 * the connection still open, the server is hanging: a FuzzFailure.
 */
export function rawExchange(port: number, bytes: Uint8Array, o: { expected: number; firstIsHead: boolean; idleMs?: number; timeoutMs?: number }): Promise<Exchange> {
  const idleMs = o.idleMs ?? 300;
  const timeoutMs = o.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (end: Exchange["end"] | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(hard);
      socket.destroy();
      if (end instanceof Error) reject(end);
      else resolve({ answers: parseResponses(Buffer.concat(chunks), o.firstIsHead).answers, end });
    };
    const quiet = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (!socket.writableEnded) socket.end();
      }, idleMs);
    };
    const hard = setTimeout(() => finish(new FuzzFailure("hang", `no answer and no close within ${timeoutMs} ms (the request stream was ended after ${idleMs} ms of silence)`)), timeoutMs);
    socket.setNoDelay(true);
    socket.on("connect", () => {
      socket.write(bytes);
      quiet();
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      const { answers, partial } = parseResponses(Buffer.concat(chunks), o.firstIsHead);
      if (answers.length >= o.expected && !partial) finish("answered");
      else quiet();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNREFUSED") finish(new FuzzFailure("exit", "the HTTP port refused a connection: the node is down"));
      // Resets and broken pipes: the server closed on us; "close" follows.
    });
    socket.on("close", () => finish("closed"));
  });
}
