import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DUT_PRESETS } from "../../src/emulator/dut-model.ts";
import { loadDutSpec } from "../../src/emulator/index.ts";
import {
  memberMeta,
  parseJsonText,
  writeJsonText,
  type JsonObject,
} from "../../src/emulator/json-text.ts";
import { formatG } from "../../src/emulator/params.ts";
import { apportion } from "../../src/emulator/traffic.ts";

describe("jsoncpp-like reader", () => {
  it("keeps byte offsets and number kinds", () => {
    const text =
      '{"a": 1, "b":-2, "c":3000000000, "d":1.0, "e":"é", "f":18446744073709551615, "g":1e2}';
    const v = parseJsonText(Buffer.from(text)) as JsonObject;
    expect(memberMeta(v, "a")).toEqual({ offset: 6, kind: "int" });
    expect(memberMeta(v, "b")?.kind).toBe("int");
    expect(memberMeta(v, "c")?.kind).toBe("uint");
    expect(memberMeta(v, "d")?.kind).toBe("double");
    expect(memberMeta(v, "g")?.kind).toBe("double");
    expect(memberMeta(v, "f")).toMatchObject({ kind: "uint", big: 18446744073709551615n });
    expect(v.e).toBe("é");
    const after = Buffer.from(text).indexOf('"f"');
    expect(memberMeta(v, "f")?.offset).toBe(after + 4);
  });

  it("accepts comments and ignores text after the value, like jsoncpp", () => {
    expect(parseJsonText(Buffer.from('/* c */ {"a": [1, // x\n 2]} trailing'))).toEqual({
      a: [1, 2],
    });
    expect(() => parseJsonText(Buffer.from("{'a':1}"))).toThrow();
    expect(() => parseJsonText(Buffer.from("[".repeat(2000)))).toThrow();
  });

  it("writes like FastWriter: sorted keys, newline, no NaN", () => {
    expect(writeJsonText({ b: 1, a: [Infinity, NaN], c: "x" })).toBe(
      '{"a":[1e+9999,null],"b":1,"c":"x"}\n',
    );
  });
});

describe("number formatting and splitting", () => {
  it("prints doubles like C++ streams (%g)", () => {
    expect(formatG(10.08)).toBe("10.08");
    expect(formatG(10)).toBe("10");
    expect(formatG(14.8809523)).toBe("14.881");
    expect(formatG(1234567)).toBe("1.23457e+06");
    expect(formatG(0.0001234)).toBe("0.0001234");
    expect(formatG(1.5, 17, true)).toBe("1.5");
    expect(formatG(2, 17, true)).toBe("2.0");
  });

  it("apportions integer totals in proportion, summing exactly", () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(1001, [9, 1])).toEqual([901, 100]);
    expect(apportion(5, [0, 0])).toEqual([5, 0]);
  });
});

describe("loadDutSpec", () => {
  it("takes preset names and YAML files", () => {
    expect(loadDutSpec("noisy")).toEqual(DUT_PRESETS.noisy);
    const dir = mkdtempSync(join(tmpdir(), "dut-"));
    const file = join(dir, "dut.yaml");
    writeFileSync(file, "perPacketNs: 100\nbufferPackets: 0\n");
    expect(loadDutSpec(file)).toEqual({
      ...DUT_PRESETS.default,
      perPacketNs: 100,
      bufferPackets: 0,
    });
    expect(() => loadDutSpec(join(dir, "missing.yaml"))).toThrow(/neither a preset/);
  });
});
