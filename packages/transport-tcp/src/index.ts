export { decodeMessage, encodeMessage, messageSize, tryDecodeMessage, writeMessage, type DecodeResult } from "./codec.js";
export { DecodeError, EncodeError } from "./bytes.js";
export { ByteQueue } from "./byte-queue.js";
export {
  DEFAULTS,
  exposureWarning,
  isLoopbackHost,
  MIN_SECRET_BYTES,
  resolveTransportConfig,
  TransportConfigError,
  type PeerAddress,
  type ReconnectOptions,
  type ResolvedTransportConfig,
  type TcpTransportOptions,
  type TlsOptions,
} from "./config.js";
export {
  encodeFrame,
  encodeMessageFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameKind,
  HANDSHAKE_MAX_FRAME_BYTES,
  payloadOf,
  PROTOCOL_VERSION,
  writeMessageFrame,
  type Frame,
  type FrameError,
  type FrameReadResult,
} from "./frame.js";
export {
  clientMac,
  decodeAuth,
  decodeHello,
  decodeReject,
  decodeWelcome,
  encodeAuth,
  encodeHello,
  encodeReject,
  encodeWelcome,
  MAC_BYTES,
  NONCE_BYTES,
  serverMac,
  verifyMac,
  type Auth,
  type HandshakeFailure,
  type Hello,
  type RejectReason,
  type Transcript,
  type Welcome,
} from "./handshake.js";
export {
  CountingMetrics,
  type DisconnectReason,
  type Direction,
  type DropReason,
  type ProtocolError,
  type TransportMetrics,
} from "./metrics.js";
export type { OutboundState } from "./peer-connection.js";
export { TcpTransport, type BoundAddress, type PeerStatus } from "./transport.js";
export { frameCounter } from "./frame-counter.js";
