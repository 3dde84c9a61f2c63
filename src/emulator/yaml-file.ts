/**
 * YAML/JSON input files of the emulator (DUT specs, fault plans): parsed with positions, so
 * every complaint is one line `file:line:column: message` instead of the yaml library's code
 * frame or stack trace.
 */
import { readFileSync } from "node:fs";
import { LineCounter, isMap, isScalar, parseDocument, type Document } from "yaml";

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
      const node = key ? keyNode(doc, path) : path.length ? doc.getIn(path, true) : doc.contents;
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      return range ? at(range[0]) : `${file}:1:1`;
    },
  };
}

/** The key node of the last element of `path` in its mapping. */
function keyNode(doc: Document, path: ReadonlyArray<string | number>): unknown {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  return parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key;
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}
