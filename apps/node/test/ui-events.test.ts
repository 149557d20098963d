import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessCluster, request, sleep } from "./cluster-harness.js";
import { SseClient } from "./sse-client.js";

// GET /events on real node processes (docs/ui.md): what a page opening the stream receives.
const cluster = new ProcessCluster(3);
const clients: SseClient[] = [];
let leader = 0;

function stream(id: number): SseClient {
  const c = new SseClient(`${cluster.url(id)}/events`);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  await cluster.init();
  cluster.startAll();
  leader = await cluster.waitForLeader();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await cluster.stop();
});

const STATE_FIELDS = [
  "id",
  "at",
  "role",
  "term",
  "vote",
  "leader",
  "commit",
  "applied",
  "firstIndex",
  "lastIndex",
  "lastTerm",
  "election",
  "peers",
  "members",
  "storageFull",
  "log",
].sort();

describe("GET /events on a real node", () => {
  it("starts with hello and state, shows a write in the log tail once committed, and reports messages", async () => {
    const s = stream(leader);
    const res = await s.open();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);

    expect(s.events.length === 0 || s.events[0]!.event === "hello").toBe(true);
    const hello = await s.waitFor("hello");
    expect(s.events[0]).toBe(hello);
    expect(hello.data).toEqual({ v: 1, id: leader, clusterId: "test", tickMs: 10, electionTimeoutMs: [150, 300], heartbeatMs: 50, launcher: null });

    const first = await s.waitFor("state");
    expect(s.events[1]).toBe(first);
    const st = first.data;
    expect(Object.keys(st).sort()).toEqual(STATE_FIELDS);
    expect(st).toMatchObject({ id: leader, role: "leader", leader, vote: leader, election: null, storageFull: false, firstIndex: 1 });
    expect(Math.abs(st.at - Date.now())).toBeLessThan(10_000);
    expect(st.peers).toHaveLength(2);
    for (const p of st.peers) {
      expect(Object.keys(p).sort()).toEqual(["active", "id", "match", "next", "state", "voter"]);
      expect(p).toMatchObject({ voter: true, state: "replicate" });
    }
    expect(st.members).toEqual([1, 2, 3].map((id) => ({ id, role: "voter", http: cluster.url(id) })));
    // The first leader's entry records the bootstrap membership.
    expect(st.log[0]).toEqual({ index: 1, term: expect.any(Number), type: "config", text: "config: voters 1,2,3" });

    const put = await request("PUT", `${cluster.url(leader)}/kv/ui-key`, "hello world");
    expect(put.status).toBe(200);
    const index = (JSON.parse(put.text) as { index: number }).index;
    const shown = await s.waitFor("state", (d) => d.commit >= index && d.log.some((e: { index: number }) => e.index === index));
    const entry = shown.data.log.find((e: { index: number }) => e.index === index);
    expect(entry).toEqual({ index, term: shown.data.term, type: "normal", text: "put ui-key = hello world" });
    expect(shown.data.log.length).toBeLessThanOrEqual(24);
    expect(shown.data.lastIndex).toBeGreaterThanOrEqual(index);

    // A long value and a delete, as short views.
    await request("PUT", `${cluster.url(leader)}/kv/long`, "v".repeat(500));
    const del = await request("DELETE", `${cluster.url(leader)}/kv/ui-key`);
    const delIndex = (JSON.parse(del.text) as { index: number }).index;
    const after = await s.waitFor("state", (d) => d.commit >= delIndex && d.log.some((e: { index: number }) => e.index === delIndex));
    const texts = after.data.log.map((e: { text: string }) => e.text);
    expect(texts).toContain("delete ui-key");
    const long = texts.find((t: string) => t.startsWith("put long = "));
    expect(long).toHaveLength(48);
    expect(long.endsWith("…")).toBe(true);

    // The leader heartbeats both followers, and the writes went out as AppendEntries.
    const followers = [1, 2, 3].filter((id) => id !== leader);
    for (const f of followers) {
      for (const type of ["Heartbeat", "AppendEntries"]) {
        await s.waitFor("messages", (m) => m.counts.some((c: { type: string; to: number; n: number }) => c.type === type && c.to === f && c.n > 0));
      }
    }
    const messages = s.events.filter((e) => e.event === "messages").map((e) => e.data);
    for (const m of messages) {
      expect(m).toMatchObject({ id: leader, windowMs: expect.any(Number) });
      expect(m.sample.length).toBeLessThanOrEqual(16);
      const total = m.counts.reduce((a: number, c: { n: number }) => a + c.n, 0);
      expect(m.sample.length).toBe(Math.min(16, total));
    }
    const append = messages.flatMap((m) => m.sample).find((x) => x.type === "AppendEntries" && x.entries > 0);
    expect(append).toMatchObject({ to: expect.any(Number), term: shown.data.term, at: expect.any(Number) });
  });

  it("a follower reports its election timer, restarted by the leader's heartbeats", async () => {
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const s = stream(follower);
    await s.open();
    const st = (await s.waitFor("state")).data;
    expect(st).toMatchObject({ role: "follower", leader, peers: [] });
    expect(st.election.timeoutMs).toBeGreaterThanOrEqual(150);
    expect(st.election.timeoutMs).toBeLessThan(300);
    expect(st.election.elapsedMs).toBeGreaterThanOrEqual(0);
    // Nothing else changes on an idle follower, yet it keeps reporting: the leader's heartbeats
    // (every 50 ms) restart its timer, which the page could not have guessed.
    const statesSoFar = () => s.events.filter((e) => e.event === "state").map((e) => e.data);
    for (let i = 0; i < 250 && statesSoFar().length < 4; i++) await sleep(20);
    const states = statesSoFar();
    expect(states.length).toBeGreaterThanOrEqual(4);
    for (const d of states) {
      expect(d).toMatchObject({ role: "follower", leader, term: st.term });
      // A follower's timer never reaches its timeout while it follows (it would campaign).
      expect(d.election.elapsedMs).toBeLessThan(d.election.timeoutMs);
    }
    // Four reports at least 100 ms apart span longer than a timeout of 150-300 ms: had the
    // heartbeats not restarted the timer, the follower would have campaigned (another role or
    // term above). The values themselves may repeat: heartbeats and reports can keep in step.
  });

  it("serves limits.maxEventClients streams (16) and answers the 17th with 503", async () => {
    const open = clients.filter((c) => !c.closed && c.url.startsWith(cluster.url(leader)));
    const more: SseClient[] = [];
    while (open.length + more.length < 16) {
      const c = stream(leader);
      expect((await c.open()).status).toBe(200);
      more.push(c);
    }
    const refused = await fetch(`${cluster.url(leader)}/events`, { signal: AbortSignal.timeout(5000) });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("too_many_event_clients");
    // A client that leaves frees its place.
    more[0]!.close();
    let again = 0;
    for (let i = 0; i < 100 && again !== 200; i++) {
      await sleep(20);
      const c = stream(leader);
      again = (await c.open()).status;
      if (again !== 200) c.close();
    }
    expect(again).toBe(200);
  });

  it("stops promptly on SIGTERM with streams open", async () => {
    const child = cluster.procs.get(leader)!;
    expect(clients.filter((c) => !c.closed && c.url.startsWith(cluster.url(leader))).length).toBe(16);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const started = Date.now();
    child.kill("SIGTERM");
    const code = await Promise.race([exited, sleep(15_000).then(() => "timeout" as const)]);
    expect(code, cluster.diagnosis()).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    await sleep(100);
    expect(clients.filter((c) => c.url.startsWith(cluster.url(leader))).every((c) => c.closed)).toBe(true);
  });
});
