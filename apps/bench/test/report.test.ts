import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ElectionResult } from "../src/election.js";
import { groupedBarChart } from "../src/report/bar-chart.js";
import { empiricalCdf, histogramCdf } from "../src/report/cdf.js";
import { renderReport } from "../src/report/html.js";
import { linearTicks, logTicks } from "../src/report/scale.js";
import { formatRatioAgainst } from "../src/report/table.js";
import { ELECTION_P50_RATIO_TARGET } from "../src/report/targets.js";
import { writeReport } from "../src/report/write-report.js";
import type { BenchRun, HeartbeatResult, WriteResult } from "../src/results.js";

// ---- Fixture: made-up figures, each chosen to render as a distinct string. Not a real run. ----

const paperElection: ElectionResult = {
  setting: { name: "paper 150-300 ms", tickMs: 10, electionMs: 150, heartbeatMs: 50 },
  nodes: 3,
  coldStartMs: 1234.5,
  discardedTrials: 1,
  failover: [
    { ms: 187.4, voteRounds: 1 },
    { ms: 233.6, voteRounds: 2 },
    { ms: 205.2, voteRounds: 1 },
  ],
  measured: { count: 3, min: 187.4, p50: 205.2, p90: 233.6, p99: 233.6, max: 233.6, mean: 208.73 },
  expected: { count: 20000, min: 105.1, p50: 198.3, p90: 260.7, p99: 297.9, max: 305.4, mean: 200.2 },
  ratioP50: 1.0348,
};

const fastElection: ElectionResult = {
  setting: { name: "fast 12-24 ms", tickMs: 2, electionMs: 12, heartbeatMs: 4 },
  nodes: 5,
  coldStartMs: 987.6,
  discardedTrials: 0,
  failover: [
    { ms: 31.7, voteRounds: 1 },
    { ms: 48.9, voteRounds: 3 },
  ],
  measured: { count: 2, min: 31.7, p50: 31.7, p90: 48.9, p99: 48.9, max: 48.9, mean: 40.3 },
  expected: { count: 20000, min: 13.4, p50: 22.4, p90: 27.1, p99: 29.8, max: 30.2, mean: 21.9 },
  ratioP50: 1.415,
};

const heartbeat: HeartbeatResult = {
  followers: 2,
  frameBytes: 64,
  durationMs: 5000,
  raftRoundTripsPerSec: 7000,
  rawRoundTripsPerSec: 10000,
  ratio: 0.7,
  phases: { raft: [6900, 7000, 7100], raw: [9900, 10000, 10100] },
  atDefault: { tickMs: 10, heartbeatMs: 50, rtt: { count: 100, min: 0.08, p50: 0.21, p90: 0.35, p99: 0.92, max: 1.87, mean: 0.25 } },
};

const write: WriteResult = {
  nodes: 3,
  keyBytes: 16,
  valueBytes: 128,
  keySpace: 10000,
  heartbeatMs: 50,
  electionMs: 150,
  targets: [
    {
      target: "raft-ts",
      version: "0.1.0",
      levels: [
        {
          concurrency: 1,
          durationMs: 10000,
          commits: 4321,
          errors: 0,
          commitsPerSec: 432.1,
          latency: { count: 4321, min: 1.12, p50: 2.31, p90: 3.04, p99: 4.56, max: 12.34, mean: 2.45 },
          histogram: [
            { upperMs: 1, count: 0 },
            { upperMs: 2, count: 1500 },
            { upperMs: 5, count: 2800 },
            { upperMs: 20, count: 21 },
          ],
        },
        {
          concurrency: 16,
          durationMs: 10000,
          commits: 51234,
          errors: 3,
          commitsPerSec: 5123.4,
          latency: { count: 51234, min: 1.45, p50: 3.12, p90: 5.67, p99: 9.87, max: 45.6, mean: 3.4 },
          histogram: [
            { upperMs: 2, count: 1000 },
            { upperMs: 5, count: 45000 },
            { upperMs: 10, count: 4800 },
            { upperMs: 50, count: 434 },
          ],
        },
      ],
    },
    {
      target: "etcd",
      version: "3.5.17",
      levels: [
        {
          concurrency: 1,
          durationMs: 10000,
          commits: 3876,
          errors: 1,
          commitsPerSec: 387.6,
          latency: { count: 3876, min: 1.67, p50: 2.54, p90: 3.88, p99: 5.24, max: 15.2, mean: 2.61 },
          histogram: [
            { upperMs: 2, count: 900 },
            { upperMs: 5, count: 2900 },
            { upperMs: 20, count: 76 },
          ],
        },
        {
          concurrency: 16,
          durationMs: 10000,
          commits: 56012,
          errors: 0,
          commitsPerSec: 5601.2,
          latency: { count: 56012, min: 1.21, p50: 2.89, p90: 4.76, p99: 7.9, max: 30.1, mean: 3.01 },
          histogram: [
            { upperMs: 2, count: 2000 },
            { upperMs: 5, count: 50000 },
            { upperMs: 10, count: 3900 },
            { upperMs: 50, count: 112 },
          ],
        },
      ],
    },
  ],
  ratios: [
    { concurrency: 1, throughput: 1.1148, p99: 0.8702 },
    { concurrency: 16, throughput: 0.9147, p99: 1.2494 },
  ],
};

const FIXTURE_RUN: BenchRun = {
  date: "2026-05-01T12:00:00.000Z",
  machine: { cpu: "Fixture CPU @ 3.00GHz", cores: 8, node: "v20.19.0", platform: "linux x64", hostname: "bench-host" },
  command: "pnpm bench all --report out",
  options: { trials: 3, nodes: "3,5", report: "out" },
  election: [paperElection, fastElection],
  heartbeat,
  write,
};

const runWithout = (...keys: ("election" | "heartbeat" | "write")[]): BenchRun => {
  const run: Record<string, unknown> = { ...FIXTURE_RUN };
  for (const k of keys) delete run[k];
  return run as unknown as BenchRun;
};

// ---- Reading the output back ----

const decodeEntities = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
const textOf = (html: string) => decodeEntities(html.replace(/<[^>]*>/g, "")).replace(/\s+/g, " ").trim();

/** The rows of every table in `html`, each row its cells' text. */
function tableRows(html: string): string[][] {
  return [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...(row[1] ?? "").matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => textOf(c[1] ?? "")));
}

/** The section with this id, or undefined when the page has none. */
function section(html: string, id: string): string | undefined {
  return html.match(new RegExp(`<section id="${id}">[\\s\\S]*?</section>`))?.[0];
}

const VOID_ELEMENTS = new Set(["meta", "link", "br", "hr", "img", "input"]);

/** Tags that do not close in order, e.g. ["</g> closes <svg>"]; empty when every element closes. */
function unbalancedTags(html: string): string[] {
  const open: string[] = [];
  const problems: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^<>]*?(\/?)>/g)) {
    const [, closing, name = "", selfClosing] = m;
    const tag = name.toLowerCase();
    if (selfClosing === "/" || (closing === "" && VOID_ELEMENTS.has(tag))) continue;
    if (closing === "") open.push(tag);
    else if (open.pop() !== tag) problems.push(`</${tag}> at ${m.index}`);
  }
  return [...problems, ...open.map((t) => `<${t}> never closed`)];
}

interface Bar {
  readonly series: string;
  readonly category: string;
  readonly y: number;
  readonly height: number;
}

function bars(svg: string): Bar[] {
  return [...svg.matchAll(/<rect class="bar"([^>]*)>/g)].map((m) => {
    const attr = (name: string) => m[1]?.match(new RegExp(` ${name}="([^"]*)"`))?.[1] ?? "";
    return { series: decodeEntities(attr("data-series")), category: decodeEntities(attr("data-category")), y: Number(attr("y")), height: Number(attr("height")) };
  });
}

// ---- Tests ----

describe("renderReport", () => {
  const html = renderReport(FIXTURE_RUN);

  it("is one page whose elements all close, with no script and nothing fetched", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(unbalancedTags(html)).toEqual([]);
    const opened = html.match(/<svg[\s>]/g)?.length ?? 0;
    expect(opened).toBeGreaterThan(0);
    expect(html.match(/<\/svg>/g)?.length).toBe(opened);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|src=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it("writes no undefined, NaN or Infinity", () => {
    expect(html).not.toMatch(/undefined|NaN|Infinity/);
  });

  it("shows the date, the machine and the command line in the header", () => {
    const header = html.match(/<header>[\s\S]*?<\/header>/)?.[0] ?? "";
    const facts = [...header.matchAll(/<dt>([\s\S]*?)<\/dt><dd>([\s\S]*?)<\/dd>/g)].map((m) => [textOf(m[1] ?? ""), textOf(m[2] ?? "")]);
    expect(facts).toEqual([
      ["date", "2026-05-01T12:00:00.000Z"],
      ["CPU", "Fixture CPU @ 3.00GHz"],
      ["cores", "8"],
      ["Node", "v20.19.0"],
      ["platform", "linux x64"],
      ["hostname", "bench-host"],
      ["command", "pnpm bench all --report out"],
    ]);
    expect(tableRows(html)).toContainEqual(["nodes", '"3,5"']);
  });

  it("tables every election figure, with the p50 ratio marked met or not met and the max vote rounds", () => {
    const rows = tableRows(section(html, "election") ?? "");
    expect(rows).toContainEqual([
      "paper 150-300 ms (tick 10, election 150, heartbeat 50 ms)",
      "3", "3", "1", "1,234.5",
      "187.4", "205.2", "233.6", "233.6", "233.6", "208.7",
      "198.3", "260.7", "297.9",
      "1.03 (target ≤ 1.15) met",
      "2",
    ]);
    expect(rows).toContainEqual([
      "fast 12-24 ms (tick 2, election 12, heartbeat 4 ms)",
      "5", "2", "0", "987.6",
      "31.7", "31.7", "48.9", "48.9", "48.9", "40.3",
      "22.4", "27.1", "29.8",
      "1.42 (target ≤ 1.15) not met",
      "3",
    ]);
    expect(rows).toContainEqual(["paper 150-300 ms, 3 nodes", "187.4 (1), 233.6 (2), 205.2 (1)"]);
  });

  it("draws one failover CDF per setting with the model's p50 marked", () => {
    const election = section(html, "election") ?? "";
    expect(election.match(/<svg[\s>]/g)).toHaveLength(2);
    expect(election).toContain("model p50, 3 nodes: 198.3 ms");
    expect(election).toContain("model p50, 5 nodes: 22.4 ms");
  });

  it("tables the heartbeat figures with the ratio against its target", () => {
    const rows = tableRows(section(html, "heartbeat") ?? "");
    expect(rows).toContainEqual(["2", "64", "5,000.0", "7,000", "10,000", "0.70 (target ≥ 0.70) met"]);
    expect(rows).toContainEqual(["10.0", "50.0", "100", "0.08", "0.21", "0.35", "0.92", "1.87", "0.25"]);
  });

  it("draws the heartbeat bars in proportion to the round trips per second", () => {
    const [raft, raw] = bars(section(html, "heartbeat") ?? "");
    expect(raft?.series).toBe("raft-ts (transport + core)");
    expect(raw?.series).toBe("raw node:net ping-pong");
    expect(raft!.height / raw!.height).toBeCloseTo(0.7, 3);
  });

  it("tables every write level, the setup and both ratios per concurrency", () => {
    const rows = tableRows(section(html, "write") ?? "");
    expect(rows).toContainEqual(["3", "16", "128", "10,000", "50.0", "150.0", "raft-ts (0.1.0), etcd (3.5.17)"]);
    expect(rows).toContainEqual(["raft-ts", "1", "10,000.0", "4,321", "0", "432", "1.12", "2.31", "3.04", "4.56", "12.3", "2.45"]);
    expect(rows).toContainEqual(["raft-ts", "16", "10,000.0", "51,234", "3", "5,123", "1.45", "3.12", "5.67", "9.87", "45.6", "3.40"]);
    expect(rows).toContainEqual(["etcd", "1", "10,000.0", "3,876", "1", "388", "1.67", "2.54", "3.88", "5.24", "15.2", "2.61"]);
    expect(rows).toContainEqual(["etcd", "16", "10,000.0", "56,012", "0", "5,601", "1.21", "2.89", "4.76", "7.90", "30.1", "3.01"]);
    expect(rows).toContainEqual(["1", "432", "388", "1.11 (target ≥ 1.00) met", "4.56", "5.24", "0.87 (target ≤ 1.00) met"]);
    expect(rows).toContainEqual(["16", "5,123", "5,601", "0.91 (target ≥ 1.00) not met", "9.87", "7.90", "1.25 (target ≤ 1.00) not met"]);
    expect(rows).toContainEqual(["≤ 50.0", "", "434", "", "112"]);
  });

  it("draws write throughput bars per concurrency in proportion, on one baseline", () => {
    const throughput = section(html, "write")?.match(/<svg[\s\S]*?<\/svg>/)?.[0] ?? "";
    const drawn = bars(throughput);
    expect(drawn.map((b) => `${b.series}@${b.category}`)).toEqual(["raft-ts@1", "etcd@1", "raft-ts@16", "etcd@16"]);
    const [raft1, etcd1, raft16, etcd16] = drawn;
    expect(raft16!.height / etcd16!.height).toBeCloseTo(5123.4 / 5601.2, 3);
    expect(raft1!.height / etcd1!.height).toBeCloseTo(432.1 / 387.6, 2);
    expect(raft1!.height / raft16!.height).toBeCloseTo(432.1 / 5123.4, 2);
    expect(raft1!.y + raft1!.height).toBeCloseTo(etcd16!.y + etcd16!.height, 2);
  });

  it("draws the latency lines and one CDF chart per concurrency", () => {
    const write = section(html, "write") ?? "";
    expect(write.match(/<svg[\s>]/g)).toHaveLength(4);
    expect(write).toContain("Write latency CDF at concurrency 1");
    expect(write).toContain("Write latency CDF at concurrency 16");
    for (const name of ["raft-ts p50", "raft-ts p99", "etcd p50", "etcd p99"]) expect(write).toContain(`data-series="${name}"`);
  });

  it("lists every target with its verdict, and counts those met", () => {
    const targets = section(html, "targets") ?? "";
    expect(textOf(targets)).toContain("4 of 7 targets met.");
    expect(tableRows(targets)).toContainEqual(["heartbeat: raft-ts / raw node:net round trips per second", "0.70 (target ≥ 0.70) met"]);
  });

  it("escapes text from the run everywhere, in tables and in charts", () => {
    const hostile: BenchRun = {
      ...FIXTURE_RUN,
      machine: { ...FIXTURE_RUN.machine, hostname: "<b>&" },
      command: `pnpm bench "a" 'b' <c>`,
      election: [{ ...paperElection, setting: { ...paperElection.setting, name: "<script>x</script>" } }],
    };
    const page = renderReport(hostile);
    expect(page).toContain("&lt;b&gt;&amp;");
    expect(page).not.toContain("<b>&");
    expect(page).toContain("pnpm bench &quot;a&quot; &#39;b&#39; &lt;c&gt;");
    expect(page).not.toContain("<script>");
    expect(page).toContain("Failover latency, &lt;script&gt;x&lt;/script&gt;: CDF of trials");
    expect(unbalancedTags(page)).toEqual([]);
  });

  it("has a section only for the benchmarks the run has", () => {
    const bare = renderReport(runWithout("election", "heartbeat", "write"));
    for (const id of ["election", "heartbeat", "write"]) expect(section(bare, id)).toBeUndefined();
    expect(bare).not.toContain("<svg");
    expect(textOf(section(bare, "targets") ?? "")).toContain("no figure with a target");

    const heartbeatOnly = renderReport(runWithout("election", "write"));
    expect(section(heartbeatOnly, "heartbeat")).toBeDefined();
    expect(section(heartbeatOnly, "election")).toBeUndefined();
    expect(section(heartbeatOnly, "write")).toBeUndefined();
  });

  it("draws raft-ts alone when etcd did not run, and says there are no ratios", () => {
    const raftOnly: BenchRun = { ...FIXTURE_RUN, write: { ...write, targets: write.targets.filter((t) => t.target === "raft-ts"), ratios: [] } };
    const page = section(renderReport(raftOnly), "write") ?? "";
    expect(page).not.toContain('data-series="etcd');
    expect(tableRows(page).flat().join(" ")).not.toContain("etcd");
    expect(textOf(page)).toContain("No ratios: etcd did not run beside raft-ts.");
    expect(bars(page).map((b) => b.series)).toEqual(["raft-ts", "raft-ts"]);
  });
});

describe("groupedBarChart", () => {
  it("makes bar heights proportional to the values, from one baseline", () => {
    const svg = groupedBarChart({
      title: "two bars",
      categories: ["a"],
      series: [
        { name: "small", color: "#000", values: [300] },
        { name: "large", color: "#111", values: [1200] },
      ],
      categoryAxisLabel: "x",
      valueAxisLabel: "y",
      formatValue: String,
      formatTick: String,
    });
    const [small, large] = bars(svg);
    expect(large!.height / small!.height).toBeCloseTo(4, 3);
    expect(small!.y + small!.height).toBeCloseTo(large!.y + large!.height, 5);
    expect(svg).toContain(">1200<");
  });
});

describe("formatRatioAgainst", () => {
  it("writes two decimals, or more when two would round a ratio onto its bound", () => {
    expect(formatRatioAgainst(1.0348, ELECTION_P50_RATIO_TARGET)).toBe("1.03");
    expect(formatRatioAgainst(1.1512, ELECTION_P50_RATIO_TARGET)).toBe("1.151");
    expect(formatRatioAgainst(1.1496, ELECTION_P50_RATIO_TARGET)).toBe("1.1496");
    expect(formatRatioAgainst(1.15, ELECTION_P50_RATIO_TARGET)).toBe("1.15");
  });
});

describe("ticks", () => {
  it("puts linear ticks on round values that contain the data", () => {
    expect(linearTicks(0, 7300)).toEqual({ min: 0, max: 8000, values: [0, 2000, 4000, 6000, 8000] });
    expect(linearTicks(187.4, 305.4)).toEqual({ min: 150, max: 350, values: [150, 200, 250, 300, 350] });
    expect(linearTicks(0, 0).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it("puts log ticks on 1-2-5 values, or on powers of ten over many decades", () => {
    expect(logTicks(0.3, 37)).toEqual({ min: 0.2, max: 50, values: [0.2, 0.5, 1, 2, 5, 10, 20, 50] });
    expect(logTicks(0.05, 900)).toEqual({ min: 0.05, max: 1000, values: [0.1, 1, 10, 100, 1000] });
  });
});

describe("cumulative distributions", () => {
  it("draws the empirical CDF as a staircase rising 1/n at each sample", () => {
    expect(empiricalCdf([30, 10, 20, 40])).toEqual([
      { x: 10, y: 0 }, { x: 10, y: 0.25 },
      { x: 20, y: 0.25 }, { x: 20, y: 0.5 },
      { x: 30, y: 0.5 }, { x: 30, y: 0.75 },
      { x: 40, y: 0.75 }, { x: 40, y: 1 },
    ]);
  });

  it("reads a histogram's CDF at bucket bounds, from the bound before the first sample to where it reaches 1", () => {
    const buckets = [
      { upperMs: 1, count: 0 },
      { upperMs: 2, count: 0 },
      { upperMs: 5, count: 3 },
      { upperMs: 10, count: 1 },
      { upperMs: 20, count: 0 },
    ];
    expect(histogramCdf(buckets)).toEqual([
      { x: 2, y: 0 },
      { x: 5, y: 0.75 },
      { x: 10, y: 1 },
    ]);
    expect(histogramCdf([{ upperMs: 5, count: 0 }])).toEqual([]);
  });
});

describe("writeReport", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("creates the directory and writes index.html and a results.json that reads back as the run", () => {
    const root = mkdtempSync(join(tmpdir(), "bench-report-test-"));
    dirs.push(root);
    const dir = join(root, "nested", "report");
    const htmlPath = writeReport(dir, FIXTURE_RUN);
    expect(htmlPath).toBe(join(dir, "index.html"));
    expect(existsSync(htmlPath)).toBe(true);
    expect(readFileSync(htmlPath, "utf8")).toBe(renderReport(FIXTURE_RUN));
    expect(JSON.parse(readFileSync(join(dir, "results.json"), "utf8"))).toEqual(FIXTURE_RUN);
  });
});
