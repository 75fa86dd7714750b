import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ESLint } from "eslint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The import rules in eslint.config.mjs, run on small snippets through ESLint's own API: if a
// rule stops firing (a renamed folder, a plugin upgrade), this fails instead of lint passing.

const ROOT = path.resolve(import.meta.dirname, "..");
// Loaded by URL: the config is plain JavaScript, which the type checker does not read.
const { LAYERS } = (await import(pathToFileURL(path.join(ROOT, "eslint.config.mjs")).href)) as {
  LAYERS: string[][];
};
const eslint = new ESLint({ cwd: ROOT });
// import/no-cycle reads the linted file from disk, and the probes below exist only as text.
const withoutCycles = new ESLint({
  cwd: ROOT,
  overrideConfig: { rules: { "import/no-cycle": "off" } },
});

/** The rules a snippet breaks, as if it were the file at `filePath`. */
async function ruleIds(filePath: string, code: string, linter = withoutCycles): Promise<string[]> {
  const [result] = await linter.lintText(code, { filePath: path.join(ROOT, filePath) });
  return result!.messages.map((message) => message.ruleId ?? message.message);
}

/** A module of a layer to import: the layer's own file, or the first non-test module in its folder. */
function moduleOf(folder: string): string {
  if (/\.tsx?$/.test(folder)) return folder.replace(/\.tsx?$/, "");
  const entries = readdirSync(path.join(ROOT, folder)).sort();
  const file = entries.find(
    (name) =>
      /\.tsx?$/.test(name) &&
      !name.includes(".test.") &&
      statSync(path.join(ROOT, folder, name)).isFile(),
  );
  if (file) return `${folder}/${file.replace(/\.tsx?$/, "")}`;
  const sub = entries.find((name) => statSync(path.join(ROOT, folder, name)).isDirectory());
  if (!sub) throw new Error(`No module in ${folder}`);
  return moduleOf(`${folder}/${sub}`);
}

/** Where a probe file of this layer goes. */
function fileIn(folder: string): string {
  return /\.tsx?$/.test(folder) ? folder : `${folder}/probe.ts`;
}

describe("the layers (LAYERS in eslint.config.mjs)", () => {
  const pairs = LAYERS.slice(1).flatMap((layer, index) =>
    LAYERS[index]!.flatMap((lower) => layer.map((higher) => [lower, higher] as const)),
  );

  it.each(pairs)("refuses %s importing %s, and allows the reverse", async (lower, higher) => {
    const up = await ruleIds(fileIn(lower), `export * from "@/${moduleOf(higher)}";\n`);
    expect(up).toContain("import/no-restricted-paths");
    const down = await ruleIds(fileIn(higher), `export * from "@/${moduleOf(lower)}";\n`);
    expect(down).not.toContain("import/no-restricted-paths");
  });

  it("refuses a neighbour in the same layer, written as a relative path too", async () => {
    expect(await ruleIds("lib/notify/probe.ts", 'export * from "../audit/log";\n')).toContain(
      "import/no-restricted-paths",
    );
    expect(await ruleIds("lib/mfa/probe.ts", 'export * from "../auth/users";\n')).toContain(
      "import/no-restricted-paths",
    );
  });

  it("keeps lib/testing out of the product, but not out of tests", async () => {
    const code = 'export * from "@/lib/testing/test-database";\n';
    expect(await ruleIds("lib/auth/probe.ts", code)).toContain("import/no-restricted-paths");
    expect(await ruleIds("lib/auth/probe.test.ts", code)).not.toContain(
      "import/no-restricted-paths",
    );
  });

  it("lets tests drive the stack from above", async () => {
    const code = 'export * from "@/lib/auth/users";\n';
    expect(await ruleIds("lib/db/probe.test.ts", code)).toEqual([]);
  });
});

describe("app/ and components/ and the database", () => {
  const cases: [string, string][] = [
    ["app/probe.ts", 'import { eq } from "drizzle-orm";\nexport const a = eq;\n'],
    [
      "components/probe.tsx",
      'import { alias } from "drizzle-orm/pg-core";\nexport const a = alias;\n',
    ],
    ["app/probe.ts", 'import { users } from "@/lib/db/schema";\nexport const a = users;\n'],
    ["app/x/probe.ts", 'import { users } from "../../lib/db/schema";\nexport const a = users;\n'],
    ["app/probe.ts", 'import { migrate } from "@/lib/db/migrate";\nexport const a = migrate;\n'],
    [
      "app/probe.ts",
      'import { installDatabase } from "@/lib/db/client";\nexport const a = installDatabase;\n',
    ],
  ];

  it.each(cases)("refuses %s: %s", async (filePath, code) => {
    const ids = await ruleIds(filePath, code);
    expect(
      ids.some((id) => id === "no-restricted-imports" || id === "import/no-restricted-paths"),
    ).toBe(true);
  });

  it("lets an action hand the database to lib", async () => {
    const code =
      'import { getDb, type Executor } from "@/lib/db/client";\n' +
      "export const run = async (change: (db: Executor) => Promise<void>) =>\n" +
      "  change(await getDb());\n";
    expect(await ruleIds("app/probe.ts", code)).toEqual([]);
  });

  it("refuses a transaction opened in app/: the use case in lib owns it", async () => {
    const code =
      'import { getDb } from "@/lib/db/client";\n' +
      "export const run = async () => (await getDb()).transaction(async () => {});\n";
    expect(await ruleIds("app/probe.ts", code)).toContain("no-restricted-syntax");
    expect(await ruleIds("lib/auth/probe.ts", code)).toEqual([]);
  });

  it("leaves lib free to query", async () => {
    const code = 'import { eq } from "drizzle-orm";\nexport const a = eq;\n';
    expect(await ruleIds("lib/mfa/probe.ts", code)).toEqual([]);
  });
});

describe("import cycles", () => {
  // import/no-cycle reads the files from disk, so the cycle has to exist there.
  const folder = path.join(ROOT, "lib", `cycle-probe-${process.pid}`);

  beforeAll(() => {
    mkdirSync(folder);
    writeFileSync(
      path.join(folder, "b.ts"),
      'import { a } from "./a";\nexport const b = () => a;\n',
    );
    writeFileSync(
      path.join(folder, "a.ts"),
      'import { b } from "./b";\nexport const a = () => b;\n',
    );
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("refuses two modules that import each other", async () => {
    const ids = await ruleIds(
      path.relative(ROOT, path.join(folder, "a.ts")),
      'import { b } from "./b";\nexport const a = () => b;\n',
      eslint,
    );
    expect(ids).toContain("import/no-cycle");
  });

  it("allows a type-only import back", async () => {
    writeFileSync(
      path.join(folder, "b.ts"),
      'import type { a } from "./a";\nexport const b = (f: typeof a) => f;\n',
    );
    const ids = await ruleIds(
      path.relative(ROOT, path.join(folder, "a.ts")),
      'import { b } from "./b";\nexport const a = () => b;\n',
      eslint,
    );
    expect(ids).not.toContain("import/no-cycle");
  });
});
