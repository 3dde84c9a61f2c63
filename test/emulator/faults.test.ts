/** Item 6: deliberate misbehaviour, from the library option and from a faults file. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFaults, startEmulator, type FaultSpec } from "../../src/emulator/index.ts";
import { openSession, RpcPeer, stream } from "./helpers.ts";

async function withEmulator(
  faults: FaultSpec[],
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const emu = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0, faults });
  try {
    await fn(emu.rpcUrl);
  } finally {
    await emu.stop();
  }
}

describe("faults", () => {
  it("drops the reply to the Nth request and still serves the next one", async () => {
    await withEmulator([{ kind: "drop-reply", nth: 2 }], async (url) => {
      const peer = new RpcPeer(url, 300);
      try {
        expect((await peer.call("ping")).result).toHaveProperty("ts");
        await expect(peer.call("ping")).rejects.toThrow();
        peer.reopen();
        expect((await peer.call("ping")).result).toHaveProperty("ts");
      } finally {
        peer.close();
      }
    });
  });

  it("drops the reply to a named method once", async () => {
    await withEmulator([{ kind: "drop-reply", method: "get_version" }], async (url) => {
      const peer = new RpcPeer(url, 300);
      try {
        expect((await peer.call("ping")).result).toBeDefined();
        await expect(peer.call("get_version")).rejects.toThrow();
        peer.reopen();
        expect((await peer.call("get_version")).result).toMatchObject({ mode: "STL" });
      } finally {
        peer.close();
      }
    });
  });

  it("delays a reply without holding up other clients", async () => {
    await withEmulator([{ kind: "delay-reply", ms: 400, method: "get_version" }], async (url) => {
      const slow = new RpcPeer(url);
      const fast = new RpcPeer(url);
      try {
        const order: string[] = [];
        const slowDone = slow.call("get_version").then((r) => {
          order.push("slow");
          return r;
        });
        await new Promise((r) => setTimeout(r, 50));
        await fast.call("ping").then(() => order.push("fast"));
        expect((await slowDone).result).toMatchObject({ mode: "STL" });
        expect(order).toEqual(["fast", "slow"]);
      } finally {
        slow.close();
        fast.close();
      }
    });
  });

  it("answers a named method with an error", async () => {
    await withEmulator(
      [{ kind: "error", method: "get_port_stats", code: -32603, message: "disk on fire" }],
      async (url) => {
        const s = await openSession(url);
        try {
          expect((await s.call("get_port_stats", { port_id: 0 })).error).toEqual({
            code: -32603,
            message: "disk on fire",
          });
          expect((await s.call("get_port_stats", { port_id: 0 })).error).toBeDefined();
          expect((await s.call("get_port_status", { port_id: 0 })).error).toBeUndefined();
        } finally {
          s.peer.close();
        }
      },
    );
  });

  it("reports a port owned by another user", async () => {
    const emu = await startEmulator({
      rpcPort: 0,
      asyncPort: 0,
      faults: [{ kind: "foreign-owner", port: 1, owner: "alice" }],
    });
    try {
      expect(emu.portState(1).owner).toBe("alice");
      const s = await openSession(emu.rpcUrl);
      const r = await s.call("acquire", { port_id: 1, user: "bob", force: false, session_id: 3 });
      expect(r.error?.specific_err).toBe("port is already taken by 'alice'");
      s.peer.close();
    } finally {
      await emu.stop();
    }
  });

  it("stops the server mid-trial after start_traffic", async () => {
    await withEmulator([{ kind: "exit", afterMs: 0 }], async (url) => {
      const s = await openSession(url, { ports: [0] });
      try {
        await s.onPort(0, "add_stream", { stream_id: 1, stream: stream({}) });
        const started = await s.onPort(0, "start_traffic", {
          duration: 10,
          force: false,
          mul: { type: "pps", op: "abs", value: 1000 },
        });
        expect(started).toHaveProperty("multiplier", 1000);
        const after = new RpcPeer(url, 300);
        await expect(after.call("ping")).rejects.toThrow();
        after.close();
      } finally {
        s.peer.close();
      }
    });
  });

  it("takes a link down: speed 0, start refused without force, nothing received with it", async () => {
    await withEmulator([{ kind: "link-down", port: 0 }], async (url) => {
      const s = await openSession(url, { ports: [0, 1] });
      try {
        const status = await s.ok<{ attr: { speed: number; link: { up: boolean } } }>(
          "get_port_status",
          { port_id: 0 },
        );
        expect(status.attr).toMatchObject({ speed: 0, link: { up: false } });
        const other = await s.ok<{ attr: { speed: number } }>("get_port_status", { port_id: 1 });
        expect(other.attr.speed).toBe(10);
        await s.onPort(0, "add_stream", { stream_id: 1, stream: stream({}) });
        const start = { duration: 1, mul: { type: "pps", op: "abs", value: 1000 } };
        const refused = await s.call("start_traffic", {
          ...start,
          port_id: 0,
          handler: s.handlers[0],
          force: false,
        });
        expect(refused.error).toEqual({
          code: -32000,
          message: "Failed To Execute Method",
          specific_err: "Link state is DOWN.",
        });
        await s.onPort(0, "start_traffic", { ...start, force: true });
        const tx = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
        const rx = await s.ok<{ ipackets: number }>("get_port_stats", { port_id: 1 });
        expect(tx.opackets).toBe(1000);
        expect(rx.ipackets).toBe(0);
      } finally {
        s.peer.close();
      }
    });
  });

  it("leaves a port unresolved in L3 mode: status shows it, start refused unless every stream has its own dest MAC", async () => {
    await withEmulator([{ kind: "unresolved", port: 0 }], async (url) => {
      const s = await openSession(url, { ports: [0, 1] });
      try {
        type Status = { attr: { layer_cfg: unknown }; rx_info: { grat_arp: unknown } };
        const status = await s.ok<Status>("get_port_status", { port_id: 0 });
        expect(status.attr.layer_cfg).toEqual({
          ether: { src: "00:00:00:01:00:00", dst: "00:00:00:00:00:00", state: "unconfigured" },
          ipv4: { src: "10.0.0.2", dst: "10.0.0.1", state: "unresolved" },
          ipv6: { enabled: false },
        });
        expect(status.rx_info.grat_arp).toEqual({ is_active: false });
        const other = await s.ok<Status>("get_port_status", { port_id: 1 });
        expect(other.attr.layer_cfg).toMatchObject({
          ether: { state: "configured" },
          ipv4: { state: "none" },
        });
        // flags bits 2..1: the dest MAC mode, 1 = from the packet; bit 3: a null stream.
        const add = (profile_id: string, stream_id: number, flags: number, enabled = true) =>
          s.onPort(0, "add_stream", {
            profile_id,
            stream_id,
            stream: { ...stream({}), flags, enabled },
          });
        const start = (profile_id: string, force = false) =>
          s.call("start_traffic", {
            port_id: 0,
            handler: s.handlers[0],
            profile_id,
            duration: 1,
            force,
            mul: { type: "pps", op: "abs", value: 1000 },
          });
        const refusal = {
          code: -32000,
          message: "Failed To Execute Method",
          specific_err:
            "Port 0 dest MAC is invalid and there are streams without explicit dest MAC.",
        };
        await add("cfg", 1, 0);
        expect((await start("cfg")).error).toEqual(refusal);
        await add("arp", 1, 4); // dest MAC mode 2 (ARP) is not explicit either
        expect((await start("arp")).error).toEqual(refusal);
        await add("mixed", 1, 0, false); // a disabled stream still counts, as in TRex
        await add("mixed", 2, 2);
        expect((await start("mixed")).error).toEqual(refusal);
        await add("null", 1, 8);
        expect((await start("null")).error).toBeUndefined();
        await add("pkt", 1, 2);
        await add("pkt", 2, 3); // bit 0 (source MAC from the packet) changes nothing
        expect((await start("pkt")).error).toBeUndefined();
        const counts = async () => ({
          tx: (await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 })).opackets,
          rx: (await s.ok<{ ipackets: number }>("get_port_stats", { port_id: 1 })).ipackets,
        });
        // Explicit dest MACs reach the DUT: all 1000 packets of 'pkt' were received.
        const before = await counts();
        expect(before.rx).toBe(1000);
        // Forced, the frames of a stream without one are sent and go nowhere.
        expect((await start("cfg", true)).error).toBeUndefined();
        const after = await counts();
        expect(after.tx - before.tx).toBe(1000);
        expect(after.rx).toBe(before.rx);
      } finally {
        s.peer.close();
      }
    });
  });

  it("hw-flow-stats: service mode and flow-stats streams refuse each other; without it both work, as on af_packet", async () => {
    const latency = stream({
      frameSize: 128,
      flowStats: { enabled: true, stream_id: 7, rule_type: "latency" },
    });
    const session = async (url: string) => {
      const s = await openSession(url, { ports: [0, 1] });
      await s.onPort(0, "add_stream", { stream_id: 1, stream: latency });
      await s.onPort(0, "add_stream", { profile_id: "plain", stream_id: 1, stream: stream({}) });
      const start = (profile_id: string, duration = 1) =>
        s.call("start_traffic", {
          port_id: 0,
          handler: s.handlers[0],
          profile_id,
          duration,
          force: false,
          mul: { type: "pps", op: "abs", value: 1000 },
        });
      const service = (port: number, enabled: boolean, filtered = false) =>
        s.call("service", { port_id: port, handler: s.handlers[port], enabled, filtered });
      return { s, start, service };
    };
    await withEmulator([], async (url) => {
      const { s, start, service } = await session(url);
      try {
        expect((await service(1, true)).error).toBeUndefined();
        expect((await start("_")).error).toBeUndefined();
        expect((await service(0, true, true)).error).toBeUndefined();
      } finally {
        s.peer.close();
      }
    });
    await withEmulator([{ kind: "hw-flow-stats" }], async (url) => {
      const { s, start, service } = await session(url);
      const execErr = (specific_err: string) => ({
        code: -32000,
        message: "Failed To Execute Method",
        specific_err,
      });
      try {
        expect((await service(1, true)).error).toBeUndefined();
        // Any port in service mode stops a profile with flow stats; one without starts.
        expect((await start("_")).error).toEqual(
          execErr(
            "Port 1 is under service mode, can't use flow_stats. (see https://trex-tgn.cisco.com/youtrack/issue/trex-545)",
          ),
        );
        expect((await start("plain")).error).toBeUndefined();
        expect((await service(1, false)).error).toBeUndefined();
        expect((await start("_", -1)).error).toBeUndefined();
        expect((await service(1, true)).error).toEqual(
          execErr(
            "port 0 is using flow_stats. (see https://trex-tgn.cisco.com/youtrack/issue/trex-545)",
          ),
        );
        expect((await service(1, false, true)).error).toEqual(
          execErr("TRex must be at --software mode for filtered service!"),
        );
        await s.onPort(0, "stop_traffic", { profile_id: "_" });
        expect((await service(1, true)).error).toBeUndefined();
      } finally {
        s.peer.close();
      }
    });
  });

  it("answers calls nth.. of a method 'Try again later' (-32001) without running them", async () => {
    await withEmulator(
      [{ kind: "try-again", method: "get_port_status", nth: 2, times: 2 }],
      async (url) => {
        const s = await openSession(url);
        try {
          const replies = [];
          for (let i = 0; i < 4; i++) replies.push(await s.call("get_port_status", { port_id: 0 }));
          expect(replies.map((r) => r.error?.code)).toEqual([undefined, -32001, -32001, undefined]);
          expect(replies[1].error).toEqual({ code: -32001, message: "Try again later" });
        } finally {
          s.peer.close();
        }
      },
    );
  });

  it("answers 'Work in progress' (-32002) with a ticket that get_async_results redeems", async () => {
    await withEmulator([{ kind: "work-in-progress", method: "service", polls: 1 }], async (url) => {
      const s = await openSession(url, { ports: [0] });
      try {
        const wip = await s.call("service", {
          port_id: 0,
          handler: s.handlers[0],
          enabled: true,
        });
        expect(wip.error).toMatchObject({ code: -32002, message: "Work in progress" });
        const ticketId = Number(wip.error?.specific_err);
        expect(Number.isInteger(ticketId)).toBe(true);
        const again = await s.call("get_async_results", { ticket_id: ticketId });
        expect(again.error).toMatchObject({ code: -32002, specific_err: String(ticketId) });
        expect(await s.ok("get_async_results", { ticket_id: ticketId })).toEqual({});
        const status = await s.ok<{ service: boolean }>("get_port_status", { port_id: 0 });
        expect(status.service).toBe(true);
        const gone = await s.call("get_async_results", { ticket_id: ticketId });
        expect(gone.error).toEqual({ code: -32003, message: "No results for request" });
        // Only once by default: the next call is answered at once.
        expect(await s.onPort(0, "service", { enabled: false })).toEqual({});
      } finally {
        s.peer.close();
      }
    });
  });

  it("reads a YAML faults file and rejects a bad one", () => {
    const dir = mkdtempSync(join(tmpdir(), "faults-"));
    const good = join(dir, "faults.yaml");
    writeFileSync(
      good,
      "- kind: drop-reply\n  nth: 3\n- kind: delay-reply\n  ms: 50\n  method: ping\n- kind: foreign-owner\n  port: 0\n  owner: carol\n" +
        "- kind: link-down\n  port: 1\n- kind: try-again\n  method: get_port_status\n  times: 3\n" +
        "- kind: work-in-progress\n  method: service\n  polls: 2\n- kind: unresolved\n  port: 0\n" +
        "- kind: hw-flow-stats\n",
    );
    expect(loadFaults(good)).toEqual([
      { kind: "drop-reply", nth: 3 },
      { kind: "delay-reply", ms: 50, method: "ping" },
      { kind: "foreign-owner", port: 0, owner: "carol" },
      { kind: "link-down", port: 1 },
      { kind: "try-again", method: "get_port_status", times: 3 },
      { kind: "work-in-progress", method: "service", polls: 2 },
      { kind: "unresolved", port: 0 },
      { kind: "hw-flow-stats" },
    ]);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ kind: "delay-reply", method: "ping" }]));
    expect(() => loadFaults(bad)).toThrow(/'delay-reply' needs 'ms'/);
    writeFileSync(bad, JSON.stringify([{ kind: "explode" }]));
    expect(() => loadFaults(bad)).toThrow(/kind must be one of/);
    writeFileSync(bad, JSON.stringify([{ kind: "unresolved" }]));
    expect(() => loadFaults(bad)).toThrow(/'unresolved' needs 'port'/);
    writeFileSync(bad, JSON.stringify([{ kind: "hw-flow-stats", port: 0 }]));
    expect(() => loadFaults(bad)).toThrow(/unknown key 'port' for 'hw-flow-stats'/);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (const [prev, name] of ["ab", "bc", "cd", "de", "ef", "fg"]) {
      bomb.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const bombFile = join(dir, "bomb.yaml");
    writeFileSync(bombFile, bomb.join("\n") + "\n");
    expect(() => loadFaults(bombFile)).toThrow(new RegExp(`^${bombFile}: Excessive alias count`));
    expect(() => loadFaults(join(dir, "missing.yaml"))).toThrow(
      `${join(dir, "missing.yaml")}: cannot read (ENOENT)`,
    );
  });
});
