import { closingLine, sumReports } from "./test-results";

// Prints one closing line summing every lane's reports under the given folder (default .ci-out).
const total = sumReports(process.argv[2] ?? ".ci-out");
console.log(closingLine(total));
process.exit(total.passed + total.failed === 0 ? 1 : 0);
