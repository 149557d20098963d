import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigFileError, defaultClusterConfig, loadClusterConfig, parseClusterConfig } from "../src/config.js";

const valid = {
  clusterId: "c1",
  nodes: [
    { id: 1, raft: "127.0.0.1:5001", http: "127.0.0.1:8001" },
    { id: 2, raft: "127.0.0.1:5002", http: "127.0.0.1:8002" },
  ],
};

function problem(value: unknown): ConfigFileError {
  try {
    parseClusterConfig(value);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigFileError);
    return e as ConfigFileError;
  }
  throw new Error("config accepted");
}

describe("cluster config", () => {
  it("the default local cluster is the seed's: Raft on 500N, HTTP on 800N, data in ./data/node-N", () => {
    const c = defaultClusterConfig();
    expect(c.nodes.map((n) => [n.id, `${n.raft.host}:${n.raft.port}`, `${n.http.host}:${n.http.port}`])).toEqual([
      [1, "127.0.0.1:5001", "127.0.0.1:8001"],
      [2, "127.0.0.1:5002", "127.0.0.1:8002"],
      [3, "127.0.0.1:5003", "127.0.0.1:8003"],
    ]);
    expect(c.dataDir).toBe("./data/node-{id}");
    expect(c.electionTimeoutMs).toEqual([150, 300]);
    expect(c.heartbeatMs).toBe(50);
  });

  const cases: [string, unknown, string, RegExp][] = [
    ["a bad address", { ...valid, nodes: [{ id: 1, raft: "localhost", http: "127.0.0.1:8001" }] }, "nodes[0].raft", /host:port/],
    ["a port out of range", { ...valid, nodes: [{ id: 1, raft: "127.0.0.1:70000", http: "127.0.0.1:8001" }] }, "nodes[0].raft", /1\.\.65535/],
    ["a duplicate id", { ...valid, nodes: [valid.nodes[0], { ...valid.nodes[1], id: 1 }] }, "nodes[1].id", /id 1 is also used by nodes\[0\]\.id/],
    ["a duplicate address", { ...valid, nodes: [valid.nodes[0], { ...valid.nodes[1], raft: "127.0.0.1:5001" }] }, "nodes[1].raft", /also used/],
    ["heartbeat not below the election timeout", { ...valid, heartbeatMs: 150 }, "heartbeatMs", /heartbeatMs=150, electionTimeoutMs\[0\]=150/],
    ["an election range that is not [T, 2T]", { ...valid, electionTimeoutMs: [150, 200] }, "electionTimeoutMs", /\[T, 2T\]/],
    ["timeouts that are not multiples of the tick", { ...valid, tickMs: 7 }, "tickMs", /multiples of tickMs/],
    ["an unknown field", { ...valid, electionTimeout: 5 }, "(root)", /electionTimeout/],
    ["a missing cluster id", { nodes: valid.nodes }, "clusterId", /./],
    ["a short secret", { ...valid, secret: "short" }, "secret", /at least 16/],
    ["no nodes", { ...valid, nodes: [] }, "nodes", /./],
    ["a value limit of zero", { ...valid, limits: { maxValueBytes: 0 } }, "limits.maxValueBytes", /./],
  ];
  for (const [what, value, field, message] of cases) {
    it(`rejects ${what}, naming ${field}`, () => {
      const e = problem(value);
      expect(e.field).toBe(field);
      expect(e.problem).toMatch(message);
    });
  }

  it("names the file when it cannot be read or parsed", () => {
    const dir = mkdtempSync(join(tmpdir(), "raft-config-"));
    try {
      const file = join(dir, "cluster.json");
      writeFileSync(file, "{ not json");
      expect(() => loadClusterConfig(file)).toThrow(new RegExp(`${file}: \\(file\\): not valid JSON`));
      expect(() => loadClusterConfig(join(dir, "missing.json"))).toThrow(/cannot read/);
      writeFileSync(file, JSON.stringify(valid));
      expect(loadClusterConfig(file).nodes).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("which Raft addresses count as exposed", () => {
  it("treats only 127.0.0.0/8, ::1 and localhost as loopback", async () => {
    const { isLoopback } = await import("../src/config.js");
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopback(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "192.0.2.1", "127.0.0.1.example.com", "localhost.example.com", "fe80::1"]) expect(isLoopback(h)).toBe(false);
  });
});

describe("dialOverrides", () => {
  const base = { clusterId: "c", nodes: [{ id: 1, raft: "127.0.0.1:5001", http: "127.0.0.1:8001" }, { id: 2, raft: "127.0.0.1:5002", http: "127.0.0.1:8002" }] };
  it("maps peer ids to the address this node dials instead", () => {
    const c = parseClusterConfig({ ...base, dialOverrides: { "2": "127.0.0.1:40002" } });
    expect(c.dialOverrides.get(2)).toEqual({ host: "127.0.0.1", port: 40002 });
    expect(parseClusterConfig(base).dialOverrides.size).toBe(0);
  });
  it("refuses keys that are not node ids and values that are not host:port, naming the field", () => {
    expect(() => parseClusterConfig({ ...base, dialOverrides: { two: "127.0.0.1:1" } })).toThrow(/dialOverrides/);
    expect(() => parseClusterConfig({ ...base, dialOverrides: { "2": "nowhere" } })).toThrow(/dialOverrides\[2\]: expected "host:port"/);
  });
});
