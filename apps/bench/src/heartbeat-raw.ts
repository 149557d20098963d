// The baseline of `pnpm bench heartbeat`: a raw node:net ping-pong with the same frames, the
// same number of peer processes and the same lockstep as the Raft phase, and nothing else:
// pre-encoded frames, a length-prefix scan, one write per peer per round.
import { connect, type Socket } from "node:net";
import { HOST } from "./heartbeat-ipc.js";
import { measureRate, type PhaseOptions } from "./measure-window.js";
import { PeerProcess } from "./peer-processes.js";
import { frameCounter } from "@raft-ts/transport-tcp";

const PEER_START_TIMEOUT_MS = 30_000;

async function dial(port: number): Promise<Socket> {
  const s = connect({ host: HOST, port });
  s.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    s.once("connect", resolve);
    s.once("error", reject);
  });
  return s;
}

/**
 * Round trips per second, all peers together: send `ping` to every peer, wait until each has
 * answered with `pong`, repeat. Each peer listens on 127.0.0.1 in a process of its own and
 * answers on the same connection (the classic ping-pong; the transport instead sends each
 * direction on a connection of its own, which costs it some: see its README).
 */
export async function rawRoundTrips(o: PhaseOptions & { readonly ping: Buffer; readonly pong: Buffer }): Promise<number> {
  const peers = Array.from({ length: o.followers }, (_, i) => PeerProcess.spawn(`${o.name}: echo ${i + 1}`, { mode: "raw", pongHex: o.pong.toString("hex") }));
  const sockets: Socket[] = [];
  let failure: Error | undefined;
  let unanswered = 0;
  let answers = 0;
  let running = false;
  const round = (): void => {
    unanswered = sockets.length;
    for (const s of sockets) s.write(o.ping);
  };
  try {
    o.onProgress(`${o.name}: starting ${o.followers} echo processes (pids ${peers.map((p) => p.pid).join(", ")})`);
    for (const p of peers) {
      const s = await dial((await p.next("listening", PEER_START_TIMEOUT_MS)).port);
      sockets.push(s);
      s.on("error", (e) => (failure ??= e));
      s.on("close", () => (failure ??= new Error(`${o.name}: an echo connection closed`)));
      s.on(
        "data",
        frameCounter((n) => {
          unanswered -= n;
          answers += n;
          if (running && unanswered === 0) round();
        }),
      );
    }
    const check = (): void => {
      if (failure !== undefined) throw failure;
    };
    running = true;
    round();
    const roundTripsPerSec = await measureRate(o, () => answers, check);
    running = false;
    return roundTripsPerSec;
  } finally {
    running = false;
    for (const s of sockets) {
      s.removeAllListeners("close");
      s.destroy();
    }
    await Promise.all(peers.map((p) => p.stop()));
  }
}
