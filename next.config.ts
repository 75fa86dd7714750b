import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Headers (CSP with nonces, HSTS, …) and the client address are set by server.ts, which
  // fronts every request; see lib/security/headers.ts.
  poweredByHeader: false,
  // PGlite ships 15 MB of WASM that must never be copied into public static assets (STACK.md #3).
  // mmdb-lib decodes the IP databases from node_modules at run time (lib/activity/ip-intel.ts).
  serverExternalPackages: ["@electric-sql/pglite", "@node-rs/argon2", "pg", "mmdb-lib"],
  // `npm test` type-checks the whole project (app, lib, scripts, tests) as its own first step;
  // checking the app again inside every build only doubles the slowest part of it.
  typescript: { ignoreBuildErrors: true },
  experimental: {
    serverActions: { bodySizeLimit: "1mb" },
  },
};

export default nextConfig;
