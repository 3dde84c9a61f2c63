import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { goldenCases } from "./golden-cases.ts";

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/scapy/packets.json", import.meta.url), "utf8"),
) as {
  scapy: string;
  cases: Record<string, string>;
};

describe("packets built like Scapy 2.5", () => {
  it("the fixture comes from Scapy 2.5 and both sides list the same cases", () => {
    expect(fixture.scapy).toMatch(/^2\.5/);
    expect(Object.keys(goldenCases).sort()).toEqual(Object.keys(fixture.cases).sort());
  });

  for (const [name, hex] of Object.entries(fixture.cases)) {
    it(`${name} is byte-identical`, () => {
      const build = goldenCases[name];
      expect(build, `no TypeScript case named ${name}`).toBeDefined();
      expect(build().bytes().toString("hex")).toBe(hex);
    });
  }
});
