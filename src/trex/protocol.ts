/**
 * Facts of TRex's stateless JSON-RPC protocol that both sides of the wire need: the client in
 * src/trex and the emulator in src/emulator import them from here (docs/trex-protocol.md).
 * Each side keeps its own codec on purpose: the client must parse counters losslessly and
 * retry, the emulator must reproduce the real server's error texts and parse order.
 */

/** The stateless API this project speaks (trex-core v3.x, api_sync_v2). */
export const API_NAME = "STL";
export const API_MAJOR = 5;
export const API_MINOR = 1;

/** Default ports of TRex's synchronous RPC (REQ/REP) and asynchronous (PUB) sockets. */
export const DEFAULT_RPC_PORT = 4501;
export const DEFAULT_ASYNC_PORT = 4500;

/** First 4 bytes of a compressed message (trex_rpc_zip.h), big-endian, then the length. */
export const ZIP_MAGIC = 0xabe85cea;
/** Header of a compressed message: magic, then the uncompressed byte length (both u32 BE). */
export const ZIP_HEADER_BYTES = 8;

/** JSON-RPC error codes TRex adds to the standard ones. */
export const RPC_TRY_AGAIN = -32001;
export const RPC_WORK_IN_PROGRESS = -32002;

/** Profile id of the stream set the Python client uses when none is named. */
export const DEFAULT_PROFILE_ID = "_";

/**
 * How a stream sends, as profiles and the client describe it (add_stream's `mode` object is
 * {type, pps} / {type, total_pkts} / {type, pkts_per_burst, ibg, count}, see streams.ts).
 */
export type StreamMode =
  | { type: "continuous" }
  | { type: "single_burst"; packets: number }
  | { type: "multi_burst"; packetsPerBurst: number; ibgUs: number; count: number };

export const STREAM_MODE_TYPES = ["continuous", "single_burst", "multi_burst"] as const;

/**
 * Payload bytes a latency stream's packet must have after its last header: TRex writes its
 * latency signature there ("Need at least 16 payload bytes for payload rules", -32000).
 */
export const LATENCY_SIGNATURE_BYTES = 16;
