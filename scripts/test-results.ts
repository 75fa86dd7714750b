import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export type Counts = { passed: number; failed: number; skipped: number };

/** Counts from a vitest JSON report. */
export function vitestCounts(file: string): Counts {
  const report = JSON.parse(readFileSync(file, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests,
    skipped: report.numPendingTests + report.numTodoTests,
  };
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
