import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Every requirement id cited in the code, tests and docs must resolve to docs/security.md: an
// `R-A<n>.<m>` to a table row, a bare `R-A<n>` to the section "### A<n>.", and a range
// (`R-A<n>.<m>–R-A<n>.<k>`, or `R-A<n>.<m>-<n>.<k>`) by both of its ends.

const ROOT = path.resolve(import.meta.dirname, "..");
const DOC = "docs/security.md";
const SCANNED = [
  "app",
  "lib",
  "e2e",
  "scripts",
  "components",
  "docs",
  "README.md",
  "BENCHMARKS.md",
  ".env.example",
  "server.ts",
  "instrumentation.ts",
];
const SKIPPED_FOLDERS = new Set(["node_modules", ".next"]);
const TEXT_FILE = /\.(ts|tsx|mts|mjs|js|md|css|txt|json|sql|example)$/;

/** Repository-relative paths of the text files to scan. */
function scannedFiles(): string[] {
  const files: string[] = [];
  for (const entry of SCANNED) {
    const full = path.join(ROOT, entry);
    let stats;
    try {
      stats = statSync(full);
    } catch {
      continue;
    }
    if (stats.isFile()) {
      files.push(entry);
      continue;
    }
    for (const relative of readdirSync(full, { recursive: true, encoding: "utf8" })) {
      const file = path.join(entry, relative).split(path.sep).join("/");
      if (file.split("/").some((part) => SKIPPED_FOLDERS.has(part))) continue;
      if (file === DOC || !TEXT_FILE.test(file)) continue;
      if (statSync(path.join(ROOT, file)).isFile()) files.push(file);
    }
  }
  return files;
}

const ID = String.raw`R-A(\d+)\.(\d+)`;
const RANGE = new RegExp(String.raw`${ID}\s*[–—-]\s*(?:R-A)?(\d+)\.(\d+)`, "g");
const SINGLE = new RegExp(ID, "g");
const GROUP = /R-A(\d+)(?!\d|\.\d)/g;

type Citations = Map<string, string[]>;

function cite(citations: Citations, key: string, where: string): void {
  const list = citations.get(key) ?? [];
  if (!list.includes(where)) list.push(where);
  citations.set(key, list);
}

/** Every cited id and group, each with the `file:line` places citing it. */
function findCitations(): { ids: Citations; groups: Citations } {
  const ids: Citations = new Map();
  const groups: Citations = new Map();
  for (const file of scannedFiles()) {
    const lines = readFileSync(path.join(ROOT, file), "utf8").split("\n");
    lines.forEach((line, index) => {
      const where = `${file}:${index + 1}`;
      for (const m of line.matchAll(SINGLE)) cite(ids, `R-A${m[1]}.${m[2]}`, where);
      for (const m of line.matchAll(RANGE)) cite(ids, `R-A${m[3]}.${m[4]}`, where);
      for (const m of line.matchAll(GROUP)) cite(groups, `R-A${m[1]}`, where);
    });
  }
  return { ids, groups };
}

const doc = readFileSync(path.join(ROOT, DOC), "utf8");
const documentedIds = new Set([...doc.matchAll(/^\|\s*(R-A\d+\.\d+)\s*\|/gm)].map((m) => m[1]));
const documentedGroups = new Set([...doc.matchAll(/^#{2,4} A(\d+)\. /gm)].map((m) => `R-A${m[1]}`));
const { ids, groups } = findCitations();

function missing(citations: Citations, documented: Set<string | undefined>): string[] {
  return [...citations]
    .filter(([key]) => !documented.has(key))
    .map(([key, places]) => `${key} cited in ${places.join(", ")}`)
    .sort();
}

describe(`${DOC}`, () => {
  it("finds the citations it checks", () => {
    expect(ids.size).toBeGreaterThan(50);
  });

  it("has a table row for every requirement id cited in the repository", () => {
    expect(missing(ids, documentedIds)).toEqual([]);
  });

  it("has a section for every group cited bare", () => {
    expect(missing(groups, documentedGroups)).toEqual([]);
  });

  it("files every documented id under its own group's section", () => {
    const misplaced: string[] = [];
    let section = "";
    for (const line of doc.split("\n")) {
      section = /^#{2,4} A(\d+)\. /.exec(line)?.[1] ?? section;
      const id = /^\|\s*R-A(\d+)\.\d+\s*\|/.exec(line)?.[1];
      if (id !== undefined && id !== section) misplaced.push(line.slice(0, 40));
    }
    expect(misplaced).toEqual([]);
  });

  it("lists each id once", () => {
    const rows = [...doc.matchAll(/^\|\s*(R-A\d+\.\d+)\s*\|/gm)].map((m) => m[1]);
    expect(rows.filter((id, i) => rows.indexOf(id) !== i)).toEqual([]);
  });
});
