import next from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.dirname(fileURLToPath(import.meta.url));

// Sign-out clears the portal's cookies and the HTTP cache, not the origin's storage, which also
// holds the Authenticator app (docs/decisions/0003): the portal's pages must keep nothing there.
const BROWSER_STORAGE = ["localStorage", "sessionStorage", "indexedDB", "caches"];
const STORAGE_MESSAGE =
  "The portal keeps nothing in the browser's storage: sign-out would leave it behind for the next person (docs/decisions/0003, R-A12.10).";

// Layers, lowest first. Code may import its own folder and any layer below it; never a layer
// above, nor a neighbour in its own layer (they stay independent). A piece two layers share moves
// down; a step a lower layer needs from a higher one is passed in by the caller.
export const LAYERS = [
  ["lib/env.ts", "lib/clock.ts", "lib/types", "lib/actions"], // configuration, time, shared shapes
  ["lib/db"], // schema, client, migrations
  ["lib/security"], // primitives: throttle, sealing, tokens, passwords, request headers
  ["lib/settings"], // the administrator's settings and the policy built on them
  ["lib/audit", "lib/notify"], // the audit trail; message delivery only
  ["lib/activity", "lib/cases"], // sign-in events and risk; a person's report to the helpdesk
  ["lib/apps"], // the organisation's apps: their registrations and the sessions people have at them
  ["lib/mfa"], // the methods
  ["lib/auth"], // sign-in, sessions, password changes, securing an account
  ["lib/admin", "lib/demo"], // the helpdesk console; the demo organisation
  ["lib/oidc"], // the OpenID Connect provider: a way in over the sign-in and sessions below
  ["components"],
  ["app"],
];

// What each folder may not import: the layers above it and its neighbours in its own layer.
const layerZones = LAYERS.flatMap((layer, index) =>
  layer.map((folder) => ({
    target: `./${folder}`,
    from: LAYERS.slice(index + 1)
      .flat()
      .concat(layer.filter((other) => other !== folder))
      .map((other) => `./${other}`),
    message: `${folder} may import only the layers below it, so no layer breaks the ones under it (LAYERS in eslint.config.mjs): move the shared piece down, or have the caller pass it in.`,
  })),
);

// Pages, actions and components reach the database through lib's functions: a query written in
// app/ is a rule kept in a second place, and its audit record is easily forgotten.
const DATABASE_MESSAGE =
  "app/ and components/ do not query: each rule and its audit record live once, in lib. Call (or add) a lib function and hand it getDb().";

const TESTS = ["**/*.test.ts", "**/*.test.tsx", "lib/testing/**"];

const config = [
  ...next,
  ...nextTs,
  {
    rules: {
      // A leading underscore marks a value deliberately left unused (destructured away).
      "@typescript-eslint/no-unused-vars": [
        "warn",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    // The phone app (app/authenticator) is apart: its calls are signed by its device key and
    // never read the portal's session, and its keys live in IndexedDB on purpose.
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    ignores: ["app/authenticator/**"],
    rules: {
      "no-restricted-globals": [
        "error",
        {
          name: "fetch",
          message:
            "A page's own requests use fetchInBackground (lib/security/background-request.ts), so they never keep an idle session alive (R-A12.5); what the person asks for is a link, a form or a server action.",
        },
        ...BROWSER_STORAGE.map((name) => ({
          name,
          message: STORAGE_MESSAGE,
        })),
      ],
      "no-restricted-properties": [
        "error",
        ...BROWSER_STORAGE.map((property) => ({
          object: "window",
          property,
          message: STORAGE_MESSAGE,
        })),
      ],
    },
  },
  {
    // Tests exercise the whole stack from above, so the layers bind only the code they test.
    files: ["lib/**/*.{ts,tsx}", "app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    ignores: TESTS,
    // import/no-cycle follows our own files only: parsing the packages would triple lint's time.
    settings: { "import/ignore": ["node_modules"] },
    rules: {
      // A cycle means two modules are one in two files, and its import order decides what runs.
      "import/no-cycle": ["error", { ignoreExternal: true }],
      "import/no-restricted-paths": [
        "error",
        {
          basePath: ROOT,
          zones: [
            ...layerZones,
            {
              target: ["./app", "./components"],
              from: ["./lib/db/schema.ts", "./lib/db/migrate.ts"],
              message: DATABASE_MESSAGE,
            },
            {
              target: ["./lib", "./app", "./components"],
              from: "./lib/testing",
              message:
                "lib/testing builds throwaway databases for tests; the product never runs it.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    ignores: TESTS,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "drizzle-orm", message: DATABASE_MESSAGE },
            {
              name: "@/lib/db/client",
              allowImportNames: ["getDb", "Db", "Executor", "Tx"],
              message: DATABASE_MESSAGE,
            },
          ],
          patterns: [{ group: ["drizzle-orm/*"], message: DATABASE_MESSAGE }],
        },
      ],
    },
  },
  {
    // The use case in lib/ owns the transaction (docs/architecture.md, "Where transactions open").
    // The phone app's IndexedDB transactions are another thing.
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    ignores: [...TESTS, "app/authenticator/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='transaction']",
          message:
            "app/ does not open transactions: what must commit together is one use case in lib/, which opens it (docs/architecture.md).",
        },
      ],
    },
  },
  {
    // Time comes from one clock, which tests can pin (lib/clock.ts, docs/decisions/0016-time.md).
    files: ["lib/**/*.ts"],
    ignores: [...TESTS, "lib/clock.ts", "lib/testing/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: "Read the time from clock.ms() (lib/clock.ts), so a test can pin it.",
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "Read the time from clock.now() (lib/clock.ts), so a test can pin it.",
        },
      ],
    },
  },
  {
    ignores: [
      ".next/**",
      "node_modules/**",
      "data/**",
      "drizzle/**",
      "test-results/**",
      "playwright-report/**",
      ".ci-out/**",
      "next-env.d.ts",
    ],
  },
];

export default config;
