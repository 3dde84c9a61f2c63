/**
 * A comparison as JUnit XML, the format Jenkins (junit step), GitHub Actions test reporters and
 * GitLab read: one testsuite, one testcase per frame size × loss threshold. A regression or a
 * result gone missing is a <failure> carrying both values and the change; a size without a
 * result in either run is <skipped>.
 */
import {
  describeRow,
  formatThresholds,
  isRegression,
  rowName,
  type Comparison,
  type ComparisonRow,
} from "./compare.ts";

// XML 1.0 forbids most control characters even when escaped; reasons come from result.json.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text safe inside an XML attribute value (double-quoted) or element content. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\r/g, "&#13;")
    .replace(/\n/g, "&#10;")
    .replace(/\t/g, "&#9;");
}

/** Element content: line breaks kept as they are, so the details stay readable. */
function escapeText(text: string): string {
  return escapeXml(text).replace(/&#10;/g, "\n");
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escapeXml(String(value))}"`)
    .join("");
}

/** JUnit's timestamp: ISO 8601 local time without zone (UTC here), as Ant writes it. */
function junitTimestamp(iso: string): string | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date.toISOString().slice(0, 19);
}

function testcase(comparison: Comparison, row: ComparisonRow): string {
  const head = `    <testcase${attributes({
    classname: `autotrex.${comparison.profile}`,
    name: rowName(comparison, row),
    time: 0,
  })}`;
  const line = describeRow(comparison, row);
  if (isRegression(row.verdict)) {
    const type = row.verdict === "missing" ? "missing" : "regression";
    return (
      `${head}>\n` +
      `      <failure${attributes({ message: line, type })}>${escapeText(details(comparison, row))}</failure>\n` +
      `    </testcase>`
    );
  }
  if (row.verdict === "n/a" || row.verdict === "inconclusive") {
    return `${head}>\n      <skipped${attributes({ message: line })}/>\n    </testcase>`;
  }
  return `${head}>\n      <system-out>${escapeText(`${row.verdict}: ${line}`)}</system-out>\n    </testcase>`;
}

function details(comparison: Comparison, row: ComparisonRow): string {
  return [
    describeRow(comparison, row),
    `verdict: ${row.verdict}`,
    `current run: ${comparison.current.startedAt} (${comparison.current.server})`,
    `baseline run: ${comparison.baseline.startedAt} (${comparison.baseline.server})`,
  ].join("\n");
}

/** The JUnit XML document of a comparison. */
export function junitXml(comparison: Comparison, suiteName = "autotrex compare"): string {
  const tests = comparison.rows.length;
  const failures = comparison.rows.filter((r) => isRegression(r.verdict)).length;
  const skipped = comparison.counts["n/a"] + comparison.counts.inconclusive;
  const timestamp = junitTimestamp(comparison.current.startedAt);
  const suite = {
    name: `${suiteName}: ${comparison.profile}`,
    tests,
    failures,
    errors: 0,
    skipped,
    time: 0,
    ...(timestamp ? { timestamp } : {}),
  };
  const properties = {
    profile: comparison.profile,
    speedBps: comparison.speedBps,
    thresholds: formatThresholds(comparison.thresholds),
    tolerancePct: comparison.tolerancePct,
    "current.startedAt": comparison.current.startedAt,
    "current.server": comparison.current.server,
    "current.status": comparison.current.status,
    "baseline.startedAt": comparison.baseline.startedAt,
    "baseline.server": comparison.baseline.server,
    "baseline.status": comparison.baseline.status,
  };
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites${attributes({ name: suiteName, tests, failures, errors: 0, skipped, time: 0 })}>`,
    `  <testsuite${attributes(suite)}>`,
    `    <properties>`,
    ...Object.entries(properties).map(
      ([name, value]) => `      <property${attributes({ name, value })}/>`,
    ),
    `    </properties>`,
    ...comparison.rows.map((row) => testcase(comparison, row)),
    `  </testsuite>`,
    `</testsuites>`,
    ``,
  ].join("\n");
}
