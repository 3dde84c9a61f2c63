/**
 * YAML/JSON input files of the emulator (DUT specs, fault plans): parsed with positions, so
 * every complaint is one line `file:line:column: message` instead of the yaml library's code
 * frame or stack trace.
 */
import { readFileSync } from "node:fs";
import {
  LineCounter,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Pair,
  type YAMLMap,
} from "yaml";

/** A parsed file: its value and where each part of it was written. */
export interface YamlFile {
  value: unknown;
  /**
   * `file:line:column` of the value at `path`, or of its key with `key` (of the file when the
   * path is not there).
   */
  where(path: ReadonlyArray<string | number>, key?: "key"): string;
}

/** Makes the error a caller throws (each file kind has its own class). */
export type ErrorFactory = (message: string) => Error;

/** Reads a file; ENOENT and other read errors become one line naming the file and errno. */
export function readTextFile(file: string, fail: ErrorFactory): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw fail(`${file}: cannot read (${e.code ?? e.message})`);
  }
}

/** Parses YAML (JSON is YAML) text of `file`; a syntax error throws one line with its position. */
export function parseYamlText(text: string, file: string, fail: ErrorFactory): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number): string => {
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const [error] = doc.errors;
  if (error) throw fail(`${at(error.pos[0])}: ${firstLine(error.message)}`);
  let value: unknown;
  try {
    // toJS resolves aliases (and refuses alias bombs: maxAliasCount).
    value = doc.toJS();
  } catch (err) {
    throw fail(`${file}: ${firstLine((err as Error).message)}`);
  }
  return {
    value,
    where(path, key) {
      const node = key ? keyNode(doc, path) : nodeAt(doc.contents, path);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      return range ? at(range[0]) : `${file}:1:1`;
    },
  };
}

/**
 * The node at `path`. A mapping key matches by its text, so `9216:` in YAML (a number) is found
 * by the "9216" that the parsed object holds, as JSON's string key is.
 */
function nodeAt(node: unknown, path: ReadonlyArray<string | number>): unknown {
  let at = node;
  for (const step of path) {
    if (isMap(at)) at = pairOf(at, step)?.value;
    else if (isSeq(at)) at = at.items[Number(step)];
    else return undefined;
  }
  return at;
}

function pairOf(map: YAMLMap, step: string | number): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === String(step));
}

/** The key node of the last element of `path` in its mapping. */
function keyNode(doc: Document, path: ReadonlyArray<string | number>): unknown {
  const parent = nodeAt(doc.contents, path.slice(0, -1));
  return isMap(parent) ? pairOf(parent, path[path.length - 1])?.key : undefined;
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}
