/**
 * The layering of docs/architecture.md, checked on every relative import in src: each layer
 * imports only what its row allows, and no file imports itself round a cycle. A new edge is a
 * decision: make it in the table below and in the document together.
 */
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

/** Layer → what it may import: a layer, or "layer/file" for one file of it. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  rate: [],
  packet: [],
  vm: [],
  search: ["rate"],
  trex: ["vm"],
  emulator: ["rate", "packet", "trex/protocol.ts"],
  // worker-entry.js loads the compiled public API in the worker (docs/architecture.md).
  profile: ["packet", "vm", "rate", "trex/protocol.ts", "index"],
  report: ["rate", "search"],
  runner: ["trex", "search", "report", "profile", "packet", "rate"],
  session: ["trex", "emulator", "report", "runner/exit-code.ts", "runner/types.ts"],
  agent: ["session", "runner", "report", "search", "profile", "rate"],
  cli: ["*"],
  index: ["packet", "vm", "profile", "rate"],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|js)$/.test(f))
    .map((f) => join(dir, f));
}

/** "runner" for src/runner/x.ts, "index" for src/index.ts. */
function layerOf(file: string): string {
  const [first, ...rest] = relative(SRC, file).split("/");
  return rest.length > 0 ? first : first.replace(/\.(ts|js)$/, "");
}

/** The file a relative specifier names (a compiled `.js` name stands for its `.ts` source). */
function target(from: string, specifier: string): string {
  let path = normalize(join(dirname(from), specifier));
  if (!existsSync(path) && path.endsWith(".js")) path = path.replace(/\.js$/, ".ts");
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, "index.ts");
  return path;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from|import\()\s*["'](\.[^"']+)["']/g)].map((m) => m[1]);
  return specifiers.map((s) => target(file, s));
}

const FILES = sourceFiles(SRC);
const GRAPH = new Map(FILES.map((f) => [f, importsOf(f)]));

function allowed(from: string, to: string): boolean {
  const rules = ALLOWED[layerOf(from)] ?? [];
  const layer = layerOf(to);
  const file = relative(SRC, to);
  return rules.some((r) => r === "*" || r === layer || r === file) || layer === layerOf(from);
}

/** Files that reach themselves again: Tarjan's strongly connected components of size > 1. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      component.push(relative(SRC, w));
      if (w === v) break;
    }
    if (component.length > 1) found.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("the layers of docs/architecture.md", () => {
  it("every file of src belongs to a layer of the table", () => {
    expect(FILES.length).toBeGreaterThan(100);
    expect([...new Set(FILES.map(layerOf))].filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  it("each layer imports only what its row allows", () => {
    const against = [...GRAPH].flatMap(([from, targets]) =>
      targets
        .filter((to) => !allowed(from, to))
        .map((to) => `${relative(SRC, from)} → ${relative(SRC, to)}`),
    );
    expect(against).toEqual([]);
  });

  it("no import cycle between files", () => {
    expect(cycles(GRAPH)).toEqual([]);
  });

  it("the check sees a forbidden edge and a cycle (it can fail)", () => {
    const runner = join(SRC, "runner/runner.ts");
    expect(allowed(runner, join(SRC, "emulator/index.ts"))).toBe(false);
    expect(allowed(join(SRC, "session/session.ts"), join(SRC, "runner/runner.ts"))).toBe(false);
    const [a, b] = [join(SRC, "rate/a.ts"), join(SRC, "rate/b.ts")];
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toHaveLength(1);
  });
});
