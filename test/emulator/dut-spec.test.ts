/** DUT specs from files: one line `file:line:column: message` for every refusal, a DutSpecError. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DUT_PRESETS } from "../../src/emulator/dut-model.ts";
import { DutSpecError, loadDutSpec } from "../../src/emulator/index.ts";

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

  it("reads maxPpsFromFrameSize from YAML (number keys) and JSON (string keys) alike", () => {
    const yaml = file(
      "steps.yaml",
      "generator:\n  maxPps: 140000\n  maxPpsFromFrameSize:\n    9040: 900\n",
    );
    const json = file(
      "steps.json",
      '{"generator": {"maxPps": 140000, "maxPpsFromFrameSize": {"9040": 900}}}',
    );
    const want = {
      ...DUT_PRESETS.default,
      generator: { maxPps: 140_000, maxPpsFromFrameSize: { 9040: 900 } },
    };
    expect(loadDutSpec(yaml)).toEqual(want);
    expect(loadDutSpec(json)).toEqual(want);
    // A step table alone is a ceiling.
    const alone = file("steps-alone.yaml", "generator:\n  maxPpsFromFrameSize: {1519: 50000}\n");
    expect(loadDutSpec(alone).generator).toEqual({ maxPpsFromFrameSize: { 1519: 50_000 } });
  });

  it("refuses a bad maxPpsFromFrameSize in one line naming the key or value", () => {
    const key = "generator.maxPpsFromFrameSize";
    const sizes = "keys must be frame sizes, integers from 64 to 9242";
    const big = file(
      "steps-big.yaml",
      "generator:\n  maxPpsFromFrameSize:\n    9216: 900\n    10000: 10\n",
    );
    expect(refusal(big)).toBe(`${big}:4:5: ${key} ${sizes}, got "10000"`);
    const word = file("steps-word.json", '{"generator": {"maxPpsFromFrameSize": {"jumbo": 900}}}');
    expect(refusal(word)).toBe(`${word}:1:40: ${key} ${sizes}, got "jumbo"`);
    const zero = file("steps-zero.yaml", "generator:\n  maxPpsFromFrameSize: {'0064': 900}\n");
    expect(refusal(zero)).toBe(`${zero}:2:25: ${key} ${sizes}, got "0064"`);
    const slow = file("steps-slow.yaml", "generator:\n  maxPpsFromFrameSize:\n    9216: 5\n");
    expect(refusal(slow)).toBe(
      `${slow}:3:11: ${key}.9216 must be a number from 100 to 10000000000, got 5`,
    );
    const empty = file(
      "steps-empty.yaml",
      "generator:\n  maxPps: 1000\n  maxPpsFromFrameSize: {}\n",
    );
    expect(refusal(empty)).toBe(`${empty}:3:24: ${key} needs at least one frame size`);
    const list = file("steps-list.yaml", "generator:\n  maxPpsFromFrameSize: [900]\n");
    expect(refusal(list)).toBe(`${list}:2:24: ${key} must be a mapping of frame size to pps`);
  });

  it("refuses unknown keys, an empty generator, a non-mapping and an alias bomb", () => {
    const typo = file("typo.yaml", "speedGbps: 10\nperPacketNS: 1\n");
    expect(refusal(typo)).toMatch(new RegExp(`^${typo}:2:1: unknown DUT parameter 'perPacketNS'`));
    const genTypo = file("gen-typo.yaml", "generator:\n  maxBps: 1e9\n");
    expect(refusal(genTypo)).toMatch(/:2:3: unknown generator parameter 'maxBps'/);
    const empty = file("gen-empty.yaml", "generator: {}\n");
    expect(refusal(empty)).toBe(
      `${empty}:1:12: generator needs maxPps, maxL1Bps, maxPpsFromFrameSize and/or rxMaxPps`,
    );
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
