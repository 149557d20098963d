import { createServer, type Server } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { processAlive } from "./cluster-harness.js";
import { LaunchedCluster } from "./launched-cluster.js";

// `pnpm start` must run the cluster even when something else holds the control API's default
// port (8000): it runs without the control API and says so.
const cluster = new LaunchedCluster();
let holder: Server | undefined;

afterAll(async () => {
  await cluster.stop();
  await new Promise((r) => (holder === undefined ? r(undefined) : holder.close(r)));
});

describe("the launcher when 127.0.0.1:8000 is taken", () => {
  it("runs the cluster without its control API, and says so", { timeout: 90_000 }, async () => {
    // Hold the port; if something else already does, it is taken all the same.
    holder = await new Promise<Server | undefined>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(undefined));
      s.listen(8000, "127.0.0.1", () => resolve(s));
    });
    await cluster.start(3, { defaultControlPort: true });
    expect(cluster.log()).toContain("cannot listen on 127.0.0.1:8000");
    expect(cluster.log()).toContain("running without it");
    expect(cluster.log()).not.toContain("control: http");
    await cluster.until("a leader", async () => ((await cluster.status(1))?.leader ? true : undefined));
    for (const pid of cluster.pids) expect(processAlive(pid)).toBe(true);
    expect(cluster.pids.size).toBe(3);
  });
});
