import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** Where a lane keeps the errors of a failed unit run, for the closing summary to repeat. */
export const UNIT_ERRORS_FILE = "unit-errors.txt";

export type Counts = { passed: number; failed: number; skipped: number };

type VitestReport = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: {
    name: string;
    status: string;
    message: string;
    assertionResults: { status: string }[];
  }[];
};

/**
 * Counts from a vitest JSON report. A test file that failed with none of its tests failing (a
 * hook that threw or timed out, a file that did not load) counts as one failure: its tests did
 * not all run as written.
 */
export function vitestCounts(file: string): Counts {
  const report = JSON.parse(readFileSync(file, "utf8")) as VitestReport;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + failedFilesWithoutFailedTests(report).length,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

/** The files whose failure no failed test accounts for, with vitest's message. */
function failedFilesWithoutFailedTests(report: VitestReport): string[] {
  return report.testResults
    .filter(
      (result) =>
        result.status === "failed" && !result.assertionResults.some((t) => t.status === "failed"),
    )
    .map((result) => `${result.name}: ${result.message.split("\n")[0]}`);
}

/** Counts from a Playwright JSON report; a flaky pass is not a pass. */
export function playwrightCounts(file: string): Counts {
  const { stats } = JSON.parse(readFileSync(file, "utf8")) as {
    stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  };
  return { passed: stats.expected, failed: stats.unexpected + stats.flaky, skipped: stats.skipped };
}

/** Sums every report under a results folder (one sub-folder per lane). */
export function sumReports(root: string): Counts {
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  if (!existsSync(root)) return total;
  for (const lane of readdirSync(root)) {
    for (const [name, read] of [
      ["vitest.json", vitestCounts],
      ["playwright.json", playwrightCounts],
    ] as const) {
      const file = path.join(root, lane, name);
      if (!existsSync(file)) continue;
      const counts = read(file);
      total.passed += counts.passed;
      total.failed += counts.failed;
      total.skipped += counts.skipped;
    }
  }
  return total;
}

/** The closing line CI reads. */
export function closingLine({ passed, failed, skipped }: Counts): string {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}
