/**
 * The provisioning, the Prometheus config and docker-compose.yml agree with each other and with
 * the dashboards (Docker cannot run here, so `docker compose config` cannot check them).
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DASHBOARDS } from "../src/dashboards.js";
import { PROMETHEUS_UID } from "../src/lib.js";

const read = (path: string): unknown => parse(readFileSync(new URL(`../${path}`, import.meta.url), "utf8"));

interface Compose {
  services: Record<
    string,
    { image: string; network_mode?: string; command?: string[]; volumes?: string[]; environment?: Record<string, string>; extra_hosts?: string[] }
  >;
}
interface PromConfig {
  global: { scrape_interval: string; evaluation_interval: string };
  rule_files: string[];
  scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[]; labels?: Record<string, string> }[] }[];
}

const compose = read("docker-compose.yml") as Compose;
const prom = read("prometheus/prometheus.yml") as PromConfig;
const datasources = read("provisioning/datasources/prometheus.yml") as {
  apiVersion: number;
  datasources: { uid: string; type: string; url: string; access: string; jsonData?: { timeInterval?: string } }[];
};
const providers = read("provisioning/dashboards/raft-ts.yml") as {
  apiVersion: number;
  providers: { type: string; options: { path: string } }[];
};

/** `./host:container[:ro]` bind mounts of a service, as [host, container]. */
function binds(service: string): [string, string][] {
  return (compose.services[service]?.volumes ?? []).filter((v) => v.startsWith("./")).map((v) => v.split(":").slice(0, 2) as [string, string]);
}

describe("Prometheus config", () => {
  it("scrapes the default local cluster at /metrics every 5s", () => {
    expect(prom.global.scrape_interval).toBe("5s");
    const job = prom.scrape_configs.find((j) => j.job_name === "raft-ts");
    expect(job?.metrics_path).toBe("/metrics");
    expect(job?.static_configs.flatMap((s) => s.targets)).toEqual(["127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003"]);
    // Each target's node label is the id the node itself exports (node N on port 800N).
    for (const s of job?.static_configs ?? []) expect(s.targets[0]).toBe(`127.0.0.1:800${s.labels?.node}`);
  });

  it("loads the alert rules, whose node-down alert selects this job", () => {
    expect(prom.rule_files).toEqual(["alerts.yml"]);
    expect(readFileSync(new URL("../prometheus/alerts.yml", import.meta.url), "utf8")).toContain(`up{job="${prom.scrape_configs[0]?.job_name}"}`);
  });
});

describe("Grafana provisioning", () => {
  it("the data source has the uid the dashboards default to, at the compose Prometheus", () => {
    expect(datasources.apiVersion).toBe(1);
    const [ds] = datasources.datasources;
    expect(ds).toMatchObject({ uid: PROMETHEUS_UID, type: "prometheus", url: "http://prometheus:9090", access: "proxy" });
    // Grafana's $__rate_interval is at least four scrape intervals: tell it the real one.
    expect(ds?.jsonData?.timeInterval).toBe(prom.global.scrape_interval);
  });

  it("the dashboard provider reads the folder compose mounts the generated JSON into", () => {
    expect(providers.apiVersion).toBe(1);
    const [provider] = providers.providers;
    expect(provider?.type).toBe("file");
    expect(binds("grafana")).toContainEqual(["./dashboards", provider?.options.path]);
    const home = compose.services.grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(home).toBe(`${provider?.options.path}/${DASHBOARDS[0]?.file}`);
  });
});

describe("docker-compose.yml", () => {
  it("runs Prometheus with prometheus/prometheus.yml on the host network, on 127.0.0.1:9090", () => {
    const p = compose.services.prometheus;
    expect(p?.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(p?.network_mode).toBe("host");
    expect(binds("prometheus")).toContainEqual(["./prometheus", "/etc/prometheus"]);
    expect(p?.command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    expect(p?.command).toContain("--web.listen-address=127.0.0.1:9090");
  });

  it("runs Grafana with the provisioning, anonymous admin on 127.0.0.1:3000, reaching prometheus:9090", () => {
    const g = compose.services.grafana;
    expect(g?.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(g?.network_mode).toBe("host");
    // With the host's network there is no compose DNS: the data source's host name is mapped here.
    expect(g?.extra_hosts).toContain("prometheus:127.0.0.1");
    expect(binds("grafana")).toContainEqual(["./provisioning", "/etc/grafana/provisioning"]);
    expect(g?.environment).toMatchObject({
      GF_SERVER_HTTP_ADDR: "127.0.0.1",
      GF_SERVER_HTTP_PORT: "3000",
      GF_AUTH_ANONYMOUS_ENABLED: "true",
      GF_AUTH_ANONYMOUS_ORG_ROLE: "Admin",
    });
  });

  it("every bind-mounted path exists next to the compose file", () => {
    for (const service of Object.keys(compose.services)) {
      for (const [host] of binds(service)) expect(existsSync(new URL(`../${host}`, import.meta.url)), `${service}: ${host}`).toBe(true);
    }
  });
});

describe("alert rule tests", () => {
  const alertsFile = read("prometheus/alerts.yml") as { groups: { rules: { alert: string }[] }[] };
  const testsFile = read("prometheus/alerts.test.yml") as {
    rule_files: string[];
    tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const names = alertsFile.groups.flatMap((g) => g.rules.map((r) => r.alert));

  it("has the alerts the issues ask for", () => {
    expect(names.sort()).toEqual(
      ["RaftFollowerLagging", "RaftFrequentLeaderChanges", "RaftFsyncSlow", "RaftNoLeader", "RaftNodeDown", "RaftPeerDisconnected", "RaftStorageFull"].sort(),
    );
  });

  it("tests each alert both firing and quiet", () => {
    expect(testsFile.rule_files).toEqual(["alerts.yml"]);
    const cases = testsFile.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of names) {
      expect(cases.some((c) => c.alertname === name && c.exp_alerts.length > 0), `${name} fires`).toBe(true);
      expect(cases.some((c) => c.alertname === name && c.exp_alerts.length === 0), `${name} stays quiet`).toBe(true);
    }
  });
});
