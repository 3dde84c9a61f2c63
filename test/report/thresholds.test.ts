/** The threshold rules of src/search/thresholds.ts: defaults, both --loss-threshold forms, errors. */
import { describe, expect, it } from "vitest";
import { defaultLossThresholdsPct } from "../../src/search/index.ts";
import {
  checkThresholds,
  defaultThresholds,
  nameByLoss,
  parseLossThresholds,
  thresholdsFrom,
  ThresholdError,
} from "../../src/search/thresholds.ts";

const names = (list: Array<{ name: string }>) => list.map((t) => t.name);

describe("defaults", () => {
  it("are NDR 0.01 % and PDR 0.5 %, NDR alone for bisection", () => {
    expect(defaultThresholds("mlr")).toEqual([
      { name: "NDR", lossPct: 0.01 },
      { name: "PDR", lossPct: 0.5 },
    ]);
    expect(defaultThresholds("bisection")).toEqual([{ name: "NDR", lossPct: 0.01 }]);
    expect(defaultLossThresholdsPct("mlr")).toEqual([0.01, 0.5]);
    expect(defaultLossThresholdsPct("bisection")).toEqual([0.01]);
  });

  it("are fresh copies: editing one does not change the next", () => {
    defaultThresholds("mlr")[0].name = "edited";
    expect(defaultThresholds("mlr")[0].name).toBe("NDR");
  });
});

describe("plain percentages are named by the loss they allow", () => {
  it.each([
    ["0.01,0.5", ["NDR", "PDR"]],
    ["0.01", ["NDR"]],
    ["0", ["NDR"]],
    ["0.5", ["PDR"]], // a lone 0.5 % allows drops: not a no-drop rate
    ["0.5,0.01", ["PDR", "NDR"]], // order kept: the first is the primary
    ["0,0.1,0.5,1", ["NDR", "PDR", "PDR2", "PDR3"]],
    ["1,0.1", ["PDR2", "PDR"]],
    [" 0.01 , 0.5 ", ["NDR", "PDR"]],
  ])("%s → %o", (flag, expected) => {
    const parsed = parseLossThresholds(flag);
    expect(names(parsed)).toEqual(expected);
    expect(parsed.map((t) => t.lossPct)).toEqual(flag.split(",").map(Number));
  });

  it("nameByLoss is the same rule (used for version 1 result files)", () => {
    expect(nameByLoss([0.01, 0.5])).toEqual(parseLossThresholds("0.01,0.5"));
    expect(names(nameByLoss([0.5]))).toEqual(["PDR"]);
  });
});

describe("named thresholds", () => {
  it("take any name of letters, digits, - and _, in the order given", () => {
    expect(parseLossThresholds("NDR=0.01,PDR=0.5")).toEqual(defaultThresholds("mlr"));
    expect(parseLossThresholds("strict=0, loose=1")).toEqual([
      { name: "strict", lossPct: 0 },
      { name: "loose", lossPct: 1 },
    ]);
    expect(names(parseLossThresholds("a-1=0.1,B_2=0.2,3=0.3"))).toEqual(["a-1", "B_2", "3"]);
  });

  it.each([
    ["NDR=abc", `--loss-threshold "NDR=abc": expected a loss percentage from 0 to below 100`],
    ["NDR=", `--loss-threshold "NDR=": expected a loss percentage from 0 to below 100`],
    ["NDR=100", `--loss-threshold "NDR=100": expected a loss percentage from 0 to below 100`],
    ["NDR=-1", `--loss-threshold "NDR=-1": expected a loss percentage from 0 to below 100`],
    ["0.01,x", `--loss-threshold "x": expected a loss percentage from 0 to below 100`],
    ["", `--loss-threshold "": expected a loss percentage from 0 to below 100`],
    ["=0.5", `--loss-threshold "=0.5": expected a name of letters, digits`],
    ["no drop=0", `--loss-threshold "no drop=0": expected a name of letters, digits`],
    ["ndr!=0", `--loss-threshold "ndr!=0": expected a name of letters, digits`],
    ["-x=0", `--loss-threshold "-x=0": expected a name of letters, digits`],
    [`${"n".repeat(33)}=0`, `expected a name of letters, digits`],
    ["NDR=0.01,0.5", `--loss-threshold "0.5": name every threshold (NAME=PCT) or none`],
    ["0.01,PDR=0.5", `--loss-threshold "0.01": name every threshold (NAME=PCT) or none`],
    ["a=0.1,a=0.2", "--loss-threshold: name a given twice"],
    ["a=0.5,b=0.5", "--loss-threshold: loss 0.5 % given twice (a and b)"],
    ["0.5,0.5", "--loss-threshold: loss 0.5 % given twice"],
  ])("refuses %j in one line naming the flag and the bad part", (flag, message) => {
    let error: unknown;
    try {
      parseLossThresholds(flag);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ThresholdError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("checkThresholds and thresholdsFrom (result files and agent requests)", () => {
  it("name the field they check", () => {
    expect(() => checkThresholds([], "parameters.thresholds")).toThrow(
      "parameters.thresholds: at least one loss threshold",
    );
    expect(() => checkThresholds([{ name: "NDR", lossPct: 150 }], "x")).toThrow(
      "x: NDR: loss 150 % is not from 0 to below 100",
    );
    expect(() => checkThresholds([{ name: "a b", lossPct: 1 }], "x")).toThrow(
      `x: "a b" is not a name of letters`,
    );
  });

  it("pairs names with percentages, or names them by loss when no names come", () => {
    expect(thresholdsFrom([0, 1], ["strict", "loose"], "req")).toEqual([
      { name: "strict", lossPct: 0 },
      { name: "loose", lossPct: 1 },
    ]);
    expect(thresholdsFrom([0.01, 0.5], [], "req")).toEqual(defaultThresholds("mlr"));
    expect(() => thresholdsFrom([0.01, 0.5], ["NDR"], "req")).toThrow(
      "req: 1 names for 2 loss thresholds",
    );
  });
});
