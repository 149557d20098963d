import { spawn, execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");

/** The temporary directories the benchmarks make (cluster data and logs). */
const benchDirs = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith("raft-node-test-") || d.startsWith("raft-bench-etcd-")));

/** Command lines of running processes that mention `text`. */
function processesMentioning(text: string): string[] {
  return execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes(text));
}

describe("pnpm bench on Ctrl-C", () => {
  it("stops every node process it started, removes its files, and exits 130", async () => {
    const before = benchDirs();
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
      const made = [...benchDirs()].filter((d) => !before.has(d));
      expect(made).toHaveLength(1);
      expect(processesMentioning(made[0]!).length).toBeGreaterThanOrEqual(3); // the three nodes

      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(output).toContain("SIGINT: stopping every process");
      expect(benchDirs().has(made[0]!)).toBe(false);
      expect(processesMentioning(made[0]!)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
