import next from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

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
    // never read the portal's session.
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
