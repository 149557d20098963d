import fc from "fast-check";
import { parseHostPort } from "../../../../node/src/config.js";
import { applyMutations, mutationsArb } from "../mutate.js";
import { trickyStringArb } from "../strings.js";
import { FUZZ_LIMITS } from "./real-node.js";

/**
 * Malformed and oversized HTTP requests for a real node: wrong methods and versions, bad
 * request targets (invalid percent-encoding and UTF-8, keys over the limit, odd query
 * strings), huge and broken headers, bodies just over and far over the limit, contradictory
 * framing, bad JSON to the admin routes; sent over a raw socket (anything at all) or through
 * fetch (what a well-behaved client library can still be made to send).
 */
export type HttpCase =
  | { readonly via: "raw"; readonly bytes: Uint8Array; readonly requests: number }
  | {
      readonly via: "fetch";
      readonly method: string;
      readonly path: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: Uint8Array | undefined;
    };

const { maxKeyBytes, maxValueBytes } = FUZZ_LIMITS;

const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "latin1"));
const utf8 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "utf8"));

/**
 * Percent-encodes the UTF-8 of `s` (unreserved characters kept). Unlike encodeURIComponent it
 * takes lone surrogates, which become U+FFFD's bytes as in any UTF-8 encoder.
 */
export function percentEncode(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Key parts of /kv/{key}: valid, at and over the size limit, badly encoded. */
const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: trickyStringArb(40).map(percentEncode) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).map((s) => s.replace(/[^A-Za-z0-9_-]/g, "k")) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "x".repeat(maxKeyBytes), // at the limit
      "x".repeat(maxKeyBytes + 1), // one byte over
      "%C3%A9".repeat(Math.ceil((maxKeyBytes + 1) / 2)), // over in bytes, encoded
      "y".repeat(3 * maxKeyBytes + 17), // over the router's parameter length
      "z".repeat(20_000), // far over
      "",
      "%",
      "%4",
      "%zz",
      "a%",
      "%ff",
      "%c0%80",
      "%ed%a0%80",
      "%f4%90%80%80",
      "%EF%BB%BFbom",
      "%00",
      "%2F",
      "..",
      "a/b",
      "%25",
      "%%",
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((s) => `${s}%${s}`) },
);

const queryArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constant("") },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "?consistency=stale",
      "?consistency=linearizable",
      "?consistency=",
      "?consistency=STALE",
      "?consistency=stale&consistency=stale",
      "?consistency[]=stale",
      "?%zz",
      "?a=%",
      "?consistency=%ff",
      "??",
      "?&&&=",
      "#fragment",
      "?__proto__=1&constructor=2",
      `?${"q=1&".repeat(5000)}`,
    ),
  },
  { weight: 1, arbitrary: trickyStringArb(20).map((s) => `?consistency=${percentEncode(s)}`) },
);

/** Ids for DELETE /admin/members/{id}: never node 2, the learner the Raft fuzzer plays. */
const memberIdArb = fc.constantFrom("abc", "0", "-1", "1.5", "1e400", "9007199254740993", "", "%20", "3", "99", "0x10", "%ff", "1", " 7");

/** `to` for POST /admin/leadership-transfer: none of them another voter (there is none). */
const transferArb = fc.constantFrom("?to=", "?to=abc", "?to=1", "?to=2", "?to=-5", "?to=1e3", "?to=9007199254740993", "?to=1&to=2", "?to", "?to=%zz", "");

/** Whether `text` is a body POST /admin/members would accept (the fuzzer never sends one). */
export function validAddMember(text: string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (Object.keys(o).some((k) => !["id", "raft", "http", "role"].includes(k))) return false;
  const addr = (a: unknown) => typeof a === "string" && a.length <= 300 && parseHostPort(a) !== undefined;
  const id = o.id;
  return typeof id === "number" && Number.isSafeInteger(id) && id > 0 && addr(o.raft) && addr(o.http) && (o.role === undefined || o.role === "voter" || o.role === "learner");
}

/** Bodies for POST /admin/members: bad JSON, and JSON the schema must refuse. */
const adminBodyArb: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    fc.constantFrom(
      "",
      "{",
      "{}",
      "null",
      "[]",
      '"x"',
      "1e999",
      '{"id": 3}',
      '{"id": "3", "raft": "127.0.0.1:1", "http": "127.0.0.1:2"}',
      '{"id": 0, "raft": "127.0.0.1:1", "http": "127.0.0.1:2"}',
      '{"id": 3, "raft": "nowhere", "http": "127.0.0.1:2"}',
      '{"id": 3, "raft": "127.0.0.1:70000", "http": "127.0.0.1:2"}',
      '{"id": 3, "raft": "127.0.0.1:1", "http": "127.0.0.1:2", "role": "boss"}',
      '{"id": 3, "raft": "127.0.0.1:1", "http": "127.0.0.1:2", "extra": true}',
      '{"id": 9007199254740993, "raft": "127.0.0.1:1", "http": "127.0.0.1:2"}',
      '{"__proto__": {"id": 3}, "raft": "127.0.0.1:1", "http": "127.0.0.1:2"}',
      `{"id": 3, "raft": "${"a".repeat(400)}:1", "http": "127.0.0.1:2"}`,
      `${"[".repeat(30_000)}${"]".repeat(30_000)}`, // deep, and under the body limit
    ),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ""),
    trickyStringArb(60),
  )
  .map(utf8)
  .chain((b) => fc.oneof({ weight: 4, arbitrary: fc.constant(b) }, { weight: 1, arbitrary: mutationsArb({ max: 2 }).map((ms) => applyMutations({ bytes: b, fields: [] }, ms)) }))
  .filter((b) => !validAddMember(Buffer.from(b).toString("utf8")));

/** A request target (path and query) and the body that goes with it. */
interface Target {
  readonly method: string;
  readonly target: string;
  readonly body: Uint8Array | undefined;
}

const valueBodyArb: fc.Arbitrary<Uint8Array | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(maxValueBytes)) }, // at the limit
  { weight: 2, arbitrary: fc.constant(new Uint8Array(maxValueBytes + 1)) }, // one byte over
  { weight: 1, arbitrary: fc.constant(new Uint8Array(4 * maxValueBytes)) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(4 * 1024 * 1024)) }, // far over
);

const METHODS = ["GET", "PUT", "DELETE", "POST", "HEAD", "OPTIONS", "PATCH"];

const targetArb: fc.Arbitrary<Target> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ method: fc.constantFrom(...METHODS), target: fc.tuple(keyArb, queryArb).map(([k, q]) => `/kv/${k}${q}`), body: valueBodyArb }) },
  { weight: 3, arbitrary: fc.record({ method: fc.constantFrom("POST", "POST", "PUT", "GET"), target: fc.constant("/admin/members"), body: adminBodyArb }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constantFrom("DELETE", "GET", "PUT"), target: memberIdArb.map((id) => `/admin/members/${id}`), body: fc.constant(undefined) }) },
  { weight: 1, arbitrary: fc.record({ method: fc.constantFrom("POST", "GET"), target: transferArb.map((q) => `/admin/leadership-transfer${q}`), body: fc.constant(undefined) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      method: fc.constantFrom(...METHODS),
      target: fc.constantFrom("/admin/snapshot", "/status", "/healthz", "/readyz", "/metrics", "/", "/kv", "/kv/", "/admin", "/admin/", "//kv//x", "/KV/x", "/kv/x/y", "/status?verbose=%ff"),
      body: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
    }),
  },
);

/** Methods only a raw socket can send: unknown, misspelt, or not HTTP at all. */
const rawMethodArb = fc.oneof(
  { weight: 22, arbitrary: fc.constant(undefined) }, // the target's own
  {
    weight: 3,
    arbitrary: fc.constantFrom("FOO", "get", "G ET", "", "PROPFIND", "TRACE", "CONNECT", "SEARCH", "PRI", "GET\u0000", "\u00ff\u00fe", "A".repeat(2000)),
  },
);

const versionArb = fc.oneof(
  { weight: 27, arbitrary: fc.constant("HTTP/1.1") },
  { weight: 3, arbitrary: fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTP/9", "http/1.1", "", "HTTP/1.1 extra", "HTTP/1.1\u0000", "HTTP/01.1") },
);

type Header = readonly [string, string];

/** Headers the server reads, with good and bad values. */
const meaningfulHeaderArb: fc.Arbitrary<Header[]> = fc.oneof(
  fc.constant<Header[]>([]),
  fc.tuple(
    fc.constantFrom("fuzz-client", "", "c".repeat(129), "\u00e9", "x y"),
    fc.constantFrom("1", "0", "-1", "abc", "1e3", "9007199254740993", "", " 1", "1.5", "0x10"),
  ).map(([id, seq]): Header[] => [
    ["x-client-id", id],
    ["x-request-seq", seq],
  ]),
  fc.constantFrom<Header[]>([["x-client-id", "only-the-id"]], [["x-request-seq", "7"]]),
  fc.constantFrom<Header[]>(
    [["content-type", "application/json"]],
    [["content-type", "text/plain; charset=utf-16"]],
    [["content-type", "multipart/form-data; boundary=x"]],
    [["content-type", ";;;"]],
    [["authorization", "Bearer nothing"]],
    [["connection", "upgrade"], ["upgrade", "websocket"]],
    [["connection", "Upgrade, HTTP2-Settings"], ["upgrade", "h2c"], ["http2-settings", "AAMAAABkAAQAAP__"]],
    [["expect", "100-continue"]],
    [["expect", "nonsense"]],
    [["accept-encoding", "gzip"]],
    [["range", "bytes=0-1"]],
  ),
);

/** Headers that are wrong as HTTP: huge, too many, badly named, broken lines, raw bytes. */
const brokenHeaderLinesArb: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string[]>([]) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      [`x-big: ${"h".repeat(8 * 1024)}`],
      [`x-big: ${"h".repeat(17 * 1024)}`], // just over Node's 16 KiB header limit
      [`x-big: ${"h".repeat(300 * 1024)}`], // far over
      Array.from({ length: 3000 }, (_, i) => `x-many-${i}: ${i}`),
      ["bad header: value"],
      ["no-colon-at-all"],
      [": empty-name"],
      ["x-fold: a", " continued"],
      ["x-cr: a\rb"],
      ["x-nul: a\u0000b"],
      ["x-bytes: \u00ff\u00fe\u0080"],
      ["host: second-host"],
      ["host:"],
      ["x-lf-only: a\nx-next: b"],
      ["content-length: 5", "content-length: 6"],
      ["transfer-encoding: chunked, identity"],
      ["transfer-encoding: gzip"],
    ),
  },
);

type Framing = "length" | "short" | "long" | "negative" | "huge" | "junk" | "chunked" | "chunked-bad" | "chunked-huge" | "both" | "none";

const framingArb: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 16, arbitrary: fc.constant("length" as const) },
  { weight: 4, arbitrary: fc.constantFrom<Framing>("short", "long", "negative", "huge", "junk", "chunked", "chunked-bad", "chunked-huge", "both", "none") },
);

function framed(framing: Framing, body: Uint8Array | undefined): { headers: string[]; payload: Buffer } {
  const b = Buffer.from(body ?? new Uint8Array(0));
  const chunked = (size: string, data: Buffer, end = "0\r\n\r\n") => Buffer.concat([Buffer.from(`${size}\r\n`, "latin1"), data, Buffer.from(`\r\n${end}`, "latin1")]);
  switch (framing) {
    case "length":
      return { headers: body === undefined ? [] : [`content-length: ${b.length}`], payload: b };
    case "short":
      return { headers: [`content-length: ${Math.max(0, b.length - 3)}`], payload: b };
    case "long":
      return { headers: [`content-length: ${b.length + 10}`], payload: b };
    case "negative":
      return { headers: ["content-length: -1"], payload: b };
    case "huge":
      return { headers: ["content-length: 99999999999999999999"], payload: b };
    case "junk":
      return { headers: ["content-length: 12abc"], payload: b };
    case "chunked":
      return { headers: ["transfer-encoding: chunked"], payload: chunked(b.length.toString(16), b) };
    case "chunked-bad":
      return { headers: ["transfer-encoding: chunked"], payload: chunked("zz", b, "") };
    case "chunked-huge":
      return { headers: ["transfer-encoding: chunked"], payload: chunked("ffffffffffffffff", b) };
    case "both":
      return { headers: [`content-length: ${b.length}`, "transfer-encoding: chunked"], payload: chunked(b.length.toString(16), b) };
    case "none":
      return { headers: [], payload: b };
  }
}

/** One request on the wire. Targets and values keep their UTF-8; the rest is sent as bytes 0-255. */
function serialize(
  p: { method: string; target: string; version: string; host: boolean; headers: Header[]; broken: string[]; framing: Framing; body: Uint8Array | undefined; keepAlive: boolean },
  port: number,
): Buffer {
  const { headers: framingHeaders, payload } = framed(p.framing, p.body);
  const lines = [
    ...(p.host ? [`host: 127.0.0.1:${port}`] : []),
    ...p.headers.map(([n, v]) => `${n}: ${v}`),
    ...p.broken,
    ...framingHeaders,
    // The server closes after answering, so the exchange ends without waiting.
    ...(p.keepAlive ? [] : ["connection: close"]),
  ];
  const head = Buffer.concat([Buffer.from(`${p.method} `, "latin1"), Buffer.from(p.target, "utf8"), Buffer.from(` ${p.version}\r\n${lines.join("\r\n")}\r\n\r\n`, "latin1")]);
  return Buffer.concat([head, payload]);
}

/** DELETE /admin/members/2 would remove the learner the Raft fuzzer needs; never sent, however spelt. */
export function removesTheLearner(bytes: Uint8Array): boolean {
  const line = Buffer.from(bytes.subarray(0, 512)).toString("latin1").split(/\r?\n/)[0] ?? "";
  const m = /^DELETE\s+(?:https?:\/\/[^/]*)?\/admin\/members\/([^\s?#]*)/i.exec(line);
  if (m === null) return false;
  let id = m[1]!;
  try {
    id = decodeURIComponent(id);
  } catch {
    // left encoded: the server answers 400
  }
  return Number(id) === 2;
}

export function rawCaseArb(port: number): fc.Arbitrary<HttpCase> {
  return fc
    .record({
      t: targetArb,
      method: rawMethodArb,
      version: versionArb,
      host: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      headers: meaningfulHeaderArb,
      broken: brokenHeaderLinesArb,
      framing: framingArb,
      mutations: fc.oneof(
        { weight: 7, arbitrary: fc.constant(null) },
        { weight: 3, arbitrary: mutationsArb({ max: 3, tokens: [latin1("\r\n"), latin1("\r\n\r\n"), latin1(" "), latin1("%"), latin1(":")] }) },
      ),
      pipelined: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    })
    .map(({ t, method, version, host, headers, broken, framing, mutations, pipelined }): HttpCase => {
      let bytes: Uint8Array = serialize({ method: method ?? t.method, target: t.target, version, host, headers, broken, framing, body: t.body, keepAlive: pipelined }, port);
      if (mutations !== null) bytes = applyMutations({ bytes, fields: [] }, mutations);
      if (pipelined) bytes = Buffer.concat([bytes, Buffer.from(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n\r\n`, "latin1")]);
      return { via: "raw", bytes, requests: pipelined ? 2 : 1 };
    })
    .filter((c) => c.via !== "raw" || !removesTheLearner(c.bytes));
}

/** Header values fetch will send: printable ASCII, no line breaks. */
const fetchHeaderArb: fc.Arbitrary<Record<string, string>> = fc
  .tuple(
    meaningfulHeaderArb,
    fc.oneof({ weight: 6, arbitrary: fc.constant<Header[]>([]) }, { weight: 1, arbitrary: fc.constantFrom<Header[]>([["x-big", "h".repeat(17 * 1024)]], [["x-big", "h".repeat(64 * 1024)]]) }),
  )
  .map(([a, b]) => Object.fromEntries([...a, ...b].filter(([, v]) => /^[\x20-\x7e]*$/.test(v))));

export function fetchCaseArb(): fc.Arbitrary<HttpCase> {
  return fc
    .record({ t: targetArb, headers: fetchHeaderArb })
    .map(({ t, headers }): HttpCase => {
      // fetch sends no body with GET or HEAD.
      const body = t.method === "GET" || t.method === "HEAD" ? undefined : t.body;
      return { via: "fetch", method: t.method, path: t.target, headers, body };
    })
    .filter((c) => c.via !== "fetch" || !(c.method === "DELETE" && removesTheLearner(Buffer.from(`DELETE ${c.path} HTTP/1.1`, "latin1"))));
}

/** Well-formed requests a client would send: the requests the malformed ones are variations of. */
export function validCaseArb(port: number): fc.Arbitrary<HttpCase> {
  const key = fc.string({ minLength: 1, maxLength: 12 }).map((s) => `fuzz-${percentEncode(s)}`);
  return fc
    .oneof(
      fc.record({ method: fc.constant("PUT"), path: key.map((k) => `/kv/${k}`), body: fc.uint8Array({ maxLength: 100 }) }),
      fc.record({ method: fc.constantFrom("GET", "DELETE"), path: fc.tuple(key, fc.constantFrom("", "?consistency=stale")).map(([k, q]) => `/kv/${k}${q}`), body: fc.constant(undefined) }),
      fc.record({ method: fc.constant("GET"), path: fc.constantFrom("/status", "/healthz", "/readyz", "/admin/members"), body: fc.constant(undefined) }),
    )
    .chain((r) =>
      fc.constantFrom<HttpCase>(
        { via: "fetch", method: r.method, path: r.path, headers: {}, body: r.body },
        {
          via: "raw",
          bytes: serialize({ method: r.method, target: r.path, version: "HTTP/1.1", host: true, headers: [], broken: [], framing: "length", body: r.body, keepAlive: false }, port),
          requests: 1,
        },
      ),
    );
}

export function httpCaseArb(port: number): fc.Arbitrary<HttpCase> {
  return fc.oneof({ weight: 2, arbitrary: validCaseArb(port) }, { weight: 9, arbitrary: rawCaseArb(port) }, { weight: 3, arbitrary: fetchCaseArb() });
}
