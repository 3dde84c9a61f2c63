/** Item 5: every kind of bad request gets TRex's error code and message, never silence. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compressMessage, startEmulator, type RunningEmulator } from "../../src/emulator/index.ts";
import { openSession, parseReply, stream, type Session } from "./helpers.ts";

let emu: RunningEmulator;
let s: Session;

beforeAll(async () => {
  emu = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0 });
  s = await openSession(emu.rpcUrl, { ports: [0] });
});
afterAll(async () => {
  s.peer.close();
  await emu.stop();
});

const err = (code: number, message: string, specific_err?: string) => ({
  code,
  message,
  ...(specific_err === undefined ? {} : { specific_err }),
});

async function raw(text: string | Buffer): Promise<unknown> {
  return parseReply(await s.peer.raw(text));
}

describe("envelope", () => {
  it("malformed JSON", async () => {
    for (const text of ['{"jsonrpc":"2.0",', "", "nonsense", '{"a":tru}', "[1,2"]) {
      expect(await raw(text), text).toEqual({
        error: err(-32700, "Bad JSON Format"),
        id: null,
        jsonrpc: "2.0",
      });
    }
  });

  it("missing id, wrong version, missing or unconvertible method, unknown method", async () => {
    expect(await raw('{"jsonrpc":"2.0","method":"ping","params":{}}')).toEqual({
      error: err(-32600, "Missing 'id' field"),
      id: null,
      jsonrpc: "2.0",
    });
    expect(await raw('{"jsonrpc":"1.0","id":"a","method":"ping","params":{}}')).toEqual({
      error: err(-32600, "Invalid JSONRPC Version"),
      id: "a",
      jsonrpc: "2.0",
    });
    expect(await raw('{"jsonrpc":"2.0","id":2,"params":{}}')).toMatchObject({
      error: err(-32600, "Missing Method Name"),
    });
    expect(await raw('{"jsonrpc":"2.0","id":3,"method":{"x":1}}')).toMatchObject({
      error: err(-32600, "Error in JSON request: Type is not convertible to string"),
    });
    expect(await raw('{"jsonrpc":"2.0","id":4,"method":"make_coffee","params":{}}')).toEqual({
      error: err(-32601, "Method make_coffee not registered"),
      id: 4,
      jsonrpc: "2.0",
    });
    // jsoncpp converts a numeric method name to text
    expect(await raw('{"jsonrpc":"2.0","id":5,"method":17,"params":{}}')).toMatchObject({
      error: err(-32601, "Method 17 not registered"),
    });
  });

  it("batches: in order, a single answer bare, an empty batch null", async () => {
    const both = (await raw(
      JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "ping", params: {} },
        { jsonrpc: "2.0", id: 2, method: "nope", params: {} },
      ]),
    )) as Array<{ id: number; error?: unknown }>;
    expect(both.map((r) => r.id)).toEqual([1, 2]);
    expect(both[1].error).toEqual(err(-32601, "Method nope not registered"));
    expect(
      await raw(JSON.stringify([{ jsonrpc: "2.0", id: 9, method: "ping", params: {} }])),
    ).toMatchObject({ id: 9 });
    expect((await s.peer.raw("[]")).toString()).toBe("null\n");
  });

  it("oversized messages, plain and compressed", async () => {
    const big = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "ping",
      params: { pad: "x".repeat(1_000_000) },
    });
    const size = Buffer.byteLength(big);
    const tooLarge = {
      error: err(
        -32603,
        `Request is too large (${size} bytes). Consider splitting to smaller chunks.`,
      ),
      id: null,
      jsonrpc: "2.0",
    };
    expect(await raw(big)).toEqual(tooLarge);
    const zipped = await s.peer.raw(compressMessage(Buffer.from(big)));
    expect(zipped.readUInt32BE(0)).toBe(0xabe85cea); // the inflated request was too large
    expect(parseReply(zipped)).toEqual(tooLarge);
  });
});

describe("parameters", () => {
  it("api_h missing, wrong, params missing or not an object", async () => {
    expect((await s.peer.call("get_port_status", { port_id: 0 })).error).toEqual(
      err(-32602, "Bad parameters for method", "field 'api_h' value is null"),
    );
    expect((await s.peer.call("get_port_status", { port_id: 0, api_h: "wrong" })).error).toEqual(
      err(
        -32000,
        "Failed To Execute Method",
        "API verification failed - API handler provided mismatch for class: 'common'",
      ),
    );
    expect((await s.peer.call("acquire", { api_h: "wrong" })).error?.specific_err).toBe(
      "API verification failed - API handler provided mismatch for class: 'STL'",
    );
    expect(await raw('{"jsonrpc":"2.0","id":1,"method":"get_system_info"}')).toMatchObject({
      error: err(-32602, "Bad parameters for method", "field 'api_h' is missing"),
    });
    expect(await raw('{"jsonrpc":"2.0","id":1,"method":"ping"}')).toMatchObject({
      error: err(
        -32000,
        "Failed To Execute Method",
        "JSON-RPC2 params should be object in TRex case ",
      ),
    });
    expect(
      await raw('{"jsonrpc":"2.0","id":1,"method":"get_system_info","params":[1]}'),
    ).toMatchObject({
      error: err(-32602, "Bad parameters for method", "parent field 'api_h' is missing"),
    });
  });

  it("wrong types name the byte offset of the value, ranges and choices their limit", async () => {
    const text = `{"jsonrpc":"2.0","id":1,"method":"get_port_stats","params":{"api_h":"${s.apiH}","port_id":"0"}}`;
    const offset = text.indexOf('"0"');
    expect(await raw(text)).toMatchObject({
      error: err(
        -32602,
        "Bad parameters for method",
        `error at offset: ${offset} - 'port_id' is 'string', expecting 'byte'`,
      ),
    });
    expect((await s.call("get_port_stats", { port_id: 300 })).error?.specific_err).toMatch(
      /^error at offset: \d+ - 'port_id' has size bigger than uint8\.$/,
    );
    expect((await s.call("get_port_stats", { port_id: 1.5 })).error?.specific_err).toMatch(
      /'port_id' is 'double', expecting 'byte'$/,
    );
    expect(
      (await s.call("acquire", { port_id: 1, user: "x", force: 1, session_id: 1 })).error
        ?.specific_err,
    ).toMatch(/'force' is 'int', expecting 'bool'$/);
    expect(
      (await s.call("acquire", { port_id: 1, user: "x", force: false, session_id: 5e9 })).error
        ?.specific_err,
    ).toMatch(/'session_id' has size bigger than uint32\.$/);
    expect((await s.call("get_port_stats", { port_id: 5 })).error).toEqual(
      err(-32000, "Failed To Execute Method", "invalid port id - should be: 0 1"),
    );
    expect((await s.call("get_port_status", { port_id: 0, profile_id: { a: 1 } })).error).toEqual(
      err(-32700, "Json Error", "Type is not convertible to string"),
    );
    expect((await s.call("capture", { command: "dance" })).error?.specific_err).toBe(
      "field 'command' can only be one of ['start' ,'stop' ,'fetch' ,'status' ,'remove']",
    );
  });

  it("start_traffic: missing duration, relative or zero multiplier, wrong state", async () => {
    const start = (extra: Record<string, unknown>) =>
      s.call("start_traffic", {
        port_id: 0,
        handler: s.handlers[0],
        duration: 1,
        force: false,
        mul: { type: "pps", op: "abs", value: 10 },
        ...extra,
      });
    expect((await start({ duration: null })).error?.specific_err).toBe(
      "field 'duration' value is null",
    );
    expect((await start({ mul: { type: "pps", op: "add", value: 10 } })).error?.specific_err).toBe(
      "start message can only specify absolute speed rate",
    );
    expect((await start({ mul: { type: "pps", op: "abs", value: 0 } })).error?.specific_err).toBe(
      "multiplier can't be zero",
    );
    expect((await start({})).error?.specific_err).toBe(
      "command 'start' cannot be executed on current state: 'IDLE on profile_id(_).",
    );
  });
});

describe("streams", () => {
  const add = (streamObj: Record<string, unknown>, id = 1) =>
    s.call("add_stream", { port_id: 0, handler: s.handlers[0], stream_id: id, stream: streamObj });

  it("bad base64, packets too short or over the size limit", async () => {
    expect((await add(stream({ binary: "%%%%" }))).error).toEqual(
      err(
        -32000,
        "Failed To Execute Method",
        "Bad packet binary: invalid base64 at character 1 of 4",
      ),
    );
    expect(
      (await add(stream({ binary: Buffer.alloc(10).toString("base64") }))).error?.specific_err,
    ).toBe("Bad packet size provided: 10. Should be between 14 and 9238");
    expect(
      (await add(stream({ binary: Buffer.alloc(9239).toString("base64") }))).error?.specific_err,
    ).toBe("Bad packet size provided: 9239. Should be between 14 and 9238");
    expect(
      (await add(stream({ binary: Buffer.alloc(9238).toString("base64") }))).error,
    ).toBeUndefined();
    await s.onPort(0, "remove_all_streams");
  });

  it("stream fields in TRex's order", async () => {
    const base = stream({});
    expect(
      (await add({ ...base, mode: { type: "zigzag", rate: { type: "pps", value: 1 } } })).error
        ?.specific_err,
    ).toBe("bad stream type provided: 'zigzag'");
    expect(
      (
        await add({
          ...base,
          mode: { type: "single_burst", total_pkts: 0, rate: { type: "pps", value: 1 } },
        })
      ).error?.specific_err,
    ).toBe("single_burst: 'total_pkts' cannot be zero.");
    expect(
      (await add({ ...base, mode: { type: "continuous", rate: { type: "pps", value: -1 } } })).error
        ?.specific_err,
    ).toMatch(/'value' has negative value\.$/);
    const { packet: _p, ...noPacket } = base;
    expect((await add(noPacket)).error?.specific_err).toBe("field 'packet' value is null");
    expect(
      (await add({ ...base, packet: { binary: (base.packet as { binary: string }).binary } })).error
        ?.specific_err,
    ).toBe("field 'meta' value is null");
    expect(
      (await add({ ...base, vm: { instructions: [{ type: "flow_var", name: "a", size: 3 }] } }))
        .error?.specific_err,
    ).toBe("field 'size' can only be one of ['1' ,'2' ,'4' ,'8']");
    expect(
      (
        await add({
          ...base,
          vm: {
            instructions: [
              {
                type: "flow_var",
                name: "a",
                size: 1,
                op: "inc",
                step: 1,
                init_value: 5,
                min_value: 10,
                max_value: 20,
              },
            ],
          },
        })
      ).error?.specific_err,
    ).toBe(
      "VM: requested flow var init value: '5' should be in range from min value '10' to max value '20'",
    );
    expect((await add({ ...base, vm: { instructions: [7] } })).error?.specific_err).toMatch(
      /'array element: 1 ' is 'int', expecting 'object'$/,
    );
    expect(emu.portState(0).state).toBe("IDLE");
  });
});
