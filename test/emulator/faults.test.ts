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

  it("reads a YAML faults file and rejects a bad one", () => {
    const dir = mkdtempSync(join(tmpdir(), "faults-"));
    const good = join(dir, "faults.yaml");
    writeFileSync(
      good,
      "- kind: drop-reply\n  nth: 3\n- kind: delay-reply\n  ms: 50\n  method: ping\n- kind: foreign-owner\n  port: 0\n  owner: carol\n",
    );
    expect(loadFaults(good)).toEqual([
      { kind: "drop-reply", nth: 3 },
      { kind: "delay-reply", ms: 50, method: "ping" },
      { kind: "foreign-owner", port: 0, owner: "carol" },
    ]);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ kind: "delay-reply", method: "ping" }]));
    expect(() => loadFaults(bad)).toThrow(/'delay-reply' needs 'ms'/);
    writeFileSync(bad, JSON.stringify([{ kind: "explode" }]));
    expect(() => loadFaults(bad)).toThrow(/kind must be one of/);
  });
});
