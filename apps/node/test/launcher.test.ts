import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processAlive as alive, sleep } from "./cluster-harness.js";
import { LaunchedCluster } from "./launched-cluster.js";
import { SseClient } from "./sse-client.js";

// The `pnpm start` launcher with --config and --control-port, on free ports in a temporary
// directory: its control API stops and starts real node processes.
const cluster = new LaunchedCluster();
const { httpPorts, pids, dir } = cluster;
const api = cluster.api.bind(cluster);
const nodes = cluster.nodes.bind(cluster);
const until = cluster.until.bind(cluster);
const status = cluster.status.bind(cluster);
let control = "";

beforeAll(async () => {
  await cluster.start(3);
  control = cluster.control;
});

afterAll(() => cluster.stop());

describe("the launcher's control API", () => {
  it("lists the nodes, prints the live view's URL, and tells each node where it is", async () => {
    const all = await nodes();
    expect(all.map((n) => [n.id, n.running, n.http])).toEqual([1, 2, 3].map((id) => [id, true, `http://127.0.0.1:${httpPorts.get(id)}`]));
    for (const n of all) expect(alive(n.pid!)).toBe(true);
    expect(readFileSync(join(dir, "launcher.log"), "utf8")).toContain(`live view: http://127.0.0.1:${httpPorts.get(1)}/ui`);
    // Each node's data went to ./data/node-N under where the launcher ran.
    await until("a leader", async () => ((await status(1))?.leader ? true : undefined));
    expect(readFileSync(join(dir, "data", "node-1", "raft.db")).length).toBeGreaterThan(0);
    const s = new SseClient(`http://127.0.0.1:${httpPorts.get(2)}/events`);
    try {
      await s.open();
      expect((await s.waitFor("hello")).data.launcher).toBe(control);
    } finally {
      s.close();
    }
  });

  it("kills a node (SIGKILL by default) and starts it again; 409 for a node already so, 404 for an unknown one", async () => {
    const before = (await nodes()).find((n) => n.id === 2)!;
    const stopped = await api("POST", "/nodes/2/stop");
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ id: 2, signal: "SIGKILL", running: false, exit: { signal: "SIGKILL" } });
    expect(alive(before.pid!)).toBe(false);
    expect((await nodes()).find((n) => n.id === 2)).toMatchObject({ running: false, pid: null });
    expect((await api("POST", "/nodes/2/stop")).status).toBe(409);

    const started = await api("POST", "/nodes/2/start");
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ id: 2, running: true });
    expect(started.body.pid).not.toBe(before.pid);
    pids.add(started.body.pid);
    await until("node 2 serving again and following a leader", async () => ((await status(2))?.leader ? true : undefined));
    expect((await nodes()).find((n) => n.id === 2)).toMatchObject({ running: true, pid: started.body.pid });

    const again = await api("POST", "/nodes/2/start");
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("running");
    for (const path of ["/nodes/9/start", "/nodes/9/stop"]) {
      const r = await api("POST", path);
      expect(r.status, path).toBe(404);
      expect(r.body.error.code).toBe("unknown_node");
    }
    expect((await api("POST", "/nodes/2/stop?signal=HUP")).status).toBe(400);
    expect((await api("GET", "/nodes/2/start")).status).toBe(405);
    expect((await api("GET", "/elsewhere")).status).toBe(404);
  });

  it("stops a node cleanly with ?signal=TERM", async () => {
    const r = await api("POST", "/nodes/3/stop?signal=TERM");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: 3, signal: "SIGTERM", exit: { code: 0, signal: null } });
    expect((await api("POST", "/nodes/3/start")).status).toBe(200);
    await nodes();
  });

  it("answers pages of the members' origins, and no other page", async () => {
    const member = `http://127.0.0.1:${httpPorts.get(1)}`;
    const ok = await api("GET", "/nodes", { origin: member });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(member);
    const preflight = await api("OPTIONS", "/nodes/1/stop", { origin: member, "access-control-request-method": "POST" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    // A page elsewhere cannot stop a node, even with a POST that needs no preflight.
    const refused = await api("POST", "/nodes/1/stop", { origin: "http://evil.example" });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    expect((await nodes()).find((n) => n.id === 1)!.running).toBe(true);
  });

  it("stops every node when it is stopped", async () => {
    const running = (await nodes()).filter((n) => n.running).map((n) => n.pid!);
    expect(running).toHaveLength(3);
    const child = cluster.launcher!;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await Promise.race([exited, sleep(20_000).then(() => "timeout")])).toBe(0);
    cluster.launcher = undefined;
    for (const pid of running) {
      for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
      expect(alive(pid), `node pid ${pid}`).toBe(false);
    }
  });
});
