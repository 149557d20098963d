import { isIPv4, isIPv6 } from "node:net";
import type { Logger, Message, NodeId } from "@raft-ts/core";
import { MAX_CLUSTER_ID_BYTES, secretBytes } from "./handshake.js";
import { FRAME_HEADER_BYTES, HANDSHAKE_MAX_FRAME_BYTES } from "./frame.js";
import type { TransportMetrics } from "./metrics.js";

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Mutual TLS (node:tls). Every node presents a certificate signed by `ca` and accepts only
 * peers that do; certificates must name the address peers dial (an IP or DNS subject
 * alternative name), which the client checks. The HMAC handshake still runs inside TLS.
 */
export interface TlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca: string | Buffer | ReadonlyArray<string | Buffer>;
}

export interface ReconnectOptions {
  /** Backoff ceiling after the first failure; it doubles per failure up to maxMs. Default 100. */
  readonly initialMs?: number;
  /** Largest backoff ceiling. Default 3000. */
  readonly maxMs?: number;
}

export interface TcpTransportOptions {
  /** This node's id (a positive integer). */
  readonly nodeId: NodeId;
  /** Names the cluster; a peer presenting another id is refused. At most 255 UTF-8 bytes. */
  readonly clusterId: string;
  /** Where to accept connections from peers. Port 0 picks a free port (start() returns it). */
  readonly listen: PeerAddress;
  /** Every other node and where it listens. The only nodes this one talks to or accepts. */
  readonly peers: ReadonlyMap<NodeId, PeerAddress>;
  /** Shared cluster secret (at least 16 bytes) proven by HMAC in every handshake. */
  readonly secret?: string | Uint8Array;
  readonly tls?: TlsOptions;
  /** Largest frame accepted or sent, in bytes after the length prefix. Default 4 MiB. */
  readonly maxFrameBytes?: number;
  /** Most messages waiting per peer; beyond it new messages are dropped. Default 1024. */
  readonly maxQueuedMessages?: number;
  /** Most encoded bytes waiting per peer; beyond it new messages are dropped. Default 16 MiB. */
  readonly maxQueuedBytes?: number;
  /** Connect plus handshake must finish within this. Default 3000. */
  readonly handshakeTimeoutMs?: number;
  /** A socket that accepts no data for this long is closed and redialed. Default 5000. */
  readonly writeStallTimeoutMs?: number;
  /** Inbound connections still in their handshake, at most; more are refused. Default 64. */
  readonly maxPendingHandshakes?: number;
  readonly reconnect?: ReconnectOptions;
  readonly logger?: Logger;
  readonly metrics?: TransportMetrics;
  /** Each message from an authenticated peer, addressed to this node, in arrival order. */
  readonly onMessage: (message: Message) => void;
}

export interface ResolvedTransportConfig {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly listen: PeerAddress;
  readonly peers: ReadonlyMap<NodeId, PeerAddress>;
  readonly secret: Buffer | undefined;
  readonly tls: TlsOptions | undefined;
  readonly maxFrameBytes: number;
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly writeStallTimeoutMs: number;
  readonly maxPendingHandshakes: number;
  readonly reconnect: Required<ReconnectOptions>;
  readonly logger: Logger;
  readonly metrics: TransportMetrics | undefined;
  readonly onMessage: (message: Message) => void;
}

export const DEFAULTS = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxQueuedMessages: 1024,
  maxQueuedBytes: 16 * 1024 * 1024,
  handshakeTimeoutMs: 3000,
  writeStallTimeoutMs: 5000,
  maxPendingHandshakes: 64,
  reconnectInitialMs: 100,
  reconnectMaxMs: 3000,
} as const;

export const MIN_SECRET_BYTES = 16;
/**
 * TCP keepalive on every connection: a peer whose machine vanished without a FIN or RST is
 * eventually noticed even while nothing is being sent to it.
 */
export const TCP_KEEPALIVE_MS = 5000;
/** The length field is 32 bits, but nothing near that is a sane message. */
export const MAX_FRAME_BYTES_LIMIT = 256 * 1024 * 1024;

/** A transport configuration that cannot work, naming the field (or fields) and the problem. */
export class TransportConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`invalid transport config: ${field}: ${problem}`);
    this.name = "TransportConfigError";
  }
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {} };

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new TransportConfigError(field, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

function nodeIdField(field: string, value: unknown): NodeId {
  return integerIn(field, value, 1, Number.MAX_SAFE_INTEGER);
}

export function validatePeerAddress(field: string, address: PeerAddress | undefined): PeerAddress {
  if (address === undefined || typeof address.host !== "string" || address.host.length === 0) {
    throw new TransportConfigError(`${field}.host`, "must be a non-empty host name or address");
  }
  integerIn(`${field}.port`, address.port, 1, 65535);
  return { host: address.host, port: address.port };
}

/** Validates options once, at the edge, and fills in defaults. Throws TransportConfigError. */
export function resolveTransportConfig(o: TcpTransportOptions): ResolvedTransportConfig {
  const nodeId = nodeIdField("nodeId", o.nodeId);

  if (typeof o.clusterId !== "string" || o.clusterId.length === 0) {
    throw new TransportConfigError("clusterId", "must be a non-empty string");
  }
  const clusterIdLength = Buffer.byteLength(o.clusterId, "utf8");
  if (clusterIdLength > MAX_CLUSTER_ID_BYTES) {
    throw new TransportConfigError("clusterId", `is ${clusterIdLength} UTF-8 bytes, at most ${MAX_CLUSTER_ID_BYTES}`);
  }

  if (o.listen === undefined || typeof o.listen.host !== "string" || o.listen.host.length === 0) {
    throw new TransportConfigError("listen.host", "must be a non-empty host name or address");
  }
  const listen = { host: o.listen.host, port: integerIn("listen.port", o.listen.port, 0, 65535) };

  if (!(o.peers instanceof Map)) throw new TransportConfigError("peers", "must be a Map from node id to { host, port }");
  const peers = new Map<NodeId, PeerAddress>();
  for (const [id, address] of o.peers) {
    nodeIdField(`peers key ${String(id)}`, id);
    if (id === nodeId) throw new TransportConfigError("peers", `contains this node's own id ${nodeId} (nodeId)`);
    peers.set(id, validatePeerAddress(`peers[${id}]`, address));
  }

  let secret: Buffer | undefined;
  if (o.secret !== undefined) {
    if (typeof o.secret !== "string" && !(o.secret instanceof Uint8Array)) {
      throw new TransportConfigError("secret", "must be a string or bytes");
    }
    secret = secretBytes(o.secret);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new TransportConfigError("secret", `is ${secret.length} bytes, at least ${MIN_SECRET_BYTES} (e.g. openssl rand -base64 32)`);
    }
  }

  if (o.tls !== undefined) {
    for (const field of ["key", "cert", "ca"] as const) {
      if (o.tls[field] === undefined) throw new TransportConfigError(`tls.${field}`, "is required for mutual TLS");
    }
  }

  const maxFrameBytes = integerIn("maxFrameBytes", o.maxFrameBytes ?? DEFAULTS.maxFrameBytes, HANDSHAKE_MAX_FRAME_BYTES, MAX_FRAME_BYTES_LIMIT);
  const maxQueuedMessages = integerIn("maxQueuedMessages", o.maxQueuedMessages ?? DEFAULTS.maxQueuedMessages, 1, 2 ** 31);
  const maxQueuedBytes = integerIn("maxQueuedBytes", o.maxQueuedBytes ?? DEFAULTS.maxQueuedBytes, 1, Number.MAX_SAFE_INTEGER);
  // A queue smaller than the largest frame could refuse a message that is otherwise valid.
  if (maxQueuedBytes < maxFrameBytes + FRAME_HEADER_BYTES) {
    throw new TransportConfigError(
      "maxQueuedBytes, maxFrameBytes",
      `maxQueuedBytes (${maxQueuedBytes}) must hold at least one largest frame (maxFrameBytes ${maxFrameBytes} + ${FRAME_HEADER_BYTES})`,
    );
  }
  const handshakeTimeoutMs = integerIn("handshakeTimeoutMs", o.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs, 1, 2 ** 31 - 1);
  const writeStallTimeoutMs = integerIn("writeStallTimeoutMs", o.writeStallTimeoutMs ?? DEFAULTS.writeStallTimeoutMs, 1, 2 ** 31 - 1);
  const maxPendingHandshakes = integerIn("maxPendingHandshakes", o.maxPendingHandshakes ?? DEFAULTS.maxPendingHandshakes, 1, 65535);

  const initialMs = integerIn("reconnect.initialMs", o.reconnect?.initialMs ?? DEFAULTS.reconnectInitialMs, 1, 2 ** 31 - 1);
  const maxMs = integerIn("reconnect.maxMs", o.reconnect?.maxMs ?? DEFAULTS.reconnectMaxMs, 1, 2 ** 31 - 1);
  if (maxMs < initialMs) {
    throw new TransportConfigError("reconnect.maxMs, reconnect.initialMs", `maxMs (${maxMs}) is below initialMs (${initialMs})`);
  }

  if (typeof o.onMessage !== "function") throw new TransportConfigError("onMessage", "must be a function");

  return {
    nodeId,
    clusterId: o.clusterId,
    listen,
    peers,
    secret,
    tls: o.tls,
    maxFrameBytes,
    maxQueuedMessages,
    maxQueuedBytes,
    handshakeTimeoutMs,
    writeStallTimeoutMs,
    maxPendingHandshakes,
    reconnect: { initialMs, maxMs },
    logger: o.logger ?? silentLogger,
    metrics: o.metrics,
    onMessage: o.onMessage,
  };
}

/**
 * Whether `host` can only be reached from this machine. Wildcards ("0.0.0.0", "::", "") and
 * any name other than "localhost" count as reachable from outside: we cannot know where a
 * name resolves, and a warning too many beats a silent open port.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost") return true;
  if (isIPv4(h)) return h.startsWith("127.");
  if (isIPv6(h)) {
    if (h === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(h)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && isIPv4(mapped[1]!) && mapped[1]!.startsWith("127.");
  }
  return false;
}

/** The loud warning for a listener anyone on the network can join, or undefined when safe. */
export function exposureWarning(config: Pick<ResolvedTransportConfig, "listen" | "secret" | "tls">): string | undefined {
  if (isLoopbackHost(config.listen.host) || config.secret !== undefined || config.tls !== undefined) return undefined;
  return (
    `SECURITY WARNING: the Raft transport listens on ${config.listen.host}:${config.listen.port}, which is reachable ` +
    "from other machines, with NO cluster secret and NO TLS: anyone who can reach this port can pose as a peer " +
    "and vote, append entries and read replication traffic. Set a cluster secret (and TLS across untrusted networks)."
  );
}
