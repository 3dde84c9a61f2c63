/**
 * One request message in, one reply message out, as TRex's REP loop does it
 * (src/rpc-server/trex_rpc_req_resp_server.cpp, trex_rpc_jsonrpc_v2_parser.cpp): size limit,
 * zlib framing, batches with the 1-element quirk, envelope checks and their error texts
 * (docs/trex-protocol.md §1 transport, §2 envelope and error codes).
 */
import { inflateSync, deflateSync } from "node:zlib";
import { ZIP_HEADER_BYTES, ZIP_MAGIC } from "../trex/protocol.ts";
import { JsonSyntaxError, parseJsonText, writeJsonText, type JsonValue } from "./json-text.ts";
import { RPC_ERR, RpcError, asString } from "./params.ts";
import { WORK_IN_PROGRESS, type FaultDecision } from "./faults.ts";
import type { TrexBox } from "./trex-box.ts";

export const MAX_RPC_MSG_LEN = 999_999;
export { ZIP_MAGIC };
/** Inflating stops here (TRex would allocate whatever the header claims, up to 4 GiB). */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

export function isCompressed(msg: Buffer): boolean {
  return msg.length >= ZIP_HEADER_BYTES && msg.readUInt32BE(0) === ZIP_MAGIC;
}

/** TRex's framing: magic, uncompressed byte length, zlib stream. */
export function compressMessage(payload: Buffer): Buffer {
  const header = Buffer.alloc(ZIP_HEADER_BYTES);
  header.writeUInt32BE(ZIP_MAGIC, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, deflateSync(payload)]);
}

/** TrexRpcZip::uncompress: fails when the data is not zlib or inflates beyond the header. */
export function decompressMessage(msg: Buffer): Buffer | null {
  const declared = msg.readUInt32BE(4);
  if (declared === 0) return null;
  try {
    return inflateSync(msg.subarray(ZIP_HEADER_BYTES), {
      maxOutputLength: Math.min(declared, MAX_INFLATED_BYTES),
    });
  } catch {
    return null;
  }
}

type Reply = Record<string, unknown>;

function errorReply(id: JsonValue, code: number, message: string, specificErr?: string): Reply {
  const error: Record<string, unknown> = { code, message };
  if (specificErr !== undefined) error.specific_err = specificErr;
  return { error, id, jsonrpc: "2.0" };
}

interface Prepared {
  id: JsonValue;
  method?: string;
  params?: JsonValue;
  /** Set when the envelope itself is wrong. */
  error?: Reply;
}

/** parse_single_request: the envelope checks, in TRex's order. */
function prepare(box: TrexBox, request: JsonValue): Prepared {
  const isObj = typeof request === "object" && request !== null && !Array.isArray(request);
  const id = isObj && Object.hasOwn(request, "id") ? request.id : null;
  if (!isObj || id === null || id === undefined) {
    // (TRex aborts on a non-object request; answering is kinder.)
    return { id: null, error: errorReply(null, RPC_ERR.invalidRequest, "Missing 'id' field") };
  }
  if (request.jsonrpc !== "2.0") {
    return { id, error: errorReply(id, RPC_ERR.invalidRequest, "Invalid JSONRPC Version") };
  }
  let method: string;
  try {
    method = asString(Object.hasOwn(request, "method") ? request.method : null);
  } catch (err) {
    const what = err instanceof RpcError ? (err.specificErr ?? err.message) : String(err);
    return {
      id,
      error: errorReply(id, RPC_ERR.invalidRequest, `Error in JSON request: ${what}`),
    };
  }
  if (method === "") {
    return { id, error: errorReply(id, RPC_ERR.invalidRequest, "Missing Method Name") };
  }
  if (!box.hasMethod(method)) {
    return {
      id,
      method,
      error: errorReply(id, RPC_ERR.methodNotFound, `Method ${method} not registered`),
    };
  }
  return { id, method, params: Object.hasOwn(request, "params") ? request.params : undefined };
}

function execute(box: TrexBox, req: Prepared, decision: FaultDecision): Reply {
  if (req.error) return req.error;
  const method = req.method!;
  const injected = decision.errors.get(method);
  if (injected) return errorReply(req.id, injected.code, injected.message);
  const polls = decision.deferred.get(method);
  if (polls !== undefined) {
    // Done now, answered later: the client fetches the outcome with get_async_results.
    const ticket = box.deferOutcome(() => box.call(method, req.params), polls);
    return errorReply(req.id, WORK_IN_PROGRESS.code, WORK_IN_PROGRESS.message, String(ticket));
  }
  return outcomeReply(req.id, () => box.call(method, req.params));
}

/** The reply to running `run`: its result, or its error as TRex words it. */
function outcomeReply(id: JsonValue, run: () => JsonValue): Reply {
  try {
    const result = run();
    return { id, jsonrpc: "2.0", result: result ?? null };
  } catch (err) {
    if (err instanceof RpcError) return errorReply(id, err.code, err.message, err.specificErr);
    // A bug of ours: answer like TRex's internal error rather than dying.
    return errorReply(id, RPC_ERR.internal, "Internal Server Error", String(err));
  }
}

export interface MessageOutcome {
  /** Methods named in the message (for faults and logs). */
  methods: string[];
  run(decision: FaultDecision): Buffer;
}

/**
 * Parses one request message. `run` executes it and returns the reply bytes; the split lets
 * the server consult its fault plan with the method names first.
 */
export function prepareMessage(box: TrexBox, raw: Buffer): MessageOutcome {
  const tooLarge = (n: number): Reply =>
    errorReply(
      null,
      RPC_ERR.internal,
      `Request is too large (${n} bytes). Consider splitting to smaller chunks.`,
    );
  const encode = (value: unknown, zip: boolean): Buffer => {
    const text = Buffer.from(writeJsonText(value), "utf8");
    return zip ? compressMessage(text) : text;
  };
  if (raw.length > MAX_RPC_MSG_LEN) {
    return { methods: [], run: () => encode(tooLarge(raw.length), false) };
  }
  let text = raw;
  let zip = false;
  if (isCompressed(raw)) {
    const inflated = decompressMessage(raw);
    if (inflated) {
      zip = true;
      text = inflated;
      if (inflated.length > MAX_RPC_MSG_LEN) {
        return { methods: [], run: () => encode(tooLarge(inflated.length), true) };
      }
    }
  }
  let parsed: JsonValue;
  try {
    parsed = parseJsonText(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError) && !(err instanceof RangeError)) throw err;
    return {
      methods: [],
      run: () => encode(errorReply(null, RPC_ERR.parse, "Bad JSON Format"), zip),
    };
  }
  const list: JsonValue[] = Array.isArray(parsed) ? parsed : [parsed];
  const requests = list.map((r) => prepare(box, r));
  return {
    methods: requests.flatMap((r) => (r.method !== undefined ? [r.method] : [])),
    run: (decision) => {
      const replies = box.atOneInstant(() => requests.map((r) => execute(box, r, decision)));
      // TRex answers a single response bare, even to a 1-element batch; no response is null.
      const body = replies.length === 1 ? replies[0] : replies.length === 0 ? null : replies;
      return encode(body, zip);
    },
  };
}
