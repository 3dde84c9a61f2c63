import { afterEach, describe, expect, it } from "vitest";
import {
  BATCH_CHUNK_BYTES,
  BUSY_RETRY_LIMIT_MS,
  COMPRESS_THRESHOLD_BYTES,
  RpcTransport,
} from "../../src/trex/transport.ts";
import {
  TrexConnectionError,
  TrexProtocolError,
  TrexRpcError,
  TrexTimeoutError,
} from "../../src/trex/errors.ts";
import { answerAll, startStub, zip, type StubServer } from "./stub-server.ts";

let stub: StubServer | undefined;
let rpc: RpcTransport | undefined;
afterEach(async () => {
  rpc?.close();
  await stub?.close();
  stub = rpc = undefined;
});

const echo = answerAll((e) => ({ echoed: e.method, n: e.params.n ?? null }));

describe("RpcTransport framing", () => {
  it("sends JSON-RPC 2.0 envelopes with params always an object", async () => {
    stub = await startStub(echo);
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    expect(await rpc.call({ method: "ping", params: {} })).toEqual({ echoed: "ping", n: null });
    const sent = stub.requests[0].json as Record<string, unknown>;
    expect(sent).toMatchObject({ jsonrpc: "2.0", method: "ping", params: {} });
    expect(sent.id).not.toBeNull();
    expect(stub.requests[0].compressed).toBe(false);
  });

  it("compresses large requests with TRex's header and inflates compressed replies", async () => {
    stub = await startStub((req) => zip(echo(req)));
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    const big = "x".repeat(COMPRESS_THRESHOLD_BYTES);
    expect(await rpc.call({ method: "add_stream", params: { n: big } })).toEqual({
      echoed: "add_stream",
      n: big,
    });
    const req = stub.requests[0];
    expect(req.compressed).toBe(true);
    // Length field = uncompressed byte length, big-endian.
    expect(req.raw.readUInt32BE(4)).toBe(Buffer.byteLength(req.text));
    expect(req.raw.length).toBeLessThan(Buffer.byteLength(req.text));
  });

  it("rejects a compressed reply whose length field is wrong", async () => {
    stub = await startStub((req) => zip(echo(req), 3));
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    await expect(rpc.call({ method: "ping", params: {} })).rejects.toThrow(TrexProtocolError);
  });

  it("rejects replies that are not JSON-RPC", async () => {
    stub = await startStub((_req, i) => (i === 0 ? "not json" : '{"id":1,"result":{}}'));
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    await expect(rpc.call({ method: "ping", params: {} })).rejects.toThrow(/not JSON/);
    await expect(rpc.call({ method: "ping", params: {} })).rejects.toThrow(/malformed/);
  });

  it("turns an error reply into TrexRpcError with code, message and specific_err", async () => {
    stub = await startStub((req) => {
      const e = req.json as { id: unknown };
      return JSON.stringify({
        id: e.id,
        jsonrpc: "2.0",
        error: {
          code: -32000,
          message: "Failed To Execute Method",
          specific_err: "port is already taken by 'bob'",
        },
      });
    });
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    const err = await rpc
      .call({ method: "acquire", params: {}, portId: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexRpcError);
    expect(err).toMatchObject({
      method: "acquire",
      code: -32000,
      rpcMessage: "Failed To Execute Method",
      specificErr: "port is already taken by 'bob'",
      portId: 1,
    });
    expect((err as Error).message).toMatch(/on port 1.*taken by 'bob'/);
  });
});

describe("RpcTransport batches", () => {
  it("accepts TRex's bare-object reply to a 1-element batch", async () => {
    stub = await startStub((req) => {
      const [e] = req.json as Array<{ id: unknown }>;
      return JSON.stringify({ id: e.id, jsonrpc: "2.0", result: "bare" });
    });
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    expect(await rpc.batchOk([{ method: "acquire", params: {} }])).toEqual(["bare"]);
    expect(Array.isArray(stub.requests[0].json)).toBe(true);
  });

  it("keeps per-call outcomes: a failed call does not hide the others", async () => {
    stub = await startStub((req) =>
      JSON.stringify(
        (req.json as Array<{ id: unknown; method: string }>).map((e) =>
          e.method === "bad"
            ? {
                id: e.id,
                jsonrpc: "2.0",
                error: { code: -32601, message: "Method bad not registered" },
              }
            : { id: e.id, jsonrpc: "2.0", result: e.method },
        ),
      ),
    );
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    const out = await rpc.batch([
      { method: "a", params: {} },
      { method: "bad", params: {} },
      { method: "c", params: {} },
    ]);
    expect(out.map((o) => o.ok)).toEqual([true, false, true]);
    await expect(
      rpc.batchOk([
        { method: "a", params: {} },
        { method: "bad", params: {} },
      ]),
    ).rejects.toThrow(/not registered/);
  });

  it("splits a batch over the chunk size into several messages, results in order", async () => {
    stub = await startStub(echo);
    rpc = new RpcTransport(stub.url, { timeoutMs: 5000, retries: 0 });
    const blob = "y".repeat(100_000);
    const calls = Array.from({ length: 12 }, (_, n) => ({
      method: "add_stream",
      params: { n, blob },
    }));
    const out = await rpc.batchOk(calls);
    expect(out.map((r) => (r as { n: number }).n)).toEqual(calls.map((_, n) => n));
    expect(stub.requests.length).toBeGreaterThan(1);
    for (const r of stub.requests) expect(r.text.length).toBeLessThan(2 * BATCH_CHUNK_BYTES);
  });
});

describe("RpcTransport timeouts", () => {
  it("reports an unreachable server as TrexConnectionError naming the address", async () => {
    // Bind and close a stub to get a port nobody listens on.
    const gone = await startStub(echo);
    const url = gone.url;
    await gone.close();
    rpc = new RpcTransport(url, { timeoutMs: 150, retries: 3 });
    const err = await rpc.call({ method: "api_sync_v2", params: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexConnectionError);
    expect((err as Error).message).toBe(`no TRex server answering at ${url}`);
  });

  it("recreates the socket after a lost reply and re-sends a read-only request", async () => {
    stub = await startStub((req, i) => (i === 1 ? null : echo(req)));
    rpc = new RpcTransport(stub.url, { timeoutMs: 200, retries: 2 });
    await rpc.call({ method: "ping", params: {} });
    expect(await rpc.call({ method: "get_port_stats", params: { n: 5 } })).toEqual({
      echoed: "get_port_stats",
      n: 5,
    });
    expect(rpc.recreatedSockets).toBe(1);
    expect(stub.requests.length).toBe(3);
    // The new socket works for what follows.
    expect(await rpc.call({ method: "ping", params: {} })).toMatchObject({ echoed: "ping" });
  });

  it("never re-sends a request that changes state; the socket is usable afterwards", async () => {
    stub = await startStub((req, i) => (i === 1 ? null : echo(req)));
    rpc = new RpcTransport(stub.url, { timeoutMs: 200, retries: 2 });
    await rpc.call({ method: "ping", params: {} });
    const err = await rpc.call({ method: "start_traffic", params: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexTimeoutError);
    expect(err).toMatchObject({ method: "start_traffic", timeoutMs: 200, attempts: 1 });
    expect(stub.requests.length).toBe(2);
    expect(await rpc.call({ method: "ping", params: {} })).toMatchObject({ echoed: "ping" });
  });

  it("a late reply to an abandoned request is never taken for the next one", async () => {
    let lateSent = false;
    stub = await startStub(async (req, i) => {
      if (i === 1) {
        await new Promise((r) => setTimeout(r, 250));
        lateSent = true;
      }
      return echo(req);
    });
    rpc = new RpcTransport(stub.url, { timeoutMs: 100, retries: 0 });
    await rpc.call({ method: "ping", params: {} });
    await expect(rpc.call({ method: "get_port_stats", params: { n: 1 } })).rejects.toThrow(
      TrexTimeoutError,
    );
    while (!lateSent) await new Promise((r) => setTimeout(r, 20));
    expect(await rpc.call({ method: "get_port_stats", params: { n: 2 } })).toEqual({
      echoed: "get_port_stats",
      n: 2,
    });
  });

  it("gives up with TrexTimeoutError after the retries", async () => {
    stub = await startStub((req, i) => (i === 0 ? echo(req) : null));
    rpc = new RpcTransport(stub.url, { timeoutMs: 100, retries: 2 });
    await rpc.call({ method: "ping", params: {} });
    const err = await rpc.call({ method: "get_port_stats", params: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexTimeoutError);
    expect(err).toMatchObject({ method: "get_port_stats", attempts: 3 });
    expect(stub.requests.length).toBe(4);
    expect(rpc.recreatedSockets).toBe(3);
  });
});

describe("RpcTransport on a busy server", () => {
  type Env = { id: unknown; method: string; params: Record<string, unknown> };
  const envelopes = (json: unknown): Env[] => (Array.isArray(json) ? json : [json]) as Env[];
  const reply = (json: unknown, answer: (e: Env) => object): string => {
    const out = envelopes(json).map((e) => ({ id: e.id, jsonrpc: "2.0", ...answer(e) }));
    return JSON.stringify(Array.isArray(json) ? out : out[0]) + "\n";
  };
  const tryAgain = { error: { code: -32001, message: "Try again later" } };

  it("asks again after -32001 'try again', only for the calls that were refused", async () => {
    stub = await startStub((req, i) =>
      reply(req.json, (e) =>
        i < 2 && e.method === "get_port_status" ? tryAgain : { result: { method: e.method } },
      ),
    );
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    const outcomes = await rpc.batch([
      { method: "get_port_stats", params: {} },
      { method: "get_port_status", params: {} },
    ]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(stub.requests.length).toBe(3);
    expect(envelopes(stub.requests[2].json).map((e) => e.method)).toEqual(["get_port_status"]);
  });

  it("polls the ticket of -32002 'work in progress' with get_async_results", async () => {
    stub = await startStub((req, i) =>
      reply(req.json, (e) =>
        i === 0
          ? { error: { code: -32002, message: "Work in progress", specific_err: "17" } }
          : { result: { method: e.method, ticket: e.params.ticket_id ?? null } },
      ),
    );
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    const result = await rpc.call({ method: "set_l3", params: { api_h: "h" } });
    expect(result).toEqual({ method: "get_async_results", ticket: 17 });
    expect(envelopes(stub.requests[1].json)[0].params).toEqual({ api_h: "h", ticket_id: 17 });
  });

  it("cancels a task still in progress when it stops waiting, as TRex's client does", async () => {
    const wip = { error: { code: -32002, message: "Work in progress", specific_err: "23" } };
    stub = await startStub((req) =>
      reply(req.json, (e) => (e.method === "cancel_async_task" ? { result: {} } : wip)),
    );
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    const err = await rpc.call({ method: "set_l3", params: { api_h: "h" } }).catch((e) => e);
    expect(err).toMatchObject({ code: -32002 });
    const last = envelopes(stub.requests.at(-1)!.json);
    expect(last.map((e) => [e.method, e.params])).toEqual([
      ["cancel_async_task", { api_h: "h", ticket_id: 23 }],
    ]);
    const methods = stub.requests.flatMap((r) => envelopes(r.json).map((e) => e.method));
    expect(methods.filter((m) => m === "cancel_async_task")).toHaveLength(1);
  }, 10_000);

  it("gives the server's error once it stays busy past the limit", async () => {
    stub = await startStub((req) => reply(req.json, () => tryAgain));
    rpc = new RpcTransport(stub.url, { timeoutMs: 2000, retries: 0 });
    const t0 = performance.now();
    const err = await rpc.call({ method: "get_port_status", params: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexRpcError);
    expect(err).toMatchObject({ code: -32001 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(BUSY_RETRY_LIMIT_MS);
    expect(stub.requests.length).toBeGreaterThan(10);
  }, 10_000);
});
