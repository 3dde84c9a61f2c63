import { describe, expect, it } from "vitest";
import { parseRunResult, ResultFileError } from "../../src/report/validate.ts";
import { outcome, runResult, size } from "./fixtures.ts";

describe("parseRunResult", () => {
  const result = runResult(
    [size(64, [outcome(64, 0.01, 598_000, { generatorLimited: true, offeredPps: 598_001 })])],
    [0.01],
  );

  it("returns the checked copy: equal to what was written, nothing unchecked kept", () => {
    const text = JSON.stringify({ ...result, bogus: { injected: true } });
    const parsed = parseRunResult(text);
    expect(parsed).toEqual(result);
    expect(parsed).not.toHaveProperty("bogus");
    expect(parsed.sizes[0].results[0]).toMatchObject({
      generatorLimited: true,
      offeredPps: 598_001,
    });
  });

  it("names the file and the field that is wrong", () => {
    const bad = structuredClone(result) as unknown as { sizes: Array<{ results: object[] }> };
    bad.sizes[0].results[0] = { ...bad.sizes[0].results[0], offeredPps: "fast" };
    expect(() => parseRunResult(JSON.stringify(bad), "r/result.json")).toThrow(ResultFileError);
    expect(() => parseRunResult(JSON.stringify(bad), "r/result.json")).toThrow(
      /^r\/result\.json: .*sizes\[0\]\.results\[0\]\.offeredPps/,
    );
  });
});
