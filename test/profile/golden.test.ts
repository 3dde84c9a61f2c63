import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FrameTooSmallError } from "../../src/packet/index.ts";
import { loadProfile, resolveStreams, type ResolvedStream } from "../../src/profile/index.ts";
import { VmRunner } from "../../src/vm/index.ts";

interface Entry {
  streams: number;
  lengths: number[];
  sha256: string;
  head: string;
  fields?: Record<string, [number, number]>;
  vm?: { heads: string[]; sha256: string };
  frameSizes?: number[];
  rateShares?: number[];
}

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/scapy/profiles.json", import.meta.url), "utf8"),
) as {
  scapy: string;
  sizes: number[];
  vmPackets: number;
  profiles: Record<string, Record<string, Entry | "too small">>;
};

const profilesDir = fileURLToPath(new URL("../../profiles/", import.meta.url));
const ctx = (frameSize: number) => ({
  frameSize,
  encapOverhead: 0,
  portId: 0,
  direction: "forward" as const,
});
// One load per profile (its code runs in a worker thread), for the fixture's sweep on port 0.
const loads = new Map<string, ReturnType<typeof loadProfile>>();
function load(name: string): ReturnType<typeof loadProfile> {
  let loaded = loads.get(name);
  if (!loaded) {
    loaded = loadProfile(`${profilesDir}${name}.ts`, {
      frameSizes: fixture.sizes,
      ports: [{ portId: 0, direction: "forward" }],
    });
    loads.set(name, loaded);
  }
  return loaded;
}
const sha256 = (bufs: Buffer[]) => createHash("sha256").update(Buffer.concat(bufs)).digest("hex");

function checkStreams(streams: ResolvedStream[], e: Entry): void {
  expect(streams).toHaveLength(e.streams);
  const lengths = streams.map((s) => s.packet.length);
  if (e.lengths.length === 1) expect(new Set(lengths)).toEqual(new Set(e.lengths));
  else expect(lengths).toEqual(e.lengths);
  expect(streams[0].packet.subarray(0, 160).toString("hex")).toBe(e.head);
  expect(sha256(streams.map((s) => s.packet))).toBe(e.sha256);
}

describe("shipped profiles equal what Scapy builds from the original Python profiles", () => {
  it("the fixture is Scapy 2.5's, with the original sweep, and covers every shipped profile", () => {
    expect(fixture.scapy).toMatch(/^2\.5/);
    expect(fixture.sizes).toEqual([64, 128, 256, 512, 1024, 1280, 1518, 2048, 4096, 8192, 9216]);
    const shipped = readdirSync(profilesDir)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.slice(0, -3))
      .sort();
    expect(shipped).toEqual(Object.keys(fixture.profiles).sort());
    expect(shipped).toHaveLength(13);
  });

  for (const [name, perSize] of Object.entries(fixture.profiles)) {
    describe(name, () => {
      it("loads, with a one-line description", async () => {
        const loaded = await load(name);
        expect(loaded.name).toBe(name);
        expect(loaded.description.length).toBeGreaterThan(10);
        expect(loaded.description).not.toMatch(/\n/);
      });

      for (const [size, e] of Object.entries(perSize)) {
        if (e === "too small") {
          it(`${size} B is N/A: FrameTooSmallError naming the size`, async () => {
            const { profile } = await load(name);
            let caught: unknown;
            try {
              resolveStreams(profile, ctx(Number(size)));
            } catch (err) {
              caught = err;
            }
            expect(caught).toBeInstanceOf(FrameTooSmallError);
            expect((caught as Error).message).toContain(`frame size ${size} B`);
          });
          continue;
        }
        it(`${size === "mix" ? "the mix" : `${size} B`}: byte-identical streams`, async () => {
          const { profile } = await load(name);
          // A mix ignores the run's frame size: any size gives the same streams.
          const streams = resolveStreams(profile, ctx(size === "mix" ? 1024 : Number(size)));
          checkStreams(streams, e);
          if (e.frameSizes) {
            expect(streams.map((s) => s.frameSize)).toEqual(e.frameSizes);
            expect(streams.map((s) => s.rateShare)).toEqual(e.rateShares);
          } else {
            for (const s of streams) expect(s.frameSize).toBe(Number(size));
          }
        });
        if (e.vm && e.fields) {
          const { vm, fields } = e;
          it(`${size} B: field-engine writes land on Scapy's offsets; first packets match`, async () => {
            const { profile } = await load(name);
            const [stream] = resolveStreams(profile, ctx(Number(size)));
            const ins = stream.vm!.instructions;
            const writes = ins.filter((i) => i.type === "write_flow_var");
            const wanted = Object.entries(fields).filter(([ref]) => ref.includes("."));
            expect(writes.map((w) => [w.pkt_offset, w.name === "src_port" ? 2 : 4])).toEqual(
              wanted.map(([, at]) => at),
            );
            const fix = ins.find((i) => i.type === "fix_checksum_ipv4");
            expect(fix?.pkt_offset).toBe(fields.IP[0]);
            expect(stream.randomSeed).toBe(0x1234);
            const runner = new VmRunner(stream.vm!, stream.packet, { seed: stream.randomSeed });
            const packets = Array.from({ length: fixture.vmPackets }, () => runner.next());
            expect(packets.map((p) => p.subarray(0, 160).toString("hex"))).toEqual(vm.heads);
            expect(sha256(packets)).toBe(vm.sha256);
          });
        }
      }
    });
  }
});
