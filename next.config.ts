import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Headers (CSP with nonces, HSTS, …) and the client address are set by server.ts, which
  // fronts every request; see lib/security/headers.ts.
  poweredByHeader: false,
  // PGlite ships 15 MB of WASM that must never be copied into public static assets (STACK.md #3).
  serverExternalPackages: ["@electric-sql/pglite", "@node-rs/argon2", "pg"],
  experimental: {
    serverActions: { bodySizeLimit: "1mb" },
  },
};

export default nextConfig;
