/**
 * The sync channel to a TRex server: a ZMQ REQ socket carrying JSON-RPC 2.0, with TRex's zlib
 * framing, batches, per-request timeouts and socket recreation after a lost reply
 * (docs/trex-protocol.md §1 transport, §2 error codes and busy retries).
 *
 * Compression: TRex's Python client compresses every request (threshold 0). This client
 * compresses requests of COMPRESS_THRESHOLD_BYTES (64 KiB) or more: below that, deflating costs
 * more than sending the bytes even on a 1 Gb/s management link, and a compressed request also
 * makes the server compress its reply. Above it (add_stream batches of hundreds of streams)
 * stream JSON shrinks 30-60×. Replies are inflated whenever they carry the magic.
 *
 * Timeouts: a REQ socket that missed a reply is stuck, and a late reply to an abandoned request
 * must never be read as the answer to the next one, so after every timeout the socket is closed
 * and a new one connected. Read-only requests are then re-sent up to `retries` times; requests
 * that change server state (acquire, add_stream, start_traffic, ...) are not, because the lost
 * request may have been executed: the caller gets TrexTimeoutError and decides.
 */
import { deflateSync, inflateSync } from "node:zlib";
import { Request } from "zeromq";
import {
  TrexConnectionError,
  TrexError,
  TrexProtocolError,
  TrexRpcError,
  TrexTimeoutError,
} from "./errors.ts";
import { isObject, parseLossless, type Json } from "./json.ts";
import { RPC_TRY_AGAIN, RPC_WORK_IN_PROGRESS, ZIP_HEADER_BYTES, ZIP_MAGIC } from "./protocol.ts";

/** "Try again later" (the port is busy with RX-core configuration) and "work in progress" (an
 * async task started; its ticket is polled with get_async_results): see protocol.ts. */
export { RPC_TRY_AGAIN, RPC_WORK_IN_PROGRESS, ZIP_MAGIC };

export const COMPRESS_THRESHOLD_BYTES = 64 * 1024;
/**
 * Batches are split into messages of about this many bytes of JSON, as the Python client does:
 * the server refuses messages over 999,999 bytes (raw or inflated).
 */
export const BATCH_CHUNK_BYTES = 500_000;
/**
 * How a busy server is waited for: re-asked every BUSY_RETRY_INTERVAL_MS for up to
 * BUSY_RETRY_LIMIT_MS (TRex's Python client: every 0.3 s for max(timeout, 3 s)).
 */
export const BUSY_RETRY_INTERVAL_MS = 100;
export const BUSY_RETRY_LIMIT_MS = 3000;

export interface RpcCall {
  method: string;
  params: Record<string, unknown>;
  /** For error messages: the port the call is about. */
  portId?: number;
}

export type RpcOutcome = { ok: true; result: Json } | { ok: false; error: TrexRpcError };

export interface TransportOptions {
  /** Per request (per attempt), milliseconds. */
  timeoutMs: number;
  /** Re-sends of a read-only request after a timeout. */
  retries: number;
  /** Compress requests of this many bytes or more; default COMPRESS_THRESHOLD_BYTES. */
  compressThresholdBytes?: number;
}

export interface SendOptions {
  /** Safe to re-send after a lost reply (it does not change server state). */
  idempotent?: boolean;
  timeoutMs?: number;
}

function isBusy(error: TrexRpcError): boolean {
  return error.code === RPC_TRY_AGAIN || error.code === RPC_WORK_IN_PROGRESS;
}

/** What to send again for a busy answer: the call itself, or the poll of its async ticket. */
function busyRetryCall(call: RpcCall, outcome: RpcOutcome): RpcCall {
  if (outcome.ok || outcome.error.code !== RPC_WORK_IN_PROGRESS) return call;
  const ticket = Number(outcome.error.specificErr);
  if (!Number.isInteger(ticket)) return call;
  const apiH = call.params.api_h;
  return {
    method: "get_async_results",
    params: { ...(apiH === undefined ? {} : { api_h: apiH }), ticket_id: ticket },
    portId: call.portId,
  };
}

/** Methods that do not change server state: re-sent after a lost reply. */
const READ_ONLY = new Set([
  "api_sync_v2",
  "get_version",
  "get_system_info",
  "get_supported_cmds",
  "get_port_status",
  "get_port_stats",
  "get_global_stats",
  "get_port_xstats_names",
  "get_port_xstats_values",
  "get_active_pgids",
  "get_pgid_stats",
  "get_owner",
  "get_all_streams",
  "get_profile_list",
  "get_async_events",
  "publish_now",
  "ping",
  // Stopping a stopped port is a no-op: safe to repeat.
  "stop_traffic",
]);

export function isReadOnly(method: string): boolean {
  return READ_ONLY.has(method);
}

export function compressMessage(payload: Buffer): Buffer {
  const header = Buffer.alloc(ZIP_HEADER_BYTES);
  header.writeUInt32BE(ZIP_MAGIC, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, deflateSync(payload)]);
}

/** The JSON text of a reply, inflated when it carries TRex's compression header. */
export function decodeReply(reply: Buffer): string {
  if (reply.length >= ZIP_HEADER_BYTES && reply.readUInt32BE(0) === ZIP_MAGIC) {
    const expected = reply.readUInt32BE(4);
    let inflated: Buffer;
    try {
      inflated = inflateSync(reply.subarray(ZIP_HEADER_BYTES));
    } catch (err) {
      throw new TrexProtocolError(`cannot inflate a compressed reply: ${(err as Error).message}`);
    }
    if (inflated.length !== expected) {
      throw new TrexProtocolError(
        `compressed reply announces ${expected} bytes but inflates to ${inflated.length}`,
      );
    }
    return inflated.toString("utf8");
  }
  return reply.toString("utf8");
}

function rpcErrorOf(call: RpcCall, response: { [key: string]: Json }): TrexRpcError | null {
  const error = response.error;
  if (error === undefined) return null;
  const e = isObject(error) ? error : {};
  return new TrexRpcError(
    call.method,
    typeof e.code === "number" ? e.code : 0,
    typeof e.message === "string" ? e.message : JSON.stringify(error),
    typeof e.specific_err === "string" ? e.specific_err : undefined,
    call.portId,
  );
}

/** One JSON-RPC response object, checked like the Python client checks it. */
export function outcomeOf(call: RpcCall, response: Json): RpcOutcome {
  if (!isObject(response) || response.jsonrpc !== "2.0") {
    throw new TrexProtocolError(
      `malformed reply to '${call.method}': ${JSON.stringify(response)?.slice(0, 200)}`,
    );
  }
  const error = rpcErrorOf(call, response);
  if (error) return { ok: false, error };
  if (!("result" in response)) {
    throw new TrexProtocolError(`reply to '${call.method}' has neither result nor error`);
  }
  return { ok: true, result: response.result };
}

/** Matches a batch reply to the calls; TRex answers a 1-element batch with a bare object. */
export function batchOutcomes(calls: RpcCall[], reply: Json): RpcOutcome[] {
  if (Array.isArray(reply)) {
    if (reply.length !== calls.length) {
      throw new TrexProtocolError(
        `batch of ${calls.length} requests got ${reply.length} responses`,
      );
    }
    return reply.map((r, i) => outcomeOf(calls[i], r));
  }
  if (calls.length === 1) return [outcomeOf(calls[0], reply)];
  // A whole-message failure (bad JSON, too large) comes back as one error object.
  if (isObject(reply) && reply.error !== undefined) {
    return calls.map((c) => outcomeOf(c, reply));
  }
  throw new TrexProtocolError(`batch of ${calls.length} requests got a single non-error reply`);
}

function isTimeout(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "EAGAIN";
}

export class RpcTransport {
  private socket: Request;
  private nextId = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private answered = false;
  private closed = false;
  /** Messages sent (a batch chunk is one) and sockets replaced after a timeout: diagnostics. */
  messagesSent = 0;
  recreatedSockets = 0;

  constructor(
    readonly address: string,
    private readonly opts: TransportOptions,
  ) {
    this.socket = this.open();
  }

  private open(): Request {
    // Socket options as TRex's Python client sets them (trex_req_resp_client.py).
    const socket = new Request({
      linger: 0,
      sendTimeout: this.opts.timeoutMs,
      receiveTimeout: this.opts.timeoutMs,
      heartbeatInterval: 5000,
      heartbeatTimeout: 60_000,
      reconnectInterval: 20,
      reconnectMaxInterval: 500,
      maxMessageSize: -1,
    });
    socket.connect(this.address);
    return socket;
  }

  /** Calls are strictly sequential on a REQ socket. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private envelope(call: RpcCall): Record<string, unknown> {
    return { jsonrpc: "2.0", id: this.nextId++, method: call.method, params: call.params };
  }

  /** One call; a JSON-RPC error is thrown as TrexRpcError. A busy server is asked again. */
  async call(call: RpcCall, opts: SendOptions = {}): Promise<Json> {
    const [outcome] = await this.settleBusy([call], [await this.callOnce(call, opts)], opts);
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  private async callOnce(call: RpcCall, opts: SendOptions): Promise<RpcOutcome> {
    const text = JSON.stringify(this.envelope(call));
    const reply = await this.exchange(
      text,
      call.method,
      opts.idempotent ?? isReadOnly(call.method),
      opts,
    );
    return outcomeOf(call, reply);
  }

  /**
   * Calls in one message (several when the JSON passes BATCH_CHUNK_BYTES); the outcomes are in
   * call order and a failed call does not stop the others, as on the server. Calls the server
   * was too busy for are asked again (settleBusy).
   */
  async batch(calls: RpcCall[], opts: SendOptions = {}): Promise<RpcOutcome[]> {
    return this.settleBusy(calls, await this.batchOnce(calls, opts), opts);
  }

  /**
   * Re-asks the calls answered "try again" (the same call) or "work in progress" (the task's
   * ticket, with get_async_results) until they settle or BUSY_RETRY_LIMIT_MS passes; what is
   * still busy then is returned as the server's error.
   */
  private async settleBusy(
    calls: RpcCall[],
    outcomes: RpcOutcome[],
    opts: SendOptions,
  ): Promise<RpcOutcome[]> {
    const deadline = performance.now() + BUSY_RETRY_LIMIT_MS;
    const pending = [...calls];
    for (;;) {
      const busy = outcomes.flatMap((o, i) => (!o.ok && isBusy(o.error) ? [i] : []));
      if (busy.length === 0) return outcomes;
      if (performance.now() >= deadline) {
        await this.cancelTasks(busy.map((i) => busyRetryCall(pending[i], outcomes[i])));
        return outcomes;
      }
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_INTERVAL_MS));
      for (const i of busy) pending[i] = busyRetryCall(pending[i], outcomes[i]);
      const again = await this.batchOnce(
        busy.map((i) => pending[i]),
        opts,
      );
      busy.forEach((i, k) => (outcomes[i] = again[k]));
    }
  }

  /**
   * Cancels the async tasks still in progress when we stop waiting for them, as TRex's Python
   * client does (trex_req_resp_client.py): the server would otherwise finish and keep work nobody
   * asked about any more. Best effort: the caller reports the busy answer either way.
   */
  private async cancelTasks(polls: RpcCall[]): Promise<void> {
    const cancels = polls
      .filter((c) => c.method === "get_async_results")
      .map((c) => ({ ...c, method: "cancel_async_task" }));
    if (cancels.length > 0) await this.batchOnce(cancels, {}).catch(() => undefined);
  }

  private async batchOnce(calls: RpcCall[], opts: SendOptions): Promise<RpcOutcome[]> {
    const outcomes: RpcOutcome[] = [];
    let chunk: RpcCall[] = [];
    let parts: string[] = [];
    let size = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const idempotent = opts.idempotent ?? chunk.every((c) => isReadOnly(c.method));
      const label = [...new Set(chunk.map((c) => c.method))].join("+");
      const reply = await this.exchange(`[${parts.join(",")}]`, label, idempotent, opts);
      outcomes.push(...batchOutcomes(chunk, reply));
      chunk = [];
      parts = [];
      size = 0;
    };
    for (const call of calls) {
      const text = JSON.stringify(this.envelope(call));
      chunk.push(call);
      parts.push(text);
      size += Buffer.byteLength(text);
      if (size > BATCH_CHUNK_BYTES) await flush();
    }
    await flush();
    return outcomes;
  }

  /** Like batch(), but throws the first error. */
  async batchOk(calls: RpcCall[], opts: SendOptions = {}): Promise<Json[]> {
    const outcomes = await this.batch(calls, opts);
    return outcomes.map((o) => {
      if (!o.ok) throw o.error;
      return o.result;
    });
  }

  private exchange(
    text: string,
    label: string,
    idempotent: boolean,
    opts: SendOptions,
  ): Promise<Json> {
    return this.exclusive(async () => {
      if (this.closed) throw new TrexError(`the client of ${this.address} is disconnected`);
      const payload = Buffer.from(text, "utf8");
      const message =
        payload.length >= (this.opts.compressThresholdBytes ?? COMPRESS_THRESHOLD_BYTES)
          ? compressMessage(payload)
          : payload;
      const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs;
      // Until the server has answered once, a silence means nobody is there: no retries.
      const attempts = idempotent && this.answered ? this.opts.retries + 1 : 1;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (this.socket.receiveTimeout !== timeoutMs) {
          this.socket.receiveTimeout = timeoutMs;
          this.socket.sendTimeout = timeoutMs;
        }
        try {
          this.messagesSent++;
          await this.socket.send(message);
          const [reply] = await this.socket.receive();
          this.answered = true;
          const json = decodeReply(reply);
          try {
            return parseLossless(json);
          } catch {
            throw new TrexProtocolError(`reply to '${label}' is not JSON: ${json.slice(0, 200)}`);
          }
        } catch (err) {
          if (!isTimeout(err)) throw err;
          this.recreate();
        }
      }
      if (!this.answered) throw new TrexConnectionError(this.address);
      throw new TrexTimeoutError(label, timeoutMs, attempts, this.address);
    });
  }

  private recreate(): void {
    this.socket.close();
    this.recreatedSockets++;
    this.socket = this.open();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}
