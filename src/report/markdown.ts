/**
 * A comparison as a GitHub-flavoured Markdown table, fit for `$GITHUB_STEP_SUMMARY`, a pull
 * request comment or a Jenkins description. Verdicts are words, failures in capitals and bold,
 * so that the table reads the same in a terminal, in plain text mail and in a browser.
 */
import {
  describeRow,
  formatChangePct,
  formatMpps,
  isRegression,
  thresholdTag,
  type Comparison,
  type Verdict,
} from "./compare.ts";

/** The verdict column: failures stand out without relying on colour or emoji. */
export function verdictMarker(verdict: Verdict): string {
  switch (verdict) {
    case "regressed":
      return "**REGRESSED**";
    case "missing":
      return "**MISSING**";
    case "improved":
      return "improved";
    case "ok":
      return "ok";
    case "new":
      return "new";
    case "n/a":
      return "n/a";
    case "inconclusive":
      return "inconclusive";
  }
}

// Control characters other than line breaks have no place in a summary; reasons come from files.
// eslint-disable-next-line no-control-regex
const INVALID_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Text safe inside a table cell: no column breaks, no line breaks, no stray markup. */
export function escapeCell(text: string): string {
  return text
    .replace(INVALID_CHARS, "")
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;"))
    .replace(/([*_`[\]])/g, "\\$1")
    .replace(/\s*[\r\n]+\s*/g, " ");
}

function headline(comparison: Comparison): string {
  const failed = comparison.counts.regressed + comparison.counts.missing;
  const profile = escapeCell(comparison.profile);
  if (failed === 0) {
    const { improved, inconclusive } = comparison.counts;
    const extra = [
      ...(improved ? [`${improved} improved`] : []),
      ...(inconclusive ? [`${inconclusive} inconclusive`] : []),
    ];
    return `### autotrex compare: ${profile}: no regression${extra.length ? ` (${extra.join(", ")})` : ""}`;
  }
  const parts = [];
  if (comparison.counts.regressed) parts.push(`${comparison.counts.regressed} regressed`);
  if (comparison.counts.missing) parts.push(`${comparison.counts.missing} missing`);
  return `### autotrex compare: ${profile}: REGRESSION (${parts.join(", ")})`;
}

function speed(speedBps: number): string {
  return speedBps >= 1e9 ? `${speedBps / 1e9} Gb/s` : `${speedBps / 1e6} Mb/s`;
}

/** The Markdown summary of a comparison: a headline, the runs compared, the table. */
export function comparisonMarkdown(comparison: Comparison): string {
  const { current, baseline } = comparison;
  const lines = [
    headline(comparison),
    "",
    `Current run ${escapeCell(current.startedAt)} (${escapeCell(current.server)}, ${current.status}) ` +
      `against baseline ${escapeCell(baseline.startedAt)} (${escapeCell(baseline.server)}, ${baseline.status}); ` +
      `${speed(comparison.speedBps)} ports, tolerance ${comparison.tolerancePct} %.`,
    "",
    "| Frame size | Threshold | Baseline Mpps | Current Mpps | Change % | Verdict |",
    "| ---: | :--- | ---: | ---: | ---: | :--- |",
    ...comparison.rows.map((row) =>
      [
        "",
        `${row.frameSize} B`,
        escapeCell(thresholdTag(row)),
        formatMpps(row.baselineRatePps),
        formatMpps(row.currentRatePps),
        formatChangePct(row.changePct),
        verdictMarker(row.verdict),
        "",
      ]
        .join(" | ")
        .trim(),
    ),
  ];
  const failures = comparison.rows.filter((r) => isRegression(r.verdict));
  const notes = comparison.rows.filter((r) => r.reason && !isRegression(r.verdict));
  if (failures.length > 0) {
    lines.push("", "Failures:", "");
    for (const row of failures) lines.push(`- ${escapeCell(describeRow(comparison, row))}`);
  }
  if (notes.length > 0) {
    lines.push("", "Notes:", "");
    for (const row of notes) lines.push(`- ${escapeCell(describeRow(comparison, row))}`);
  }
  lines.push("");
  return lines.join("\n");
}
