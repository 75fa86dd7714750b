import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { closingLine, sumReports, UNIT_ERRORS_FILE } from "./test-results";

// Prints one closing line summing every lane's reports under the given folder (default .ci-out),
// after repeating the errors of any unit run that failed: the end of CI's log is what gets read.
const root = process.argv[2] ?? ".ci-out";
for (const lane of existsSync(root) ? readdirSync(root) : []) {
  const errors = path.join(root, lane, UNIT_ERRORS_FILE);
  if (existsSync(errors))
    console.log(`\nLane ${lane}, unit suite:\n${readFileSync(errors, "utf8")}`);
}
const total = sumReports(root);
console.log(closingLine(total));
process.exit(total.passed + total.failed === 0 ? 1 : 0);
