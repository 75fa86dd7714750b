import next from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// Sign-out clears the portal's cookies and the HTTP cache, not the origin's storage, which also
// holds the Authenticator app (docs/decisions/0003): the portal's pages must keep nothing there.
const BROWSER_STORAGE = ["localStorage", "sessionStorage", "indexedDB", "caches"];
const STORAGE_MESSAGE =
  "The portal keeps nothing in the browser's storage: sign-out would leave it behind for the next person (docs/decisions/0003, R-A12.10).";

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
