import { describe, expect, it } from "vitest";
import { DEFAULTS, exposureWarning, isLoopbackHost, resolveTransportConfig, TransportConfigError, type TcpTransportOptions } from "./config.js";

const base: TcpTransportOptions = {
  nodeId: 1,
  clusterId: "c",
  listen: { host: "127.0.0.1", port: 5001 },
  peers: new Map([
    [2, { host: "127.0.0.1", port: 5002 }],
    [3, { host: "127.0.0.1", port: 5003 }],
  ]),
  onMessage: () => {},
};

function fieldOf(options: Partial<TcpTransportOptions> | Record<string, unknown>): string {
  try {
    resolveTransportConfig({ ...base, ...options } as TcpTransportOptions);
  } catch (e) {
    if (e instanceof TransportConfigError) return e.field;
    throw e;
  }
  throw new Error("expected a TransportConfigError");
}

describe("transport config", () => {
  it("fills in the defaults", () => {
    const c = resolveTransportConfig(base);
    expect(c.maxFrameBytes).toBe(DEFAULTS.maxFrameBytes);
    expect(c.maxQueuedMessages).toBe(1024);
    expect(c.maxQueuedBytes).toBe(16 * 1024 * 1024);
    expect(c.handshakeTimeoutMs).toBe(3000);
    expect(c.reconnect).toEqual({ initialMs: 100, maxMs: 3000 });
    expect(c.secret).toBeUndefined();
  });

  it("takes a string secret as its UTF-8 bytes", () => {
    const c = resolveTransportConfig({ ...base, secret: "0123456789abcdef" });
    expect(c.secret?.toString("utf8")).toBe("0123456789abcdef");
  });

  it.each<[string, Record<string, unknown>]>([
    ["nodeId", { nodeId: 0 }],
    ["nodeId", { nodeId: 1.5 }],
    ["clusterId", { clusterId: "" }],
    ["clusterId", { clusterId: "x".repeat(256) }],
    ["listen.host", { listen: { host: "", port: 1 } }],
    ["listen.port", { listen: { host: "127.0.0.1", port: 70000 } }],
    ["peers", { peers: new Map([[1, { host: "127.0.0.1", port: 5001 }]]) }],
    ["peers", { peers: [[2, { host: "127.0.0.1", port: 5002 }]] }],
    ["peers[2].port", { peers: new Map([[2, { host: "127.0.0.1", port: 0 }]]) }],
    ["peers[2].host", { peers: new Map([[2, { host: "", port: 5002 }]]) }],
    ["peers key -1", { peers: new Map([[-1, { host: "127.0.0.1", port: 5002 }]]) }],
    ["secret", { secret: "too short" }],
    ["tls.cert", { tls: { key: "k", ca: "c" } }],
    ["maxFrameBytes", { maxFrameBytes: 100 }],
    ["maxQueuedMessages", { maxQueuedMessages: 0 }],
    ["maxQueuedBytes, maxFrameBytes", { maxFrameBytes: 1 << 20, maxQueuedBytes: 1 << 20 }],
    ["handshakeTimeoutMs", { handshakeTimeoutMs: 0 }],
    ["writeStallTimeoutMs", { writeStallTimeoutMs: -5 }],
    ["reconnect.maxMs, reconnect.initialMs", { reconnect: { initialMs: 500, maxMs: 100 } }],
    ["onMessage", { onMessage: undefined }],
  ])("rejects a bad %s, naming it", (field, options) => {
    expect(fieldOf(options)).toBe(field);
  });

  it("error messages say what is wrong with the value", () => {
    expect(() => resolveTransportConfig({ ...base, maxFrameBytes: 1 << 20, maxQueuedBytes: 1000 })).toThrow(
      /maxQueuedBytes \(1000\) must hold at least one largest frame \(maxFrameBytes 1048576/,
    );
  });
});

describe("exposure check", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["::1", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["", false],
    ["10.0.0.5", false],
    ["192.168.1.10", false],
    ["::ffff:10.0.0.1", false],
    ["fe80::1", false],
    ["node1.example.com", false],
    ["128.0.0.1", false],
  ])("isLoopbackHost(%j) is %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it("warns only for a non-loopback listener with neither secret nor TLS", () => {
    const open = resolveTransportConfig({ ...base, listen: { host: "0.0.0.0", port: 5001 } });
    expect(exposureWarning(open)).toMatch(/^SECURITY WARNING: .*0\.0\.0\.0:5001.*NO cluster secret and NO TLS/);
    expect(exposureWarning({ ...open, secret: Buffer.alloc(16) })).toBeUndefined();
    expect(exposureWarning({ ...open, tls: { key: "k", cert: "c", ca: "a" } })).toBeUndefined();
    expect(exposureWarning(resolveTransportConfig(base))).toBeUndefined();
  });
});
