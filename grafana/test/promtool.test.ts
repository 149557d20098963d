/**
 * promtool (Debian's prometheus package; `pnpm test` installs it through
 * scripts/ensure-test-tools.sh). Missing promtool fails these tests: it does not skip them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { panelQueries } from "../src/queries.js";
import { substitute } from "./promql.js";

const grafanaDir = fileURLToPath(new URL("..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "raft-ts-grafana-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync("promtool", args, { cwd: grafanaDir, encoding: "utf8", timeout: 30_000 });
  if (r.error !== undefined) throw new Error(`promtool could not run (${r.error.message}); install it: apt-get install prometheus`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("promtool", () => {
  it("check config prometheus/prometheus.yml (and the rule files it loads)", () => {
    const r = promtool("check", "config", "prometheus/prometheus.yml");
    expect(r.output).toContain("SUCCESS");
    expect(r.status, r.output).toBe(0);
  });

  it("check rules prometheus/alerts.yml", () => {
    const r = promtool("check", "rules", "prometheus/alerts.yml");
    expect(r.output).toMatch(/SUCCESS: 7 rules found/);
    expect(r.status, r.output).toBe(0);
  });

  it("test rules prometheus/alerts.test.yml", () => {
    const r = promtool("test", "rules", "prometheus/alerts.test.yml");
    expect(r.output).toContain("SUCCESS");
    expect(r.status, r.output).toBe(0);
  });

  it("a failing alert test is reported as a failure", () => {
    // The same tests against rules whose RaftNoLeader fires at once: the quiet checks must fail.
    const rules = join(tmp, "alerts.yml");
    const tests = join(tmp, "alerts.test.yml");
    const original = readFileSync(join(grafanaDir, "prometheus/alerts.yml"), "utf8");
    expect(original).toContain("for: 10s");
    writeFileSync(rules, original.replace("for: 10s", "for: 0s"));
    writeFileSync(tests, readFileSync(join(grafanaDir, "prometheus/alerts.test.yml"), "utf8"));
    const r = promtool("test", "rules", tests);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("RaftNoLeader");
  });

  it("every panel query parses as PromQL (check rules on them as recording rules)", () => {
    const queries = panelQueries();
    const file = join(tmp, "panel-queries.yml");
    const rules = queries.map((q, i) => ({ record: `raft_ts:panel_query:${i}`, expr: substitute(q.expr, "1") }));
    writeFileSync(file, stringify({ groups: [{ name: "panel-queries", rules }] }));
    const r = promtool("check", "rules", file);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});
