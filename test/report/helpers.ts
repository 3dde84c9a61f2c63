import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, vi } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { l1Bps, l2Bps, lineRatePps } from "../../src/rate/line-rate.ts";
import {
  RESULT_SCHEMA_VERSION,
  type RunResult,
  type SizeResult,
  type Threshold,
} from "../../src/report/result.ts";
import { thresholdsOf } from "./fixtures.ts";

/** Per frame size: a rate (pps) per threshold, null where that threshold found none; or "n/a". */
export type SizeSpec = Array<number | null> | "n/a" | "failed";

export interface ResultSpec {
  profile?: string;
  speedBps?: number;
  /** Percentages (named as plain --loss-threshold values are) or named thresholds. */
  thresholds?: ReadonlyArray<number | Threshold>;
  startedAt?: string;
  dut?: string;
  sizes: Record<number, SizeSpec>;
}

/** A result.json as the runner writes it, with the rates given. */
export function makeResult(spec: ResultSpec): RunResult {
  const speedBps = spec.speedBps ?? 10e9;
  const thresholds = thresholdsOf(spec.thresholds ?? [0.01, 0.5]);
  const sizes: SizeResult[] = Object.entries(spec.sizes).map(([key, value]) => {
    const frameSize = Number(key);
    const linePps = lineRatePps(speedBps, frameSize);
    const theoretical = {
      ratePps: linePps,
      l1Bps: l1Bps(linePps, frameSize),
      l2Bps: l2Bps(linePps, frameSize),
    };
    if (value === "n/a" || value === "failed") {
      return {
        frameSize,
        status: value,
        reason: value === "n/a" ? "frame too small for the headers" : "server <error> & co",
        theoretical,
        results: [],
        trialCount: 0,
        trialSeconds: 0,
      };
    }
    return {
      frameSize,
      status: "ok",
      theoretical,
      results: value.flatMap((ratePps, i) =>
        // a rate beyond the run's thresholds is not part of it
        ratePps === null || i >= thresholds.length
          ? []
          : [
              {
                threshold: thresholds[i].name,
                ratePps,
                l1Bps: l1Bps(ratePps, frameSize),
                l2Bps: l2Bps(ratePps, frameSize),
                lossRatio: 0,
                lineRateLimited: ratePps >= linePps,
              },
            ],
      ),
      trialCount: 9,
      trialSeconds: 270,
    };
  });
  const startedAt = spec.startedAt ?? "2025-11-20T02:00:00.000Z";
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: "autotrex", version: "0.1.0" },
    profile: { name: spec.profile ?? "tcp_1pkt", description: "one TCP packet" },
    server: {
      address: "tcp://127.0.0.1:4501",
      kind: "emulator",
      version: "v3.08",
      dut: spec.dut ?? "default",
    },
    speedBps,
    startedAt,
    finishedAt: startedAt,
    status: "complete",
    parameters: {
      profilePath: `profiles/${spec.profile ?? "tcp_1pkt"}.ts`,
      sizes: Object.keys(spec.sizes).map(Number),
      durationS: 30,
      thresholds,
      encapOverhead: 0,
      txPort: 0,
      rxPort: 1,
      bidirectional: false,
      latencyPps: null,
      search: "mlr",
      server: null,
      emulate: { dut: spec.dut ?? "default", timeScale: 0, seed: 1 },
    },
    sizes,
  };
}

export function tempDir(prefix = "autotrex-report-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a run directory holding result.json; returns its path. */
export function writeRunDir(parent: string, name: string, result: RunResult): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "result.json"), JSON.stringify(result, null, 2));
  return dir;
}

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function unescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number(entity.slice(1)));
    const value = ENTITIES[entity];
    if (value === undefined) throw new Error(`unknown entity ${whole}`);
    return value;
  });
}

/**
 * A strict little XML parser for the documents under test: one root element, properly nested
 * and closed tags, quoted attributes without duplicates, no bare `<` or `&` in text or values.
 * Throws on anything malformed.
 */
export function parseXml(xml: string): XmlElement {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(
      `malformed XML at ${pos}: ${what}: ${JSON.stringify(xml.slice(pos, pos + 40))}`,
    );
  };
  const skipSpace = () => {
    while (pos < xml.length && /\s/.test(xml[pos])) pos++;
  };
  const textUntilTag = (): string => {
    const end = xml.indexOf("<", pos);
    const raw = xml.slice(pos, end === -1 ? xml.length : end);
    if (/&(?!(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);)/.test(raw)) fail("bare &");
    if (raw.includes(">")) fail("bare > in text");
    pos = end === -1 ? xml.length : end;
    return unescape(raw);
  };
  const element = (): XmlElement => {
    if (xml[pos] !== "<") fail("expected <");
    pos++;
    const name = /^[A-Za-z_][\w.-]*/.exec(xml.slice(pos))?.[0] ?? fail("element name");
    pos += name.length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = pos;
      skipSpace();
      if (xml.startsWith("/>", pos)) {
        pos += 2;
        return { name, attributes, children: [], text: "" };
      }
      if (xml[pos] === ">") {
        pos++;
        break;
      }
      if (pos === before) fail("space before attribute");
      const attr = /^([A-Za-z_][\w.:-]*)="([^"<]*)"/.exec(xml.slice(pos)) ?? fail("attribute");
      if (attr[1] in attributes) fail(`duplicate attribute ${attr[1]}`);
      if (/&(?!(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);)/.test(attr[2])) fail("bare & in attribute");
      attributes[attr[1]] = unescape(attr[2]);
      pos += attr[0].length;
    }
    const children: XmlElement[] = [];
    let text = "";
    for (;;) {
      text += textUntilTag();
      if (pos >= xml.length) fail(`unclosed <${name}>`);
      if (xml.startsWith("</", pos)) {
        const close = `</${name}>`;
        if (!xml.startsWith(close, pos)) fail(`expected ${close}`);
        pos += close.length;
        return { name, attributes, children, text };
      }
      children.push(element());
    }
  };
  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!declaration) fail("XML declaration");
  pos = declaration![0].length;
  skipSpace();
  const root = element();
  skipSpace();
  if (pos !== xml.length) fail("content after the root element");
  return root;
}

/** Direct children of an element with the given name. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/**
 * Captures what a CLI command writes to stdout and stderr during each test of the enclosing
 * describe block; the returned arrays are emptied before every test.
 */
export function captureStdio(): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  beforeEach(() => {
    out.length = 0;
    err.length = 0;
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return { out, err };
}
