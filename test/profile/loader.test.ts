import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FrameTooSmallError } from "../../src/packet/index.ts";
import {
  loadProfile,
  ProfileError,
  ProfileInterruptedError,
  resolveStreams,
  runPlan,
  StreamFrameTooSmallError,
} from "../../src/profile/index.ts";

// Profiles live outside the project, as a user's would.
const dir = mkdtempSync(join(tmpdir(), "autotrex-profiles-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function write(source: string, name = `p${n++}`, ext = ".ts"): string {
  const file = join(dir, `${name}${ext}`);
  writeFileSync(file, source);
  return file;
}
const ctx = { frameSize: 64, encapOverhead: 0, portId: 0, direction: "forward" as const };

async function loadError(file: string): Promise<ProfileError> {
  const err = await loadProfile(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProfileError);
  return err as ProfileError;
}

describe("loadProfile", () => {
  it('loads a TypeScript profile from outside the project that imports "autotrex" and a local helper', async () => {
    write(`export const dport = 4242;\n`, "helper");
    const file = write(
      [
        `import { defineProfile, Ether, IP, packet, UDP, fieldEngine, flowVar, writeVar } from "autotrex";`,
        `import { dport } from "./helper.ts";`,
        `export default defineProfile({`,
        `  description: "outside profile",`,
        `  streams: ({ portId, direction }) => [{`,
        `    name: "s" + portId + direction,`,
        `    packet: packet(Ether(), IP({ src: "1.1.1.1", dst: "2.2.2.2" }), UDP({ dport })),`,
        `    fieldEngine: fieldEngine([flowVar({ name: "v", size: 2, min: 1, max: 9 }), writeVar({ name: "v", offset: "UDP.sport" })]),`,
        `    mode: { type: "multi_burst", packetsPerBurst: 10, ibgUs: 5, count: 3 },`,
        `    rateShare: 3, isgUs: 7, randomSeed: 5, flowStats: { pgId: 9, latency: true },`,
        `  }],`,
        `});`,
      ].join("\n"),
      "outside",
    );
    const loaded = await loadProfile(file, {
      frameSizes: [128],
      encapOverhead: 8,
      ports: [{ portId: 1, direction: "reverse" }],
    });
    expect(loaded).toMatchObject({ name: "outside", description: "outside profile", path: file });
    const [s] = resolveStreams(loaded.profile, {
      ...ctx,
      frameSize: 128,
      encapOverhead: 8,
      portId: 1,
      direction: "reverse",
    });
    expect(s).toMatchObject({
      name: "s1reverse",
      frameSize: 128,
      mode: { type: "multi_burst", packetsPerBurst: 10, ibgUs: 5, count: 3 },
      rateShare: 3,
      isgUs: 7,
      randomSeed: 5,
      flowStats: { pgId: 9, latency: true },
    });
    expect(s.packet.length).toBe(128 - 4 - 8);
    expect(s.packet.readUInt16BE(36)).toBe(4242);
    expect(s.vm?.instructions[1]).toEqual({
      type: "write_flow_var",
      name: "v",
      pkt_offset: 34,
      add_value: 0,
      is_big_endian: true,
    });
  });

  it("loads a plain .js profile (an object without defineProfile) and fills defaults", async () => {
    const file = write(
      `import { Ether, Raw, packet } from "autotrex";\nexport default { description: "js", streams: () => [{ packet: packet(Ether(), Raw("ab")) }] };\n`,
      "plain",
      ".mjs",
    );
    const { profile } = await loadProfile(file);
    const [s] = resolveStreams(profile, ctx);
    expect(s).toMatchObject({
      name: "stream0",
      frameSize: 64,
      mode: { type: "continuous" },
      rateShare: 1,
      isgUs: 0,
    });
    expect(s.packet.length).toBe(60);
    expect(s.packet.subarray(14, 18).toString()).toBe("abxx");
  });

  it("a syntax error names the file and line", async () => {
    const file = write(
      `import { defineProfile } from "autotrex";\n\nexport default defineProfile({\n  description: "x",\n  streams: () => [{ name: "a" packet: 1 }],\n});\n`,
    );
    const err = await loadError(file);
    expect(err.file).toBe(file);
    expect(err.line).toBe(5);
    expect(err.message).toContain(`${file}:5`);
  });

  it("an exception at import names the file and line", async () => {
    const file = write(`const a = 1;\n\nthrow new Error("broken " + a);\n`);
    const err = await loadError(file);
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/broken 1/);
  });

  it("an exception in streams() names the file and line", async () => {
    const file = write(
      `import { defineProfile } from "autotrex";\nexport default defineProfile({\n  description: "x",\n  streams: () => {\n    throw new RangeError("no streams for you");\n  },\n});\n`,
    );
    const { profile } = await loadProfile(file);
    let err: unknown;
    try {
      resolveStreams(profile, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProfileError);
    expect((err as ProfileError).message).toContain(`${file}:5`);
    expect((err as ProfileError).message).toContain("no streams for you");
  });

  it("no default export, not a profile, missing file, wrong extension", async () => {
    expect((await loadError(write(`export const x = 1;\n`))).message).toMatch(/no default export/);
    expect((await loadError(write(`export default 42;\n`))).message).toMatch(/not a profile/);
    expect((await loadError(write(`export default { streams: () => [] };\n`))).message).toMatch(
      /description/,
    );
    expect((await loadError(join(dir, "missing.ts"))).message).toMatch(/no such profile file/);
    expect((await loadError(write(`{}`, "data", ".json"))).message).toMatch(/\.ts or \.js/);
  });

  it("bad streams are ProfileErrors naming the stream", async () => {
    const bad = [
      [`[]`, /non-empty list/],
      [`[{ packet: 1 }]`, /stream 0: packet must be built/],
      [`[{ name: "z", packet: packet(Ether()), rateShare: 0 }]`, /stream 0 \("z"\): rateShare/],
      [`[{ packet: packet(Ether()), mode: { type: "single_burst", packets: 0 } }]`, /mode.packets/],
      [`[{ packet: packet(Ether()), frameSize: 10 }]`, /frame size 10/],
      [
        `[{ packet: packet(Ether(), IP(), UDP()), fieldEngine: fieldEngine([flowVar({ name: "v" }), writeVar({ name: "v", offset: "TCP.dport" })]) }]`,
        /field engine:.*TCP/,
      ],
    ] as const;
    for (const [streams, re] of bad) {
      const file = write(
        `import { defineProfile, packet, Ether, IP, UDP, fieldEngine, flowVar, writeVar } from "autotrex";\nexport default defineProfile({ description: "x", streams: () => ${streams} });\n`,
      );
      const { profile } = await loadProfile(file);
      expect(() => resolveStreams(profile, ctx)).toThrow(re);
    }
  });
});

describe("padding to the frame size", () => {
  it("fills exactly frameSize - 4 - encapOverhead; an empty payload is fine; one byte short is too small", async () => {
    // Ether 14 + IPv4 20 + UDP 8 = 42 header bytes.
    const file = write(
      `import { defineProfile, packet, Ether, IP, UDP } from "autotrex";\nexport default defineProfile({ description: "x", streams: () => [{ name: "u", packet: packet(Ether(), IP(), UDP()) }] });\n`,
    );
    const fits = await loadProfile(file, { frameSizes: [64], encapOverhead: 18 });
    expect(
      resolveStreams(fits.profile, { ...ctx, frameSize: 64, encapOverhead: 18 })[0].packet.length,
    ).toBe(42);
    const { profile } = await loadProfile(file, { frameSizes: [64], encapOverhead: 19 });
    let err: unknown;
    try {
      resolveStreams(profile, { ...ctx, frameSize: 64, encapOverhead: 19 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameTooSmallError);
    expect(err).toBeInstanceOf(StreamFrameTooSmallError);
    expect(err).toMatchObject({
      frameSize: 64,
      encapOverhead: 19,
      stream: "u",
      headerBytes: 42,
      availableBytes: 41,
    });
    expect((err as Error).message).toMatch(/frame size 64 B is too small for stream "u"/);
  });

  it("sizes too small for the shipped IPv6 and SRv6 profiles are FrameTooSmallError (N/A)", async () => {
    const cases: [string, number[], number][] = [
      ["tcp_1pkt_ip6", [64], 128],
      ["tcp_1pkt_254flow_ip6", [64], 128],
      ["srv6_1pkt", [64], 128],
      ["srv6_1pkt_254flow", [64], 128],
      ["srv6_1pkt_254label", [64], 128],
      ["srv6_1pkt_254innerflow", [64], 128],
      ["srv6_1pkt_ip6", [64, 128], 256],
      ["srv6_1pkt_254flow_ip6", [64, 128], 256],
    ];
    for (const [name, tooSmall, fits] of cases) {
      const { profile } = await loadProfile(
        new URL(`../../profiles/${name}.ts`, import.meta.url).pathname,
        { frameSizes: [...tooSmall, fits] },
      );
      for (const frameSize of tooSmall)
        expect(
          () => resolveStreams(profile, { ...ctx, frameSize }),
          `${name} ${frameSize}`,
        ).toThrow(FrameTooSmallError);
      expect(resolveStreams(profile, { ...ctx, frameSize: fits })[0].packet.length).toBe(fits - 4);
    }
  });
});

describe("a profile runs where it cannot block the caller", () => {
  const stuckAtImport = () => write(`while (true) {}\nexport default {};\n`);
  const stuckInStreams = () =>
    write(
      `import { defineProfile } from "autotrex";\nexport default defineProfile({ description: "x", streams: () => { for (;;) {} } });\n`,
    );

  it("a profile looping at import is ended by the time limit, naming the file and where", async () => {
    const file = stuckAtImport();
    const started = Date.now();
    const err = await loadProfile(file, { timeoutS: 1.5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProfileError);
    expect((err as Error).message).toBe(
      `${file}: the profile did not load within 1.5 s (stuck at import; --profile-timeout S changes the limit)`,
    );
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("a profile looping in streams() is ended by the time limit, naming the frame size", async () => {
    const file = stuckInStreams();
    const err = await loadProfile(file, { timeoutS: 1.5, frameSizes: [1518] }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/stuck in streams\(\) for frame size 1518 B, port 0;/);
  });

  it("an abort ends a stuck profile at once", async () => {
    const controller = new AbortController();
    const loading = loadProfile(stuckInStreams(), { signal: controller.signal });
    setTimeout(() => controller.abort(), 800);
    const started = Date.now();
    const err = await loading.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProfileInterruptedError);
    expect(Date.now() - started).toBeLessThan(1500);
    const aborted = new AbortController();
    aborted.abort();
    await expect(loadProfile(stuckAtImport(), { signal: aborted.signal })).rejects.toBeInstanceOf(
      ProfileInterruptedError,
    );
  });

  it("a profile that exits its thread, and a context outside the plan, are ProfileErrors", async () => {
    const exits = write(`process.exit(3);\nexport default {};\n`);
    expect((await loadError(exits)).message).toMatch(
      /ended its thread \(exit status 3\) at import/,
    );
    const file = write(
      `import { defineProfile, packet, Ether } from "autotrex";\nexport default defineProfile({ description: "x", streams: () => [{ packet: packet(Ether()) }] });\n`,
    );
    const { profile } = await loadProfile(file, { frameSizes: [64] });
    expect(() => resolveStreams(profile, { ...ctx, frameSize: 128 })).toThrow(
      /no streams prepared for frame size 128 B.*not in loadProfile's plan/,
    );
  });

  it("a profile that eats memory is stopped at the heap limit, naming where", async () => {
    const file = write(
      `import { defineProfile } from "autotrex";\nconst hog: number[][] = [];\nexport default defineProfile({ description: "x", streams: () => { for (;;) hog.push(new Array(1e5).fill(1.5)); } });\n`,
    );
    const err = await loadProfile(file, { heapLimitMb: 64, frameSizes: [128] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProfileError);
    expect((err as Error).message).toBe(
      `${file}: the profile used more than 64 MB of memory (in streams() for frame size 128 B, port 0)`,
    );
  });

  it("runPlan asks for the reverse direction only when bidirectional", () => {
    const opts = { sizes: [64], encapOverhead: 4, txPort: 2, rxPort: 3 };
    expect(runPlan({ ...opts, bidirectional: false }).ports).toEqual([
      { portId: 2, direction: "forward" },
    ]);
    expect(runPlan({ ...opts, bidirectional: true })).toEqual({
      frameSizes: [64],
      encapOverhead: 4,
      ports: [
        { portId: 2, direction: "forward" },
        { portId: 3, direction: "reverse" },
      ],
    });
  });
});
