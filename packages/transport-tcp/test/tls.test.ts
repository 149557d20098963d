import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as netConnect, createServer, type AddressInfo, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TlsOptions } from "../src/index.js";
import { heartbeat, oneOfEach } from "./arbitraries.js";
import { Harness, SECRET, waitFor, type TestNode } from "./helpers.js";

/** Messages in oneOfEach(): one of every message type (and variant). */
const EACH = oneOfEach(1, 2).length;

/**
 * Certificates made at test time with the openssl CLI: a cluster CA with a certificate per
 * node (IP SAN 127.0.0.1, usable as server and client), and a rogue CA with one of its own.
 */
let dir: string;
let clusterCa: Buffer;
let node: (name: string) => TlsOptions;
let rogue: TlsOptions;

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

function makeCa(name: string): void {
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`,
    "-days", "2", "-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
}

function makeCert(name: string, ca: string): void {
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
  openssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", "ext.cnf");
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "raft-ts-tls-"));
  writeFileSync(join(dir, "ext.cnf"), "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  makeCa("cluster-ca");
  makeCa("rogue-ca");
  for (const n of ["node1", "node2", "node3"]) makeCert(n, "cluster-ca");
  makeCert("rogue", "rogue-ca");
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  clusterCa = read("cluster-ca.crt");
  node = (name) => ({ key: read(`${name}.key`), cert: read(`${name}.crt`), ca: clusterCa });
  // The rogue trusts the cluster CA (so it would accept our servers) but its own cert is not ours.
  rogue = { key: read("rogue.key"), cert: read("rogue.crt"), ca: clusterCa };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const h = new Harness();
afterEach(() => h.closeAll());

async function tlsPair(): Promise<[TestNode, TestNode]> {
  const a = await h.node(1, { tls: node("node1"), secret: SECRET });
  const b = await h.node(2, { tls: node("node2"), secret: SECRET });
  h.link(a, b);
  return [a, b];
}

describe("mutual TLS", () => {
  it("two nodes with certificates from the cluster CA exchange every message type", async () => {
    const [a, b] = await tlsPair();
    for (const m of oneOfEach(1, 2)) a.transport.send(m);
    for (const m of oneOfEach(2, 1)) b.transport.send(m);
    await waitFor(() => a.received.length === EACH && b.received.length === EACH, "one of each message type each way over TLS");
    expect(b.received).toEqual(oneOfEach(1, 2));
    expect(a.received).toEqual(oneOfEach(2, 1));
    expect(a.metrics.count("handshake_failures")).toBe(0);
  });

  it("a client without a certificate is refused at TLS, counted, and delivers nothing", async () => {
    const [a, b] = await tlsPair();
    const socket: TLSSocket = tlsConnect({ host: "127.0.0.1", port: a.address.port, ca: clusterCa });
    socket.on("error", () => {});
    h.defer(() => void socket.destroy());
    const closed = new Promise((resolve) => socket.once("close", resolve));
    await closed;
    await waitFor(() => a.metrics.count("handshake_failures", { direction: "inbound", reason: "tls" }) === 1, "the TLS refusal counted");
    // The only inbound connection node 1 ever authenticated is node 2's.
    expect(a.metrics.count("connections_up", { direction: "inbound" })).toBe(a.metrics.count("connections_up", { peer: 2, direction: "inbound" }));
    b.transport.send(heartbeat(2, 1, 1));
    await waitFor(() => a.received.length === 1, "node 2 still delivers");
  });

  it("a node whose certificate is from another CA never connects, and both ends count it", async () => {
    const [a, b] = await tlsPair();
    const r = await h.node(3, { tls: rogue, secret: SECRET, peers: new Map([[1, a.address]]) });
    a.transport.setPeer(3, r.address);
    r.transport.send(heartbeat(3, 1, 0));
    await waitFor(() => a.metrics.count("handshake_failures", { direction: "inbound", reason: "tls" }) >= 1, "node 1 refuses the rogue certificate");
    await waitFor(() => r.metrics.count("handshake_failures", { peer: 1, direction: "outbound" }) >= 1, "the rogue's handshake fails");
    // Node 1 dialing the rogue refuses the rogue's server certificate too.
    await waitFor(() => a.metrics.count("handshake_failures", { peer: 3, direction: "outbound", reason: "tls" }) >= 1, "node 1 refuses the rogue as a server");
    expect(a.metrics.count("connections_up", { peer: 3 })).toBe(0);
    expect(a.received.filter((m) => m.from === 3)).toHaveLength(0);
    b.transport.send(heartbeat(2, 1, 1));
    await waitFor(() => a.received.some((m) => m.from === 2), "node 2 still delivers");
  });

  it("a plain TCP client gets nowhere with a TLS node", async () => {
    const [a, b] = await tlsPair();
    const socket = netConnect({ host: "127.0.0.1", port: a.address.port });
    socket.on("error", () => {});
    h.defer(() => void socket.destroy());
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(Buffer.from("this is not a TLS ClientHello at all\r\n"));
    await new Promise((resolve) => socket.once("close", resolve));
    await waitFor(() => a.metrics.count("handshake_failures", { direction: "inbound", reason: "tls" }) === 1, "counted");
    b.transport.send(heartbeat(2, 1, 1));
    await waitFor(() => a.received.length === 1, "node 2 still delivers");
  });

  it("a peer that accepts TCP but never answers TLS times out as a handshake failure", async () => {
    const silent = createServer(() => {}); // accepts, reads nothing, says nothing
    const sockets = new Set<Socket>();
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    h.defer(() => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      silent.close(() => resolve());
    }));
    const port = (silent.address() as AddressInfo).port;
    const a = await h.node(1, { tls: node("node1"), secret: SECRET, handshakeTimeoutMs: 300, peers: new Map([[2, { host: "127.0.0.1", port }]]) });
    await waitFor(() => a.metrics.count("handshake_failures", { peer: 2, direction: "outbound", reason: "timeout" }) >= 1, "the TLS handshake timed out");
    expect(a.metrics.count("dial_failures", { peer: 2 })).toBe(0);
  });

  it("the cluster secret is still checked inside TLS", async () => {
    const a = await h.node(1, { tls: node("node1"), secret: SECRET });
    const b = await h.node(2, { tls: node("node2"), secret: "a different secret, long enough" });
    h.link(a, b);
    await waitFor(() => a.metrics.count("handshake_failures", { peer: 2, direction: "outbound", reason: "auth" }) >= 1, "node 1 refuses node 2's proof");
    await waitFor(() => b.metrics.count("handshake_failures", { peer: 1, direction: "outbound", reason: "auth" }) >= 1, "node 2 refuses node 1's proof");
    expect(a.metrics.count("connections_up")).toBe(0);
  });
});
