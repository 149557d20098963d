import { checkHistory, HistoryRecorder, renderFailure } from "@raft-ts/linearizability";
import { afterEach, describe, expect, it } from "vitest";
import { ProcessCluster, request, sleep } from "./cluster-harness.js";
import { runClients } from "./workload.js";

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const KEYS = ["k0", "k1", "k2"];
const CLIENTS = 5;

/**
 * Several clients put, get and delete a few keys through random nodes while the leader is
 * killed and restarted (catching up by snapshot: the nodes snapshot and compact every 50
 * entries), then handed leadership back; the recorded history must be linearizable. A request
 * that got no answer is recorded as indeterminate (it may or may not have taken effect).
 */
describe("a concurrent client history with the leader killed, caught up by snapshot, and given leadership back", () => {
  it("is linearizable", async () => {
    const c = new ProcessCluster(3);
    cluster = c;
    await c.init({ snapshot: { everyEntries: 50, keepEntries: 5 } });
    c.startAll();
    const firstLeader = await c.waitForLeader();

    const history = new HistoryRecorder();
    let running = true;
    const clients = runClients(history, { clients: CLIENTS, keys: KEYS, targets: () => [1, 2, 3].map((id) => c.url(id)), running: () => running });
    await sleep(1500);
    await c.kill(firstLeader, "SIGKILL");
    await sleep(1500);
    c.start(firstLeader);
    await sleep(1500);
    const leader = await c.waitForLeader();
    const transfer = await request("POST", `${c.url(leader)}/admin/leadership-transfer?to=${firstLeader}`, undefined, {}, 5000);
    await sleep(1000);
    running = false;
    await clients;
    // The scenario happened as described: the restarted node caught up by snapshot and took over.
    expect(transfer.status).toBe(200);
    await c.waitForLog(firstLeader, "installed the leader's snapshot");

    const ops = history.history();
    const okOps = ops.filter((o) => o.status === "ok");
    expect(okOps.filter((o) => o.op === "put").length).toBeGreaterThan(20);
    expect(okOps.filter((o) => o.op === "get").length).toBeGreaterThan(20);
    const result = checkHistory(ops);
    if (result.ok === false) throw new Error(renderFailure(result));
    expect(result.ok).toBe(true);
  });
});
