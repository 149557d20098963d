import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");

/** Command lines of running processes that mention `text`. */
function processesMentioning(text: string): string[] {
  return execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes(text));
}

/**
 * The cluster directory of the node processes `pid` started (from their --config argument).
 * Other tests may be running clusters at the same time, so it is found through the children.
 */
function clusterDirOf(pid: number): string | undefined {
  const r = spawnSync("ps", ["-o", "args=", "--ppid", String(pid)], { encoding: "utf8" });
  const m = /--config (\S+)\/cluster\.json/.exec(r.stdout);
  return m?.[1];
}

describe("pnpm bench on Ctrl-C", () => {
  it("stops every node process it started, removes its files, and exits 130", async () => {
    const child = spawn(process.execPath, ["--import", tsx, cli, "write", "--concurrency", "1", "--duration", "60"], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      // Bounded wait until the load runs against a started cluster.
      const deadline = Date.now() + 60_000;
      while (!output.includes("concurrency 1") && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(output).toContain("concurrency 1");
      const dir = clusterDirOf(child.pid!);
      expect(dir, "the benchmark's node processes and their cluster directory").toBeDefined();
      expect(existsSync(dir!)).toBe(true);
      expect(processesMentioning(dir!).length).toBeGreaterThanOrEqual(3); // the three nodes

      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(output).toContain("SIGINT: stopping every process");
      expect(existsSync(dir!)).toBe(false);
      expect(processesMentioning(dir!)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
