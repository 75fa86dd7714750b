import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// Each test file gets its own data folder, so generated secrets never land in the checkout.
process.env.DATA_DIR ??= mkdtempSync(path.join(tmpdir(), "factor-test-"));
