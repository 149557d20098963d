// One peer process of `pnpm bench heartbeat` (started by peer-processes.ts, never by hand):
// a Raft follower as apps/node runs it (RaftNode, TcpTransport, apps/node's RaftDriver; memory
// storage, since heartbeats write nothing), or the raw node:net echo server it is compared to.
// Control arrives over IPC (heartbeat-ipc.ts); when that channel closes, the benchmark is gone
// and so is the reason to run.
import { createServer, type AddressInfo, type Socket } from "node:net";
import { KvStateMachine } from "../../node/src/kv/state-machine.js";
import { createLogger } from "../../node/src/logger.js";
import { RaftDriver } from "../../node/src/raft-driver.js";
import { CLUSTER_ID, HOST, type FromPeer, type PeerSpec, type ToPeer } from "./heartbeat-ipc.js";
import { MemoryStorage, RaftNode, SeededRng } from "@raft-ts/core";
import { frameCounter, TcpTransport } from "@raft-ts/transport-tcp";

/** How long to wait for the connections to every peer before giving up. */
const CONNECT_TIMEOUT_MS = 15_000;

function tell(m: FromPeer): void {
  process.send!(m);
}

/** Report the failure to the benchmark, then exit (once it is sent, or after a second). */
function fail(e: unknown): void {
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`${message}\n`);
  process.send!({ type: "failed", message } satisfies FromPeer, () => process.exit(1));
  setTimeout(() => process.exit(1), 1000).unref();
}

function onControl(handle: (m: ToPeer) => void | Promise<void>): void {
  process.on("message", (m: ToPeer) => {
    Promise.resolve()
      .then(() => handle(m))
      .catch(fail);
  });
}

async function runFollower(spec: Extract<PeerSpec, { mode: "raft" }>): Promise<void> {
  const { id, voters, timing } = spec;
  const logger = createLogger({ nodeId: id, level: "warn", format: "json" });
  const storage = new MemoryStorage();
  const node = new RaftNode(
    { id, voters, electionTicks: timing.electionTicks, heartbeatTicks: timing.heartbeatTicks, rng: new SeededRng(id) },
    storage,
  );
  const transport: TcpTransport = new TcpTransport({
    nodeId: id,
    clusterId: CLUSTER_ID,
    listen: { host: HOST, port: 0 },
    peers: new Map(),
    logger,
    // Messages arrive only after setPeer(), by which time the driver exists.
    onMessage: (m) => driver.receive(m),
  });
  const driver: RaftDriver = new RaftDriver({
    node,
    storage,
    transport,
    kv: new KvStateMachine(),
    tickMs: timing.tickMs,
    logger,
    maxPending: 10_000,
    requestTimeoutMs: 5000,
    onFatal: fail,
  });
  onControl(async (m) => {
    switch (m.type) {
      case "peers": {
        for (const [peer, port] of m.ports) if (peer !== id) transport.setPeer(peer, { host: HOST, port });
        const deadline = performance.now() + CONNECT_TIMEOUT_MS;
        const connected = () => transport.status().every((p) => p.outbound === "connected" && p.inbound);
        while (!connected()) {
          if (performance.now() > deadline) throw new Error(`node ${id}: not connected to every peer within ${CONNECT_TIMEOUT_MS} ms`);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        tell({ type: "connected" });
        break;
      }
      case "start":
        driver.start();
        break;
      case "stop":
        driver.stop();
        await transport.close();
        process.exit(0);
    }
  });
  const bound = await transport.start();
  tell({ type: "listening", port: bound.port });
}

async function runEcho(spec: Extract<PeerSpec, { mode: "raw" }>): Promise<void> {
  const pong = Buffer.from(spec.pongHex, "hex");
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    s.setNoDelay(true);
    s.on("error", () => {}); // the benchmark closing its end is not an error here
    // One write per read, however many frames it held: the coalescing the transport does too.
    s.on("data", frameCounter((n) => s.write(n === 1 ? pong : Buffer.concat(Array.from({ length: n }, () => pong)))));
  });
  onControl((m) => {
    switch (m.type) {
      case "peers":
      case "start":
        throw new Error(`the raw echo server takes no "${m.type}"`);
      case "stop":
        for (const s of sockets) s.destroy();
        server.close(() => process.exit(0));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, resolve);
  });
  tell({ type: "listening", port: (server.address() as AddressInfo).port });
}

if (process.send === undefined) {
  console.error("heartbeat-peer.ts is started by `pnpm bench heartbeat` (it needs an IPC channel)");
  process.exit(2);
}
process.on("disconnect", () => process.exit(0));
const spec = JSON.parse(process.argv[2] ?? "null") as PeerSpec;
await (spec.mode === "raft" ? runFollower(spec) : runEcho(spec)).catch(fail);
