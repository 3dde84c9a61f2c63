/**
 * TRex client: the only module (with src/emulator) that knows TRex's wire format. See
 * client.ts for the API, transport.ts for the ZMQ/JSON-RPC framing.
 */
export {
  TrexClient,
  normalizeAddress,
  DEFAULT_RPC_PORT,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_RETRIES,
  type ConnectOptions,
  type PortInfo,
  type PortState,
  type WaitOptions,
} from "./client.ts";
export {
  counterDelta,
  type CounterDelta,
  type PortCounters,
  type PgidStats,
  type PgidFlowStats,
  type PgidLatency,
} from "./counters.ts";
export type { CompiledVm, StreamDefinition, StreamMode } from "./streams.ts";
export {
  TrexError,
  TrexConnectionError,
  TrexTimeoutError,
  TrexRpcError,
  TrexVersionError,
  TrexProtocolError,
  PortOwnedError,
  CounterResetError,
} from "./errors.ts";
