/**
 * bench/REPORT.md: one "## name" section per bench, each rewritten in place by its own bench
 * so that the figures of the others stay as they were.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const REPORT_PATH = fileURLToPath(new URL("./REPORT.md", import.meta.url));

/** Replaces (or appends) the section that starts with `## <name>`; `markdown` includes that heading. */
export function writeReportSection(name: string, markdown: string, path = REPORT_PATH): void {
  const heading = `## ${name}`;
  const old = existsSync(path) ? readFileSync(path, "utf8") : "# Bench report\n";
  const start = old.indexOf(`${heading}\n`);
  let next: string;
  if (start < 0) {
    next = `${old.trimEnd()}\n\n${markdown}`;
  } else {
    const after = old.indexOf("\n## ", start + heading.length);
    next = old.slice(0, start) + markdown.trimEnd() + "\n" + (after < 0 ? "" : old.slice(after));
  }
  writeFileSync(path, next.endsWith("\n") ? next : `${next}\n`);
}
