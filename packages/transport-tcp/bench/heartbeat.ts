/**
 * Heartbeat round trips per second on loopback: two TcpTransports (node 1 sends Heartbeat,
 * node 2 answers HeartbeatResponse) beside a raw node:net ping-pong of the same frame sizes,
 * measured in the same run, with one round trip in flight and with a window of 64.
 *
 * The raw baseline is the best a framed protocol can do here: pre-encoded frames, a length
 * prefix parser and nothing else, and one write per read (the same coalescing the transport
 * does). It runs twice: on one socket (the classic ping-pong, the target's baseline) and with
 * one connection per direction (the transport's topology: each node sends on its own outbound
 * connection), which separates the cost of that design from the cost of the code. The
 * transport adds encoding, decoding, validation, metrics hooks and queues.
 *
 *   pnpm --filter @raft-ts/transport-tcp bench [--seconds 3] [--rounds 3]
 *
 * Numbers, not a test: nothing here asserts a speed.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Heartbeat, HeartbeatResponse, Message } from "@raft-ts/core";
import { encodeMessageFrame, frameCounter, TcpTransport } from "../src/index.js";

interface Options {
  readonly seconds: number;
  readonly rounds: number;
  readonly warmupSeconds: number;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
    return v;
  };
  if (argv.includes("--help")) {
    console.log("usage: bench [--seconds S per measurement, default 3] [--rounds R, default 3 (median reported)]");
    process.exit(0);
  }
  return { seconds: get("seconds", 3), rounds: get("rounds", 3), warmupSeconds: 0.5 };
}

const TERM = 5;
const COMMIT = 1000;
// A typical readSeq, so the raw frames have the size the transport's frames mostly have.
const TYPICAL_SEQ = 100_000;

const ping = (readSeq: number): Heartbeat => ({ type: "Heartbeat", from: 1, to: 2, term: TERM, commit: COMMIT, readSeq });
const pong = (readSeq: number): HeartbeatResponse => ({ type: "HeartbeatResponse", from: 2, to: 1, term: TERM, readSeq, commit: 0 });

/** Counts round trips completed between warm-up and the end of the measurement. */
class Meter {
  private count = 0;
  private measuring = false;
  running = true;

  completed(): void {
    if (this.measuring) this.count++;
  }

  async measure(o: Options): Promise<number> {
    await sleep(o.warmupSeconds * 1000);
    this.measuring = true;
    const start = performance.now();
    await sleep(o.seconds * 1000);
    this.measuring = false;
    const elapsed = (performance.now() - start) / 1000;
    this.running = false;
    return this.count / elapsed;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function transportRoundTrips(window: number, o: Options): Promise<number> {
  const meter = new Meter();
  let seq = TYPICAL_SEQ;
  const a: TcpTransport = new TcpTransport({
    nodeId: 1,
    clusterId: "bench",
    listen: { host: "127.0.0.1", port: 0 },
    peers: new Map(),
    onMessage: (m: Message) => {
      if (m.type !== "HeartbeatResponse") return;
      meter.completed();
      if (meter.running) a.send(ping(seq++));
    },
  });
  const b: TcpTransport = new TcpTransport({
    nodeId: 2,
    clusterId: "bench",
    listen: { host: "127.0.0.1", port: 0 },
    peers: new Map(),
    onMessage: (m: Message) => {
      if (m.type === "Heartbeat") b.send(pong(m.readSeq));
    },
  });
  const addrA = await a.start();
  const addrB = await b.start();
  a.setPeer(2, addrB);
  b.setPeer(1, addrA);
  while (!(a.status()[0]?.outbound === "connected" && b.status()[0]?.outbound === "connected")) await sleep(5);
  for (let i = 0; i < window; i++) a.send(ping(seq++));
  const rate = await meter.measure(o);
  await Promise.all([a.close(), b.close()]);
  return rate;
}


/**
 * Raw node:net ping-pong. With `connections` 1, pings and pongs share one socket (the classic
 * ping-pong, and the stricter baseline: replies carry the kernel's ACKs for free). With 2,
 * each side sends on a connection of its own, the topology the transport uses.
 */
async function rawRoundTrips(window: number, connections: 1 | 2, o: Options): Promise<number> {
  const pingFrame = encodeMessageFrame(ping(TYPICAL_SEQ));
  const pongFrame = encodeMessageFrame(pong(TYPICAL_SEQ));
  const repeat = (frame: Buffer, n: number): Buffer => (n === 1 ? frame : Buffer.concat(Array.from({ length: n }, () => frame)));
  const meter = new Meter();
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  const listen = async (onSocket: (s: Socket) => void): Promise<number> => {
    const server = createServer((s) => {
      sockets.add(s);
      s.setNoDelay(true);
      s.on("error", () => {});
      onSocket(s);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  };
  const dial = async (port: number): Promise<Socket> => {
    const s = connect({ host: "127.0.0.1", port });
    sockets.add(s);
    s.setNoDelay(true);
    s.on("error", () => {});
    await new Promise((resolve) => s.once("connect", resolve));
    return s;
  };

  // The ponger's sending socket: the accepted one with a single connection, its own otherwise.
  let pongOut: Socket | undefined;
  const pongerPort = await listen((s) => {
    pongOut ??= s;
    s.on("data", frameCounter((n) => pongOut!.write(repeat(pongFrame, n))));
  });
  const pingOut = await dial(pongerPort);
  const onPongs = frameCounter((n) => {
    for (let i = 0; i < n; i++) meter.completed();
    if (meter.running) pingOut.write(repeat(pingFrame, n));
  });
  if (connections === 1) {
    pingOut.on("data", onPongs);
  } else {
    const pingerPort = await listen((s) => s.on("data", onPongs));
    pongOut = await dial(pingerPort);
  }
  pingOut.write(repeat(pingFrame, window));
  const rate = await meter.measure(o);
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return rate;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const pingBytes = encodeMessageFrame(ping(TYPICAL_SEQ)).length;
  const pongBytes = encodeMessageFrame(pong(TYPICAL_SEQ)).length;
  console.log(
    `heartbeat round trips on 127.0.0.1: Heartbeat frame ${pingBytes} B, HeartbeatResponse frame ${pongBytes} B; ` +
      `${o.rounds} round(s) of ${o.seconds} s each (after ${o.warmupSeconds} s warm-up), raw and transport interleaved; medians`,
  );
  const rows: Array<{ mode: string; raw1: number; raw2: number; transport: number }> = [];
  for (const window of [1, 64]) {
    const raw1: number[] = [];
    const raw2: number[] = [];
    const transport: number[] = [];
    for (let r = 0; r < o.rounds; r++) {
      raw1.push(await rawRoundTrips(window, 1, o));
      transport.push(await transportRoundTrips(window, o));
      raw2.push(await rawRoundTrips(window, 2, o));
    }
    rows.push({ mode: window === 1 ? "1 in flight" : `window ${window}`, raw1: median(raw1), raw2: median(raw2), transport: median(transport) });
  }
  const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const table = [
    ["mode", "raw, 1 conn (RT/s)", "raw, 2 conns (RT/s)", "transport (RT/s)", "transport / raw 1 conn", "transport / raw 2 conns"],
    ...rows.map((r) => [r.mode, fmt(r.raw1), fmt(r.raw2), fmt(r.transport), pct(r.transport / r.raw1), pct(r.transport / r.raw2)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  console.log("");
  for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("   "));
  console.log("");
  console.log(`lowest ratio to the raw single-connection ping-pong: ${pct(Math.min(...rows.map((r) => r.transport / r.raw1)))} (target: at least 80 %)`);
  console.log(`lowest ratio to raw with the transport's topology:   ${pct(Math.min(...rows.map((r) => r.transport / r.raw2)))}`);
  console.log("raw 2 conns = the same ping-pong with one connection per direction, as the transport sends (one outbound connection per peer).");
}

await main();
