import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { vitestCounts } from "./test-results";

function report(files: { status: string; tests: string[] }[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "factor-report-")), "vitest.json");
  const tests = files.flatMap((f) => f.tests);
  writeFileSync(
    file,
    JSON.stringify({
      numPassedTests: tests.filter((t) => t === "passed").length,
      numFailedTests: tests.filter((t) => t === "failed").length,
      numPendingTests: tests.filter((t) => t === "skipped").length,
      numTodoTests: 0,
      testResults: files.map((f, i) => ({
        name: `file${i}.test.ts`,
        status: f.status,
        message: f.status === "failed" ? "hook failed" : "",
        assertionResults: f.tests.map((status) => ({ status })),
      })),
    }),
  );
  return file;
}

describe("the closing line's counts", () => {
  it("counts a file whose hook failed while all its tests passed as one failure", () => {
    const counts = vitestCounts(
      report([
        { status: "passed", tests: ["passed", "skipped"] },
        { status: "failed", tests: ["passed", "passed"] },
      ]),
    );
    expect(counts).toEqual({ passed: 3, failed: 1, skipped: 1 });
  });

  it("does not count a file twice when its failed tests already say so", () => {
    const counts = vitestCounts(report([{ status: "failed", tests: ["failed", "passed"] }]));
    expect(counts).toEqual({ passed: 1, failed: 1, skipped: 0 });
  });
});
