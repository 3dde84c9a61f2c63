import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { runCompare } from "../../src/cli/compare.ts";
import {
  compareRuns,
  formatChangePct,
  IncompatibleRunsError,
  verdictFor,
  type Comparison,
} from "../../src/report/compare.ts";
import { escapeXml, junitXml } from "../../src/report/junit.ts";
import { comparisonMarkdown, escapeCell } from "../../src/report/markdown.ts";
import {
  childrenNamed,
  makeResult,
  parseXml,
  tempDir,
  writeRunDir,
  type ResultSpec,
  captureStdio,
} from "./helpers.ts";

const BASELINE: ResultSpec = {
  sizes: {
    64: [10e6, 12e6],
    1518: [800e3, 812e3],
    9216: [130e3, 135e3],
  },
};

function row(comparison: Comparison, frameSize: number, lossThresholdPct: number) {
  const found = comparison.rows.find(
    (r) => r.frameSize === frameSize && r.lossThresholdPct === lossThresholdPct,
  );
  if (!found) throw new Error(`no row ${frameSize} B ${lossThresholdPct}%`);
  return found;
}

describe("verdictFor", () => {
  it("judges the relative change against the tolerance, both ways", () => {
    expect(verdictFor(100, 97, 2)).toBe("regressed");
    expect(verdictFor(100, 98.5, 2)).toBe("ok");
    expect(verdictFor(100, 101.9, 2)).toBe("ok");
    expect(verdictFor(100, 103, 2)).toBe("improved");
    expect(verdictFor(100, 99.99, 0)).toBe("regressed");
  });

  it("keeps a drop of exactly the tolerance as ok despite floating-point rounding", () => {
    // 14.880952... * 0.98 is not exactly representable; the change must still read as -2 %.
    const base = 10e9 / (84 * 8);
    expect(verdictFor(base, base * 0.98, 2)).toBe("ok");
    expect(verdictFor(base, base * 0.9799, 2)).toBe("regressed");
  });

  it("a drop to a generator-limited rate is inconclusive, not a regression", () => {
    expect(verdictFor(100, 80, 2, true)).toBe("inconclusive");
    expect(verdictFor(100, 99, 2, true)).toBe("ok");
    expect(verdictFor(100, 103, 2, true)).toBe("improved");
    expect(verdictFor(100, 80, 2, false)).toBe("regressed");
  });

  it("tells missing, new and n/a apart", () => {
    expect(verdictFor(100, null, 2)).toBe("missing");
    expect(verdictFor(null, 100, 2)).toBe("new");
    expect(verdictFor(null, null, 2)).toBe("n/a");
  });
});

describe("compareRuns", () => {
  it("flags a drop beyond the tolerance as a regression, with the relative change", () => {
    const current = makeResult({ sizes: { ...BASELINE.sizes, 64: [9.5e6, 12e6] } });
    const c = compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 });
    const r = row(c, 64, 0.01);
    expect(r).toMatchObject({
      threshold: "NDR",
      baselineRatePps: 10e6,
      currentRatePps: 9.5e6,
      verdict: "regressed",
    });
    expect(r.changePct).toBeCloseTo(-5, 10);
    expect(row(c, 64, 0.5)).toMatchObject({ threshold: "PDR", verdict: "ok", changePct: 0 });
    expect(c.regressed).toBe(true);
    expect(c.counts).toEqual({
      ok: 5,
      improved: 0,
      regressed: 1,
      inconclusive: 0,
      missing: 0,
      new: 0,
      "n/a": 0,
    });
  });

  it("judges a drop only where the DUT was tried: generator-limited now is inconclusive", () => {
    const limited = (result: ReturnType<typeof makeResult>, frameSize: number) => {
      for (const r of result.sizes.find((s) => s.frameSize === frameSize)!.results) {
        r.generatorLimited = true;
      }
      return result;
    };
    const current = limited(makeResult({ sizes: { ...BASELINE.sizes, 64: [0.6e6, 0.6e6] } }), 64);
    const c = compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 });
    expect(row(c, 64, 0.01)).toMatchObject({
      verdict: "inconclusive",
      reason: "generator-limited: the generator never offered the baseline's rate",
    });
    expect(c.counts.inconclusive).toBe(2);
    expect(c.regressed).toBe(false);
    const suite = childrenNamed(parseXml(junitXml(c)), "testsuite")[0];
    expect(suite.attributes).toMatchObject({ failures: "0", skipped: "2" });
    const first = childrenNamed(suite, "testcase")[0];
    expect(childrenNamed(first, "skipped")[0].attributes.message).toMatch(
      /^64 B NDR\(0\.01%\): 0\.6 Mpps vs baseline 10 Mpps \(-94\.00%\), not judged: generator-limited/,
    );
    // The DUT now loses packets below where it forwarded all a slower generator sent: a
    // regression, whatever limited the baseline.
    const before = limited(makeResult(BASELINE), 64);
    const worse = makeResult({ sizes: { ...BASELINE.sizes, 64: [9e6, 12e6] } });
    expect(row(compareRuns(worse, before, { tolerancePct: 2 }), 64, 0.01).verdict).toBe(
      "regressed",
    );
  });

  it("accepts a drop within the tolerance and reports an improvement", () => {
    const current = makeResult({
      sizes: { ...BASELINE.sizes, 64: [9.85e6, 12e6], 1518: [800e3, 812e3 * 1.05] },
    });
    const c = compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 });
    expect(row(c, 64, 0.01).verdict).toBe("ok");
    expect(row(c, 64, 0.01).changePct).toBeCloseTo(-1.5, 10);
    expect(row(c, 1518, 0.5).verdict).toBe("improved");
    expect(row(c, 1518, 0.5).changePct).toBeCloseTo(5, 10);
    expect(c.regressed).toBe(false);
  });

  it("the same drop regresses or not depending on the tolerance", () => {
    const current = makeResult({ sizes: { ...BASELINE.sizes, 64: [9.7e6, 12e6] } });
    expect(compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 }).regressed).toBe(true);
    expect(compareRuns(current, makeResult(BASELINE), { tolerancePct: 5 }).regressed).toBe(false);
    expect(() => compareRuns(current, makeResult(BASELINE), { tolerancePct: -1 })).toThrow(
      RangeError,
    );
  });

  it("a size that became N/A is missing, with the reason, and fails the comparison", () => {
    const current = makeResult({ sizes: { ...BASELINE.sizes, 9216: "n/a" } });
    const c = compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 });
    for (const t of [0.01, 0.5]) {
      expect(row(c, 9216, t)).toMatchObject({
        baselineRatePps: t === 0.01 ? 130e3 : 135e3,
        currentRatePps: null,
        changePct: null,
        verdict: "missing",
        reason: "n/a: frame too small for the headers",
      });
    }
    expect(c.counts.missing).toBe(2);
    expect(c.regressed).toBe(true);
  });

  it("a size left out of the current run, or a threshold without a rate, is missing too", () => {
    const current = makeResult({ sizes: { 64: [10e6, null], 1518: [800e3, 812e3] } });
    const c = compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 });
    expect(row(c, 64, 0.5)).toMatchObject({
      verdict: "missing",
      reason: "no rate found for loss ≤ 0.5%",
    });
    expect(row(c, 9216, 0.01)).toMatchObject({ verdict: "missing", reason: "size not measured" });
    expect(c.counts.missing).toBe(3);
  });

  it("a result where the baseline had none is new; none in either is n/a; neither fails", () => {
    const baseline = makeResult({ sizes: { 64: "failed", 128: "n/a", 1518: [800e3, 812e3] } });
    const current = makeResult({ sizes: { 64: [10e6, 12e6], 128: "n/a", 1518: [800e3, 812e3] } });
    const c = compareRuns(current, baseline, { tolerancePct: 2 });
    expect(row(c, 64, 0.01)).toMatchObject({ verdict: "new", currentRatePps: 10e6 });
    expect(row(c, 64, 0.01).reason).toContain("baseline: failed");
    expect(row(c, 128, 0.5).verdict).toBe("n/a");
    expect(c.rows.map((r) => r.frameSize)).toEqual([64, 64, 128, 128, 1518, 1518]);
    expect(c.regressed).toBe(false);
  });

  it.each([
    [{ profile: "tcp_1pkt_rand" }, "profile tcp_1pkt_rand (current) vs tcp_1pkt (baseline)"],
    [
      { thresholds: [0, 0.5] },
      "loss thresholds NDR=0%,PDR=0.5% (current) vs NDR=0.01%,PDR=0.5% (baseline)",
    ],
    [
      { thresholds: [0.01] },
      "loss thresholds NDR=0.01% (current) vs NDR=0.01%,PDR=0.5% (baseline)",
    ],
    [
      {
        thresholds: [
          { name: "NDR", lossPct: 0.01 },
          { name: "loose", lossPct: 0.5 },
        ],
      },
      "loss thresholds NDR=0.01%,loose=0.5% (current) vs NDR=0.01%,PDR=0.5% (baseline)",
    ],
    [{ speedBps: 25e9 }, "port speed 25 Gb/s (current) vs 10 Gb/s (baseline)"],
  ])("refuses incompatible runs (%o), naming what differs", (change, message) => {
    const current = makeResult({ ...BASELINE, ...change });
    let error: unknown;
    try {
      compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(IncompatibleRunsError);
    expect((error as Error).message).toBe(`runs are not comparable: ${message}`);
    expect((error as IncompatibleRunsError).differences).toHaveLength(1);
  });

  it("names every difference at once", () => {
    const current = makeResult({ ...BASELINE, profile: "ipv6_1pkt", speedBps: 100e9 });
    expect(() => compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 })).toThrow(
      /profile ipv6_1pkt .*; port speed 100 Gb\/s/,
    );
  });

  it("formats changes with a sign and no negative zero", () => {
    expect(formatChangePct(-5)).toBe("-5.00");
    expect(formatChangePct(1.234)).toBe("+1.23");
    expect(formatChangePct(-0.001)).toBe("0.00");
    expect(formatChangePct(0.001)).toBe("0.00");
    expect(formatChangePct(null)).toBe("");
  });
});

describe("JUnit XML", () => {
  const current = makeResult({
    sizes: { 64: [9.5e6, 12.3e6], 1518: [800e3, 812e3], 9216: "n/a" },
  });
  const comparison = compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 });

  it("is one testsuite with one testcase per size × threshold and correct counts", () => {
    const root = parseXml(junitXml(comparison));
    expect(root.name).toBe("testsuites");
    expect(root.attributes).toMatchObject({ tests: "6", failures: "3", errors: "0", skipped: "0" });
    const suites = childrenNamed(root, "testsuite");
    expect(suites).toHaveLength(1);
    const suite = suites[0];
    expect(suite.attributes).toMatchObject({
      name: "autotrex compare: tcp_1pkt",
      tests: "6",
      failures: "3",
      timestamp: "2025-11-20T02:00:00",
    });
    const cases = childrenNamed(suite, "testcase");
    expect(cases.map((c) => c.attributes.name)).toEqual([
      "tcp_1pkt 64B NDR(0.01%)",
      "tcp_1pkt 64B PDR(0.5%)",
      "tcp_1pkt 1518B NDR(0.01%)",
      "tcp_1pkt 1518B PDR(0.5%)",
      "tcp_1pkt 9216B NDR(0.01%)",
      "tcp_1pkt 9216B PDR(0.5%)",
    ]);
    const failed = cases.filter((c) => childrenNamed(c, "failure").length === 1);
    expect(failed.map((c) => c.attributes.name)).toEqual([
      "tcp_1pkt 64B NDR(0.01%)",
      "tcp_1pkt 9216B NDR(0.01%)",
      "tcp_1pkt 9216B PDR(0.5%)",
    ]);
    const properties = childrenNamed(childrenNamed(suite, "properties")[0], "property");
    expect(properties.find((p) => p.attributes.name === "tolerancePct")?.attributes.value).toBe(
      "2",
    );
  });

  it("puts both values and the change in the failure message", () => {
    const suite = childrenNamed(parseXml(junitXml(comparison)), "testsuite")[0];
    const cases = childrenNamed(suite, "testcase");
    const regression = childrenNamed(cases[0], "failure")[0];
    expect(regression.attributes.type).toBe("regression");
    expect(regression.attributes.message).toBe(
      "64 B NDR(0.01%): 9.5 Mpps vs baseline 10 Mpps (-5.00%, tolerance 2%)",
    );
    expect(regression.text).toContain("baseline run: 2025-11-20T02:00:00.000Z");
    const missing = childrenNamed(cases[4], "failure")[0];
    expect(missing.attributes.type).toBe("missing");
    expect(missing.attributes.message).toBe(
      "64 B NDR(0.01%)".replace("64", "9216") +
        ": no result now (n/a: frame too small for the headers), baseline 0.13 Mpps",
    );
    expect(childrenNamed(cases[1], "failure")).toHaveLength(0);
    expect(childrenNamed(cases[1], "system-out")[0].text).toMatch(/^improved: 64 B PDR/);
  });

  it("marks sizes without a result in either run as skipped", () => {
    const both = makeResult({ sizes: { 64: "n/a", 1518: [800e3, 812e3] } });
    const root = parseXml(junitXml(compareRuns(both, both, { tolerancePct: 2 })));
    expect(root.attributes).toMatchObject({ tests: "4", failures: "0", skipped: "2" });
    const cases = childrenNamed(childrenNamed(root, "testsuite")[0], "testcase");
    expect(childrenNamed(cases[0], "skipped")).toHaveLength(1);
    expect(childrenNamed(cases[2], "skipped")).toHaveLength(0);
  });

  it("escapes markup, quotes and control characters so the document stays well-formed", () => {
    const profile = `odd<"&'>\u0001name`;
    const base = makeResult({ profile, sizes: { 64: [10e6, 12e6], 128: [9e6, 9.5e6] } });
    const now = makeResult({ profile, sizes: { 64: [8e6, 12e6], 128: "failed" } });
    const xml = junitXml(compareRuns(now, base, { tolerancePct: 2 }));
    const root = parseXml(xml);
    const cases = childrenNamed(childrenNamed(root, "testsuite")[0], "testcase");
    expect(cases[0].attributes.name).toBe(`odd<"&'>\uFFFDname 64B NDR(0.01%)`);
    expect(childrenNamed(cases[2], "failure")[0].attributes.message).toContain(
      "failed: server <error> & co",
    );
    expect(escapeXml(`a<b>&"c"'\n`)).toBe("a&lt;b&gt;&amp;&quot;c&quot;&apos;&#10;");
  });

  it("the test parser rejects malformed documents (it can fail)", () => {
    const good = junitXml(comparison);
    expect(() => parseXml(good)).not.toThrow();
    expect(() => parseXml(good.replace("</testsuite>", ""))).toThrow(/malformed/);
    expect(() => parseXml(good.replace("<properties>", "<properties a='1'>"))).toThrow(/malformed/);
    expect(() => parseXml(good.replace('name="autotrex', 'name="a<b'))).toThrow(/malformed/);
    expect(() => parseXml(good.replace('name="autotrex', 'name="a&b'))).toThrow(/bare &/);
    expect(() => parseXml(good.replace('tests="6"', 'tests="6" tests="6"'))).toThrow(/duplicate/);
  });
});

describe("Markdown summary", () => {
  it("is a table with the baseline, current, change and a text verdict per row", () => {
    const current = makeResult({
      sizes: { 64: [9.5e6, 12.3e6], 1518: [800e3, 812e3], 9216: "n/a" },
    });
    const md = comparisonMarkdown(compareRuns(current, makeResult(BASELINE), { tolerancePct: 2 }));
    const lines = md.split("\n");
    expect(lines[0]).toBe("### autotrex compare: tcp\\_1pkt: REGRESSION (1 regressed, 2 missing)");
    const table = lines.filter((l) => l.startsWith("|"));
    expect(table).toEqual([
      "| Frame size | Threshold | Baseline Mpps | Current Mpps | Change % | Verdict |",
      "| ---: | :--- | ---: | ---: | ---: | :--- |",
      "| 64 B | NDR(0.01%) | 10 | 9.5 | -5.00 | **REGRESSED** |",
      "| 64 B | PDR(0.5%) | 12 | 12.3 | +2.50 | improved |",
      "| 1518 B | NDR(0.01%) | 0.8 | 0.8 | 0.00 | ok |",
      "| 1518 B | PDR(0.5%) | 0.812 | 0.812 | 0.00 | ok |",
      "| 9216 B | NDR(0.01%) | 0.13 | N/A |  | **MISSING** |",
      "| 9216 B | PDR(0.5%) | 0.135 | N/A |  | **MISSING** |",
    ]);
    expect(md).toContain("tolerance 2 %");
    expect(md).toContain(
      "- 9216 B NDR(0.01%): no result now (n/a: frame too small for the headers), baseline 0.13 Mpps",
    );
    // Every table row has the header's number of columns.
    for (const line of table) expect(line.split(" | ")).toHaveLength(6);
  });

  it("says so when nothing regressed, and keeps cells from breaking the table", () => {
    const md = comparisonMarkdown(
      compareRuns(makeResult(BASELINE), makeResult(BASELINE), { tolerancePct: 2 }),
    );
    expect(md.split("\n")[0]).toBe("### autotrex compare: tcp\\_1pkt: no regression");
    expect(md).not.toMatch(/REGRESSED|MISSING/);
    expect(escapeCell("a|b\nc <x>")).toBe("a\\|b c &lt;x&gt;");
  });
});

describe("autotrex compare (CLI, in process)", () => {
  const { out, err } = captureStdio();

  const cli = (...args: string[]) => main(["node", "autotrex", "compare", ...args]);

  it("exits 1 on a regression and writes JUnit and Markdown", async () => {
    const dir = tempDir();
    const base = writeRunDir(dir, "base", makeResult(BASELINE));
    const now = writeRunDir(
      dir,
      "now",
      makeResult({ sizes: { ...BASELINE.sizes, 1518: [700e3, 812e3] } }),
    );
    const junit = join(dir, "reports", "junit.xml");
    const markdown = join(dir, "summary.md");
    expect(await cli(now, "--baseline", base, "--junit", junit, "--markdown", markdown)).toBe(1);
    const root = parseXml(readFileSync(junit, "utf8"));
    expect(root.attributes).toMatchObject({ tests: "6", failures: "1" });
    expect(readFileSync(markdown, "utf8")).toContain(
      "| 1518 B | NDR(0.01%) | 0.8 | 0.7 | -12.50 | **REGRESSED** |",
    );
    const table = out.join("");
    expect(table).toMatch(/1518 B\s+NDR\(0\.01%\)\s+0\.8\s+0\.7\s+-12\.50\s+REGRESSED/);
    expect(table).toContain("REGRESSION: 1 regressed, 0 missing");
  });

  it("exits 0 within the tolerance, and with a result.json path as baseline", async () => {
    const dir = tempDir();
    const base = writeRunDir(dir, "base", makeResult(BASELINE));
    const now = writeRunDir(
      dir,
      "now",
      makeResult({ sizes: { ...BASELINE.sizes, 1518: [790e3, 812e3] } }),
    );
    expect(await cli(now, "--baseline", join(base, "result.json"))).toBe(0);
    expect(out.join("")).toContain("no regression");
    // The same drop (-1.25 %) fails a tighter tolerance.
    expect(await cli(now, "--baseline", base, "--tolerance", "1%")).toBe(1);
  });

  it("prints the comparison as JSON with --json", async () => {
    const dir = tempDir();
    const base = writeRunDir(dir, "base", makeResult(BASELINE));
    const now = writeRunDir(dir, "now", makeResult({ sizes: { ...BASELINE.sizes, 9216: "n/a" } }));
    expect(await cli(now, "--baseline", base, "--json")).toBe(1);
    const parsed = JSON.parse(out.join("")) as Comparison;
    expect(parsed.tolerancePct).toBe(2);
    expect(parsed.counts.missing).toBe(2);
    expect(parsed.rows).toHaveLength(6);
  });

  it("exits 2 on incompatible runs, naming what differs, and writes no report", async () => {
    const dir = tempDir();
    const base = writeRunDir(dir, "base", makeResult(BASELINE));
    const now = writeRunDir(dir, "now", makeResult({ ...BASELINE, speedBps: 25e9 }));
    const junit = join(dir, "junit.xml");
    expect(await cli(now, "--baseline", base, "--junit", junit)).toBe(2);
    expect(err.join("")).toContain("port speed 25 Gb/s (current) vs 10 Gb/s (baseline)");
    expect(existsSync(junit)).toBe(false);
  });

  it("exits 2 on a missing or broken result, a bad tolerance or no --baseline", async () => {
    const dir = tempDir();
    const base = writeRunDir(dir, "base", makeResult(BASELINE));
    expect(await cli(join(dir, "nowhere"), "--baseline", base)).toBe(2);
    expect(err.join("")).toContain("nowhere: no such run directory or result file");
    const broken = writeRunDir(dir, "broken", makeResult(BASELINE));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(broken, "result.json"), '{"schemaVersion": 1, "sizes": [');
    expect(await cli(broken, "--baseline", base)).toBe(2);
    expect(err.join("")).toContain("not valid JSON");
    expect(await cli(base, "--baseline", base, "--tolerance", "-3")).toBe(2);
    expect(await cli(base)).toBe(2);
    expect(err.join("")).toContain("missing --baseline");
  });

  it("says when a run did not complete (its sizes show as missing)", async () => {
    const dir = tempDir();
    const base = writeRunDir(dir, "base", makeResult(BASELINE));
    const interrupted = {
      ...makeResult({ sizes: { 64: [10e6, 12e6] } }),
      status: "interrupted" as const,
    };
    const written: string[] = [];
    expect(
      await runCompare({ current: interrupted, baseline: base, write: (t) => written.push(t) }),
    ).toBe(1);
    expect(written.join("")).toContain("note: the current run is interrupted");
    expect(written.join("")).toMatch(/1518 B\s+NDR\(0\.01%\)\s+0\.8\s+N\/A\s+MISSING/);
  });

  it("runCompare takes a result in memory (for run --baseline)", async () => {
    const dir = tempDir();
    const base = writeRunDir(dir, "base", makeResult(BASELINE));
    const written: string[] = [];
    const code = await runCompare({
      current: makeResult({ sizes: { ...BASELINE.sizes, 64: [5e6, 6e6] } }),
      baseline: base,
      write: (text) => written.push(text),
    });
    expect(code).toBe(1);
    expect(written.join("")).toContain("-50.00");
    expect(out).toEqual([]);
  });
});
