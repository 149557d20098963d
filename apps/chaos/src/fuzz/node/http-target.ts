import { hexPreview, textPreview } from "../mutate.js";
import { accepted, FuzzFailure, rejected, type Outcome } from "../types.js";
import { httpCaseArb, type HttpCase } from "./http-cases.js";
import { errorCode, rawExchange, type Answer } from "./http-client.js";
import type { FuzzNode } from "./real-node.js";
import type { NetworkTarget } from "./network.js";

/**
 * The statuses a malformed request may get besides 4xx: 501 and 505 are HTTP's own answers
 * to an unknown method and an unsupported version. 503 transfer_failed answers a well-formed
 * leadership transfer in a cluster with no other voter: the request was fine.
 */
function judge(answers: readonly Answer[], closed: boolean): Outcome {
  for (const a of answers) {
    const expected5xx = a.status === 501 || a.status === 505 || (a.status === 503 && a.code === "transfer_failed");
    if (a.status >= 500 && !expected5xx) throw new FuzzFailure("server_error", `the node answered ${a.status}${a.code === undefined ? "" : ` ${a.code}`}`);
  }
  const first = answers[0];
  if (first === undefined) return rejected(closed ? "closed, no answer" : "no answer");
  const label = `${first.status}${first.code === undefined ? "" : ` ${first.code}`}`;
  if (first.status < 400 || (first.status === 503 && first.code === "transfer_failed")) return accepted(label);
  return rejected(label);
}

async function viaFetch(node: FuzzNode, c: Extract<HttpCase, { via: "fetch" }>): Promise<Outcome> {
  let res: Response;
  try {
    res = await fetch(`${node.url}${c.path}`, {
      method: c.method,
      headers: c.headers,
      redirect: "manual",
      signal: AbortSignal.timeout(5000),
      ...(c.body === undefined ? {} : { body: c.body }),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === "TimeoutError") throw new FuzzFailure("hang", "no answer within 5000 ms");
    if (err.cause?.code === "ECONNREFUSED") throw new FuzzFailure("exit", "the HTTP port refused a connection: the node is down");
    // The server closed the connection (say, on a body over the limit) while fetch was sending.
    if (err.cause !== undefined) return rejected("closed, no answer");
    throw e; // fetch refused the request itself: a bug in the fuzzer's generator
  }
  return judge([{ status: res.status, code: errorCode(Buffer.from(await res.arrayBuffer())) }], false);
}

export const HTTP_DESCRIPTION = "a real node's HTTP API: malformed and oversized requests over raw sockets and fetch";

/** How often the node's /healthz is checked between requests. */
const HEALTH_EVERY = 50;

/**
 * The HTTP API of a real node, hit with malformed and oversized requests over raw sockets
 * and fetch. Every request must get a 4xx (or a valid request's ordinary answer) or a
 * closed connection; a 5xx, a request left hanging, or a node that stops answering /healthz
 * or exits is a crash. The values written before are checked once the target is done.
 */
export function httpTarget(node: FuzzNode): NetworkTarget<HttpCase> {
  let sent = 0;
  return {
    name: "http",
    description: HTTP_DESCRIPTION,
    arbitrary: httpCaseArb(node.httpPort),
    concurrency: 8,
    show: (c) =>
      c.via === "raw"
        ? `raw: ${textPreview(Buffer.from(c.bytes).toString("latin1"))}`
        : `fetch: ${textPreview(JSON.stringify({ method: c.method, path: c.path, headers: c.headers }))}, body ${c.body === undefined ? "none" : hexPreview(c.body, 32)}`,
    async run(c): Promise<Outcome> {
      if (++sent % HEALTH_EVERY === 0 && !(await node.healthy(5000))) {
        throw new FuzzFailure(node.exited === undefined ? "hang" : "exit", node.exited ?? "the node stopped answering /healthz (checked just before sending this input)");
      }
      let outcome: Outcome;
      if (c.via === "fetch") outcome = await viaFetch(node, c);
      else {
        const firstIsHead = /^HEAD /i.test(Buffer.from(c.bytes.subarray(0, 5)).toString("latin1"));
        const ex = await rawExchange(node.httpPort, c.bytes, { expected: c.requests, firstIsHead });
        outcome = judge(ex.answers, ex.end === "closed");
      }
      if (node.exited !== undefined) throw new FuzzFailure("exit", node.exited);
      return outcome;
    },
  };
}
