import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const run = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), cli, ...args], { encoding: "utf8", timeout: 30_000 });

describe("the CLI", () => {
  it("refuses a bad config with exit status 2 and a message naming the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "raft-cli-"));
    try {
      const file = join(dir, "cluster.json");
      writeFileSync(file, JSON.stringify({ clusterId: "c", heartbeatMs: 500, nodes: [{ id: 1, raft: "127.0.0.1:1", http: "127.0.0.1:2" }] }));
      const r = run("node", "--config", file, "--id", "1");
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${file}: heartbeatMs: must be less than the election timeout`);
      writeFileSync(file, JSON.stringify({ clusterId: "c", nodes: [{ id: 1, raft: "127.0.0.1:1", http: "127.0.0.1:2" }] }));
      const wrongId = run("node", "--config", file, "--id", "7");
      expect(wrongId.status).toBe(2);
      expect(wrongId.stderr).toMatch(/--id: node 7 is not in the cluster/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a Raft address other machines can reach without a secret, unless --insecure", () => {
    const dir = mkdtempSync(join(tmpdir(), "raft-cli-"));
    try {
      const file = join(dir, "cluster.json");
      // 192.0.2.1 is TEST-NET-1: never this machine's, so nothing here can bind it.
      const exposed = { clusterId: "c", dataDir: join(dir, "node-{id}"), nodes: [{ id: 1, raft: "192.0.2.1:5001", http: "127.0.0.1:1" }] };
      writeFileSync(file, JSON.stringify(exposed));
      const refused = run("node", "--config", file, "--id", "1");
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/secret: node 1 listens for Raft on 192\.0\.2\.1:5001, which is not a loopback address/);
      expect(refused.stderr).toMatch(/--insecure/);
      // With --insecure it gets past the check and fails only where it tries to bind.
      const insecure = run("node", "--config", file, "--id", "1", "--insecure", "--log-format", "json");
      expect(insecure.status).toBe(1);
      expect(insecure.stdout).toMatch(/Raft is reachable from other machines and peers prove nothing/);
      expect(insecure.stdout).toMatch(/cannot start node 1/);
      // A secret makes the same address acceptable.
      writeFileSync(file, JSON.stringify({ ...exposed, secret: "0123456789abcdef" }));
      const withSecret = run("node", "--config", file, "--id", "1", "--log-format", "json");
      expect(withSecret.status).toBe(1);
      expect(withSecret.stdout).toMatch(/cannot start node 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("explains itself with --help", () => {
    const r = run("node", "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--config <file>/);
    expect(run("--help").stdout).toMatch(/local 3-node cluster/);
  });
});
