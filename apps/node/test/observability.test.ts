import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { panelQueries } from "../../../grafana/src/queries.js";
import { freePort, ProcessCluster, request, sleep } from "./cluster-harness.js";

let cluster: ProcessCluster | undefined;
let prometheus: ChildProcess | undefined;
afterEach(async () => {
  if (prometheus !== undefined && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once("exit", r));
    prometheus.kill("SIGTERM");
    await exited;
  }
  prometheus = undefined;
  await cluster?.stop();
  cluster = undefined;
});

describe("dashboards against a real Prometheus scraping a real cluster", () => {
  it("every panel query of every dashboard returns data after a write load and a leader kill", async () => {
    const queries = panelQueries();
    expect(queries.length).toBeGreaterThan(10);

    const c = new ProcessCluster(3);
    cluster = c;
    await c.init();
    c.startAll();
    const first = await c.waitForLeader();

    // Prometheus from Debian's package (scripts/ensure-test-tools.sh installs it), scraping every second.
    const port = await freePort();
    const config = join(c.dir, "prometheus.yml");
    const targets = [1, 2, 3].map((id) => `"127.0.0.1:${c.httpPorts.get(id)}"`).join(", ");
    writeFileSync(config, `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: raft-ts\n    static_configs:\n      - targets: [${targets}]\n`);
    prometheus = spawn("prometheus", [`--config.file=${config}`, `--storage.tsdb.path=${join(c.dir, "prometheus-data")}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: "ignore",
    });
    const api = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${api}/-/ready`)).ok) break;
      } catch {
        // not up yet
      }
      await sleep(100);
    }

    // A write and read load, with the leader killed and restarted in the middle.
    let running = true;
    const load = (async () => {
      for (let i = 0; running; i++) {
        try {
          await request("PUT", `${c.url(1 + (i % 3))}/kv/k${i % 20}`, `v${i}`, {}, 3000);
          await request("GET", `${c.url(1 + (i % 3))}/kv/k${i % 20}`, undefined, {}, 3000);
        } catch {
          // a node is down for a moment
        }
      }
    })();
    await sleep(4000);
    await c.kill(first, "SIGKILL");
    await c.waitForLeader();
    await sleep(2000);
    c.start(first);
    await c.waitForLeader();
    await sleep(5000);
    running = false;
    await load;

    const empty: string[] = [];
    for (const q of queries) {
      const expr = q.expr.replaceAll("$__rate_interval", "30s").replaceAll("$__interval", "5s").replaceAll("$node", String(first));
      const res = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
        status: string;
        error?: string;
        data?: { result: unknown[] };
      };
      if (res.status !== "success") empty.push(`${q.dashboard} / ${q.panel}: query error ${res.error}: ${expr}`);
      else if ((res.data?.result.length ?? 0) === 0) empty.push(`${q.dashboard} / ${q.panel}: no data: ${expr}`);
    }
    expect(empty).toEqual([]);
  });
});
