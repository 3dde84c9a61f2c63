/** DUT specs from files: one line `file:line:column: message` for every refusal, a DutSpecError. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DUT_PRESETS } from "../../src/emulator/dut-model.ts";
import { DutSpecError, loadDutSpec } from "../../src/emulator/index.ts";
import { DutSpecError as FromParams } from "../../src/emulator/params.ts";

const dir = mkdtempSync(join(tmpdir(), "dut-spec-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The message of the DutSpecError that loading `path` throws. */
function refusal(path: string): string {
  try {
    loadDutSpec(path);
  } catch (err) {
    expect(err).toBeInstanceOf(DutSpecError);
    return (err as Error).message;
  }
  throw new Error(`${path} was accepted`);
}

describe("DUT spec files", () => {
  it("reads a generator section, presets by name, and the same error class from params.ts", () => {
    const f = file("gen.yaml", "perPacketNs: 400\ngenerator:\n  maxPps: 1000000\n");
    expect(loadDutSpec(f)).toEqual({
      ...DUT_PRESETS.default,
      perPacketNs: 400,
      generator: { maxPps: 1_000_000 },
    });
    expect(loadDutSpec("software").generator).toEqual({ maxPps: 600_000, maxL1Bps: 4.92e9 });
    expect(FromParams).toBe(DutSpecError);
  });

  it("names the presets when the name is neither a preset nor a file", () => {
    expect(refusal("nosuch")).toBe(
      "--dut nosuch: neither a preset (ideal, default, noisy, software, veth) nor a file",
    );
  });

  it("gives one line file:line:column for broken YAML and truncated JSON", () => {
    const yaml = file("broken.yaml", "speedGbps: 10\nperPacketNs: [1, 2\n");
    expect(refusal(yaml)).toMatch(new RegExp(`^${yaml}:\\d+:\\d+: [^\\n]+$`));
    const json = file("truncated.json", '{"speedGbps": 10,\n "perPacketNs": 3');
    expect(refusal(json)).toMatch(new RegExp(`^${json}:2:\\d+: Flow map must end with a \\}$`));
  });

  it("refuses non-integers and values out of range, naming the field, file, line and column", () => {
    const half = file("half.yaml", "speedGbps: 10\nbufferPackets: 1.5\n");
    expect(refusal(half)).toBe(
      `${half}:2:16: bufferPackets must be an integer from 0 to 1000000000, got 1.5`,
    );
    const slow = file("slow.yaml", "speedGbps: 0.000001\n");
    expect(refusal(slow)).toBe(
      `${slow}:1:12: speedGbps must be a number from 0.01 to 1000, got 0.000001`,
    );
    const loss = file("loss.json", '{"lossFloor": 2}');
    expect(refusal(loss)).toBe(`${loss}:1:15: lossFloor must be a number from 0 to 1, got 2`);
    const gen = file("gen-bad.yaml", "generator:\n  maxPps: fast\n");
    expect(refusal(gen)).toBe(
      `${gen}:2:11: generator.maxPps must be a number from 1000 to 10000000000, got "fast"`,
    );
  });

  it("refuses unknown keys, an empty generator, a non-mapping and an alias bomb", () => {
    const typo = file("typo.yaml", "speedGbps: 10\nperPacketNS: 1\n");
    expect(refusal(typo)).toMatch(new RegExp(`^${typo}:2:1: unknown DUT parameter 'perPacketNS'`));
    const genTypo = file("gen-typo.yaml", "generator:\n  maxBps: 1e9\n");
    expect(refusal(genTypo)).toMatch(/:2:3: unknown generator parameter 'maxBps'/);
    const empty = file("gen-empty.yaml", "generator: {}\n");
    expect(refusal(empty)).toBe(`${empty}:1:12: generator needs maxPps and/or maxL1Bps`);
    const list = file("list.yaml", "- 1\n");
    expect(refusal(list)).toMatch(new RegExp(`^${list}:1:1: DUT parameters must be a mapping`));
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${"abcdefgh"[i]}: &${"abcdefgh"[i]} [${Array(10)
          .fill(`*${"abcdefgh"[i - 1]}`)
          .join(", ")}]`,
      );
    const bombFile = file("bomb.yaml", bomb.join("\n") + "\n");
    expect(refusal(bombFile)).toMatch(new RegExp(`^${bombFile}: Excessive alias count`));
  });
});
